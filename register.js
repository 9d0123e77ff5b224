'use strict';
// `node -r fluxion/register app.js`. An invalid option stops here with one line naming it; any other
// failure of fluxion's start leaves the app running unmodified, with one warning (fail open).
// It loads the require hook as one bundled file with the V8 code cache written at install (lib/compile-cache.ts):
// every start of the app pays for it, so it is kept to one file read and no compilation.
const path = require('node:path');

// Node also runs preloads in worker threads (the module-hooks thread of --import loaders, the app's own workers,
// fluxion's): fluxion rewrites the main thread's modules only, and loads nothing there. Same test as
// lib/threads.ts inWorkerThread(): process.chdir is a stub named `unavailable…` in a worker (Node 20–24).
function inWorkerThread() {
  const name = process.chdir.name;
  if (name.startsWith('unavailable')) return true;
  if (name === '' || name === 'chdir' || name === 'wrappedChdir') return false;
  return !require('node:worker_threads').isMainThread;
}

function load() {
  const bundle = path.join(__dirname, 'dist', 'register.bundle.js');
  try {
    const { withCodeCache, SHIPPED_DIR } = require('./dist/compile-cache.js');
    // FLUXION_DISABLE_CACHE turns this cache off too (the environment only: a package.json setting is read later)
    const off = /^(1|true|yes|on)$/i.test(process.env.FLUXION_DISABLE_CACHE || '');
    // where the install-time entry does not fit (another Node than the one fluxion was installed with: V8 rejects
    // it), the transform cache's v8 folder keeps one, written at the first start's exit (its options are read
    // later: FLUXION_CACHE_DIR or the default folder)
    const local = path.join(process.env.FLUXION_CACHE_DIR || path.join(process.cwd(), 'node_modules', '.cache', 'fluxion'), 'v8');
    // (the bundle and the files of dist/ it loads: the runtime, and debug/errors, which the runtime shares)
    const dist = path.join(__dirname, 'dist') + path.sep;
    return withCodeCache({ shipped: off ? null : SHIPPED_DIR, local: off ? null : local }, (file) => file.startsWith(dist), () => require(bundle), { what: 'require hook', logCached: false, extend: true }).register;
  } catch (error) {
    // a build without the bundle (tsc alone): the same code, file by file
    if (error && error.code === 'MODULE_NOT_FOUND') return require('./dist/register.js').register;
    throw error;
  }
}

// fluxion's own worker threads (lib/runtime/pool.ts): the AsyncLocalStorage instances the preloads after this one
// make are noted from here on, as on the main thread, so that a worker's copy of one takes the store a message
// carries (worker.ts does it too, for the instances the app's files make there)
function trackWorkerContexts() {
  const { workerData } = require('node:worker_threads');
  if (workerData && workerData.fluxion === true) require('./dist/runtime/contexts.js').trackContexts(true);
}

let register;
try {
  if (!inWorkerThread()) register = load();
  else trackWorkerContexts();
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
