// Configuration server.js sets at start-up. An ES module: its exports are not in require.cache, so a worker's copy
// cannot be given them, and its readers stay on the main loop.
export const config = { mode: 'default' };
