/**
 * Whether this code runs in a worker thread (fluxion's, the app's, Node's hooks thread for `--import` loaders)
 * rather than the main thread. Loading node:worker_threads to read `isMainThread` costs ~4 ms of a start on Node 20
 * (3 M instructions on Node 22, with its internals); worker threads replace `process.chdir` by a stub named
 * `unavailableInWorker` (Node 20 to 24), which answers for free. Any other Node falls back to the module.
 * (register.js, the preload, has its own copy: it runs before dist/ is loaded.) Used by the register, the hook's
 * cold-compile switch and the clock's samples.
 */
export function inWorkerThread(): boolean {
  const name = process.chdir.name;
  if (name.startsWith('unavailable')) return true;
  if (name === '' || name === 'chdir' || name === 'wrappedChdir') return false;
  return !(require('node:worker_threads') as typeof import('node:worker_threads')).isMainThread;
}
