'use strict';
// `node -r fluxion/register app.js`: the app runs unchanged; fluxion never breaks it (fail open).
try {
  require('./dist/register.js').register();
} catch (error) {
  process.emitWarning(`fluxion: disabled, could not start (${error && error.message})`, 'FluxionWarning');
}
