/**
 * What `node -r fluxion/register` and `register(options)` run: resolve the options once, install the
 * require hook, and arrange the report. Initialises once per process (`-r` plus NODE_OPTIONS, or a
 * second copy of fluxion): later calls get the first one's `unregister`.
 */
import Module = require('node:module');
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { sourceTypeOf } from './files';
import { inWorkerThread } from './threads';
import { installHook, nodeFlags, type Hook } from './hook';
import { resolveOptions, type Options, type RegisterOptions } from './config';
import * as debugModule from './debug';
import { info, setLogLevel, warnOnce } from './debug';
import * as errorsModule from './errors';
import * as specifiersModule from './specifiers';
import * as runtimeModule from './runtime';
import { registry } from './runtime';
import * as clockModule from './runtime/clock';
import * as contextsModule from './runtime/contexts';
import { trackContexts } from './runtime/contexts';
import * as registryModule from './runtime/registry';
import type * as ReportModule from './runtime/report';

shareBundledFiles();

const STATE = Symbol.for('fluxion.register');
type Holder = typeof globalThis & { [STATE]?: { unregister: () => void; options: Options } };

export function register(programmatic: RegisterOptions = {}): () => void {
  const holder = globalThis as Holder;
  if (holder[STATE]) return holder[STATE].unregister;
  // Preloads also run in worker threads: Node's module-hooks thread (with --import loaders such as tsx)
  // and the app's own workers. fluxion rewrites the main thread's modules only.
  if (inWorkerThread()) return () => undefined;
  const options = resolveOptions(programmatic);
  setLogLevel(options.logLevel);
  if (!options.enabled) {
    holder[STATE] = { unregister: () => undefined, options };
    return holder[STATE].unregister;
  }
  const version = (require('../package.json') as { version: string }).version;
  registry().configure(options);
  // (the request's AsyncLocalStorage stores travel with its messages: the instances are noted as the app makes them)
  const esm = wantsEsmHooks();
  if (options.placement !== 'inline') trackContexts(false, esm);
  const hook: Hook = installHook(options, version);
  const cleanups: Array<() => void> = [hook.revert];
  if (esm) registerEsmHooks(options, version);
  if (options.report) cleanups.push(reportOnExit(options.report));
  const summary = setImmediate(() => {
    const s = hook.stats;
    info(
      `fluxion ${version}: ${s.rewritten} module${s.rewritten === 1 ? '' : 's'} rewritten (${s.cached} from the cache, ${s.unchanged} unchanged, ${s.failed} failed), ` +
        `${s.fluxions} fluxions, ${s.dynamicSites} dynamic sites; placement ${options.placement}, up to ${options.threads ?? 'one worker per core'}`,
    );
  });
  summary.unref();
  const unregister = () => {
    for (const c of cleanups.splice(0)) c();
    void registry().close(); // the workers stop; every fluxion runs on the main loop from now on
    delete holder[STATE];
  };
  holder[STATE] = { unregister, options };
  return unregister;
}

/**
 * `register.bundle.js`, what `-r fluxion/register` loads, carries the runtime and the files it shares with the rest of
 * fluxion, so that a start reads, resolves and deserializes one file instead of seven (each costs ~0.6 M
 * instructions on Node 22, whose whole start is ~450 M). Those files must still exist once per process: the
 * rewritten modules `require` dist/runtime/index.js by its path, and the files loaded on demand (the dispatcher and
 * the pool, compile-cache.js, the compiler's bundle) require `../debug`, `../errors`. So the bundle enters its
 * copies in Node's module cache under their own file names, as if Node had loaded them from there; a file already
 * loaded keeps its entry (another copy of fluxion: the registry is one per process all the same, `runtime/index`).
 */
function shareBundledFiles(): void {
  if (path.basename(__filename) !== 'register.bundle.js') return; // dist/register.js: each file is its own
  const ModuleClass = Module as unknown as new (id: string, parent?: unknown) => NodeJS.Module & { paths: string[] };
  const files: Array<[string, unknown]> = [
    ['debug.js', debugModule],
    ['errors.js', errorsModule],
    ['specifiers.js', specifiersModule],
    ['runtime/index.js', runtimeModule],
    ['runtime/registry.js', registryModule],
    ['runtime/clock.js', clockModule],
    ['runtime/contexts.js', contextsModule],
  ];
  for (const [name, exports] of files) {
    const filename = path.join(__dirname, name);
    if (require.cache[filename]) continue;
    const entry = new ModuleClass(filename);
    entry.filename = filename;
    entry.exports = exports;
    entry.paths = (Module as unknown as { _nodeModulePaths(dir: string): string[] })._nodeModulePaths(path.dirname(filename));
    entry.loaded = true;
    require.cache[filename] = entry;
  }
}

/**
 * ES modules need Node's module hooks, which start a thread: they are registered when fluxion was loaded
 * with `--import`, or when the entry point is an ES module (`node -r fluxion/register app.mjs` works too).
 * A CommonJS app started with `-r` does not pay for them.
 */
function wantsEsmHooks(): boolean {
  const flags = nodeFlags();
  const imported = flags.some((flag, i) => {
    const value = flag.startsWith('--import=') ? flag.slice(9) : flag === '--import' ? flags[i + 1] ?? '' : '';
    return /fluxion[\\/]register|register\.js$/.test(value.replace(/^["']|["']$/g, ''));
  });
  if (imported) return true;
  const entry = process.argv[1];
  return !!entry && (entry.endsWith('.mjs') || ((entry.endsWith('.js') || !path.extname(entry)) && sourceTypeOf(path.resolve(entry)) === 'module'));
}

function registerEsmHooks(options: Options, version: string): void {
  const register = (Module as unknown as { register?: (specifier: string, options: { data: unknown }) => void }).register;
  if (typeof register !== 'function') {
    warnOnce('esm', `ES modules run unmodified: this Node (${process.version}) has no module.register (Node >= 20.6 needed)`);
    return;
  }
  try {
    register(pathToFileURL(path.join(__dirname, 'esm-hooks.js')).href, { data: { options, version } });
  } catch (error) {
    warnOnce('esm', `ES modules run unmodified: module.register failed (${(error as Error).message})`);
  }
}

/** Writes the report at exit, also when SIGINT/SIGTERM would end the process without an 'exit' event. */
function reportOnExit(file: string): () => void {
  let written = false;
  const write = () => {
    if (written) return;
    written = true;
    try {
      (require('./runtime/report') as typeof ReportModule).writeReport(registry(), file);
    } catch (error) {
      warnOnce('report', `cannot write the report ${file}: ${(error as Error).message}`);
    }
  };
  // First in line, and gone once the signal came: the app's own handlers (or signal-exit's) then see the
  // listeners they would see without us; with none left, do what Node would have done without us.
  const onSignal = (signal: NodeJS.Signals) => {
    write();
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
  };
  process.on('exit', write);
  process.prependListener('SIGINT', onSignal);
  process.prependListener('SIGTERM', onSignal);
  return () => {
    process.removeListener('exit', write);
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  };
}
