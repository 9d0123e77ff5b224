'use strict';
// `node -r fluxion/register app.js`. An invalid option stops here with one line naming it; any other
// failure of fluxion's start leaves the app running unmodified, with one warning (fail open).
let register;
try {
  register = require('./dist/register.js').register;
} catch (error) {
  process.stderr.write(`fluxion: warning: disabled, could not load (${error && error.message})\n`);
}
if (register) {
  try {
    register();
  } catch (error) {
    if (error && error.code === 'E_OPTION') {
      process.stderr.write(`fluxion: ${error.headline || error.message}\n`);
      process.exit(1);
    }
    process.stderr.write(`fluxion: warning: disabled, could not start (${error && error.message})\n`);
  }
}
