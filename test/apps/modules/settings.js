// Configuration that the app sets at start-up (app.js: settings.mode = …): a worker requiring this file again
// would read the defaults.
module.exports = { mode: 'default', greeting: 'hello' };
