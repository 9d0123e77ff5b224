'use strict';
// `node -r fluxion/register app.js`. An invalid option stops here with one line naming it; any other
// failure of fluxion's start leaves the app running unmodified, with one warning (fail open).
// It loads the require hook as one bundled file with the V8 code cache written at install (lib/compile-cache.ts):
// every start of the app pays for it, so it is kept to one file read and no compilation.
const path = require('node:path');

function load() {
  // Node also runs preloads in worker threads (the module-hooks thread of --import loaders, the app's own
  // workers), where register() does nothing: they need no bundle (lib/register.ts inWorkerThread, same test)
  if (process.chdir.name.startsWith('unavailable')) return require('./dist/register.js').register;
  const bundle = path.join(__dirname, 'dist', 'register.bundle.js');
  try {
    const { withCodeCache, SHIPPED_DIR } = require('./dist/compile-cache.js');
    // FLUXION_DISABLE_CACHE turns this cache off too (the environment only: a package.json setting is read later)
    const off = /^(1|true|yes|on)$/i.test(process.env.FLUXION_DISABLE_CACHE || '');
    return withCodeCache({ shipped: off ? null : SHIPPED_DIR, local: null }, (file) => file === bundle, () => require(bundle), { saveAtExit: false, what: 'require hook', logCached: false }).register;
  } catch (error) {
    // a build without the bundle (tsc alone): the same code, file by file
    if (error && error.code === 'MODULE_NOT_FOUND') return require('./dist/register.js').register;
    throw error;
  }
}

let register;
try {
  register = load();
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
