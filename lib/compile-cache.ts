/**
 * A V8 code cache for fluxion's own compiler and its parser (Node 22 has `module.enableCompileCache()`;
 * Node 20 does not). Compiling meriyah, eslint-scope and the compiler, and running them the first time in
 * V8's interpreter with every function compiled lazily, costs ~90 ms on a cold start: more than rewriting a
 * small app. Two places hold the bytecode:
 * - **shipped**: `dist/.code-cache/` inside fluxion's own package, written when fluxion is installed
 *   (`postinstall`, or `fluxion precompile` where install scripts are off) after running the compiler over
 *   a sample app, so the cache holds the functions a real rewrite compiles too. Only read at run time.
 * - **local**: `<transform cache>/v8`, written at exit by a process that found no usable shipped entry
 *   (no install script, another Node, V8 flags that make V8 reject the shipped data), and for the require hook
 *   (`extend`) a second after the first start that found none there (a server; a command that ends sooner writes
 *   nothing more): the install only loads the hook, while a start also runs
 *   its transform and the runtime's registration of each app file, whose functions V8 would otherwise compile
 *   again at every start (Node 22: 4 M instructions of a 466 M start, bench/RESULTS.md). A local entry is read
 *   first. The require hook, loaded before the options are read, takes `FLUXION_CACHE_DIR`'s or the default
 *   transform cache's (register.js).
 * Only the listed files are affected, only while the compiler is being loaded; any problem falls back to
 * Node's own loading. Entries are named by a hash of Node's version, the file's path, length and modification
 * time (`entryName`), so a rebuilt or moved fluxion simply misses.
 */
import * as fs from 'node:fs';
import Module = require('node:module');
import * as path from 'node:path';
import * as vm from 'node:vm';
import type * as Debug from './debug';

/** debug.ts, loaded when there is something to say: register.js loads this file before the bundle, which carries it. */
function debug(namespace: string, message: string): void {
  (require('./debug') as typeof Debug).debug(namespace, message);
}

type CompileFn = (this: Module, content: string, filename: string, format?: string) => unknown;
interface Internal {
  _compile: CompileFn;
}

/** Where fluxion's installation keeps the code cache made at install time. */
export const SHIPPED_DIR = path.join(__dirname, '.code-cache');

export interface CodeCacheDirs {
  /** Read only (install-time cache); null: none. */
  shipped: string | null;
  /** Read, and written at exit when an entry was missing or rejected; null: none. */
  local: string | null;
}

interface Produced {
  name: string;
  script: vm.Script;
  /** The local directory of the load that compiled it (null: none; `saveCodeCache(dir)` writes it anyway). */
  dir: string | null;
}
const produced: Produced[] = [];
const saveScheduled = new Set<string>();

function read(dir: string | null, name: string): Buffer | undefined {
  if (!dir) return undefined;
  const file = path.join(dir, name);
  // (a missing entry is the usual case where the shipped cache is another Node's: existsSync throws nothing, a failed
  // read makes an error object with its stack, for every file)
  if (!fs.existsSync(file)) return undefined;
  try {
    return fs.readFileSync(file);
  } catch {
    return undefined;
  }
}

/**
 * A code cache entry's name: two 53-bit hashes (cyrb53), of Node's version and the file's path, then of those,
 * the file's length and its modification time; not of its content: hashing 100 KB in V8's interpreter, or loading
 * node:crypto (with the streams it pulls in) for a digest, would cost every process started with
 * `-r fluxion/register` more than the code cache saves (Node 22: ~25 M instructions). A rebuilt file has another time; V8 checks the entry it is given
 * (its version, flags, the source's length) besides.
 */
function entryName(filename: string, content: string): string {
  let mtime = 0;
  try {
    mtime = fs.statSync(filename).mtimeMs;
  } catch {
    // not on disk: the name goes by the rest
  }
  // `<this Node and file>-<this build of it>`: saving an entry removes the file's others (saveCodeCache)
  return `${cyrb53(`${process.version}\0${filename}`)}-${cyrb53(`${process.version}\0${filename}\0${content.length}\0${mtime}`)}`;
}

function cyrb53(text: string): string {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return (4294967296 * (2097151 & h2) + (h1 >>> 0)).toString(16).padStart(14, '0');
}

/**
 * Loads `load()` with the code caches of `dirs` applied to the CommonJS files `own` accepts. `extend`: a file
 * found in the shipped cache only gets a local entry too, written after the process ran a while (above).
 */
export function withCodeCache<T>(dirs: CodeCacheDirs, own: (filename: string) => boolean, load: () => T, { saveAtExit = true, what = 'compiler', logCached = true, extend = false } = {}): T {
  if (!dirs.shipped && !dirs.local) return load();
  const proto = Module.prototype as unknown as Internal;
  const previous = proto._compile;
  const counts = { shipped: 0, local: 0, compiled: 0 };
  const started = process.hrtime.bigint(); // not performance.now(): that loads perf_hooks on every start
  proto._compile = function (this: Module, content: string, filename: string, format?: string) {
    // ES modules (Node 20.19's require(esm) passes their format) load the usual way
    if (!own(filename) || (format !== undefined && format !== 'commonjs') || filename.endsWith('.mjs')) {
      return previous.call(this, content, filename, format);
    }
    const name = `${entryName(filename, content)}.bin`;
    const wrapped = Module.wrap(content);
    let script: vm.Script | undefined;
    let rejected: vm.Script | undefined; // compiled all the same: V8 compiles normally when it rejects data
    // (local first: where both exist, it holds more, or the shipped one was rejected when it was written)
    for (const where of ['local', 'shipped'] as const) {
      const cachedData = read(dirs[where], name);
      if (!cachedData) continue;
      const candidate = new vm.Script(wrapped, { filename, cachedData });
      if (candidate.cachedDataRejected) {
        rejected = candidate;
        continue;
      }
      script = candidate;
      counts[where]++;
      // (V8's data of a script includes the functions compiled since it was made: those this process runs; not where
      // a local entry is there but V8 rejected it: written under other V8 flags, it stays for the processes that
      // have them, rather than two kinds of starts sharing a folder replacing each other's at every start)
      if (where === 'shipped' && extend && !rejected) produced.push({ name, script, dir: dirs.local });
      break;
    }
    if (!script) {
      script = rejected ?? new vm.Script(wrapped, { filename });
      produced.push({ name, script, dir: dirs.local });
      counts.compiled++;
    }
    const fn = script.runInThisContext({ displayErrors: true }) as (...args: unknown[]) => unknown;
    const require = Module.createRequire(filename);
    return fn.call(this.exports, this.exports, require, this, filename, path.dirname(filename));
  };
  try {
    return load();
  } finally {
    proto._compile = previous;
    // logCached false (the require hook, loaded on every start, also where fluxion is off): only when it compiled
    if (logCached || counts.compiled > 0) debug('cache', `${what} loaded in ${(Number(process.hrtime.bigint() - started) / 1e6).toFixed(1)} ms: ${counts.shipped} files from the install-time code cache, ${counts.local} from ${dirs.local ?? '(none)'}, ${counts.compiled} compiled`);
    const local = dirs.local;
    if (saveAtExit && local && produced.some((p) => p.dir === local) && !saveScheduled.has(local)) {
      saveScheduled.add(local);
      // after the first rewrites, so that the functions they compiled lazily are in the cache too: a second
      // later (a server stopped by a signal never sees 'exit'; the timer keeps no process alive), or at exit
      let saved = false;
      const save = (): void => {
        if (saved) return;
        saved = true;
        saveScheduled.delete(local); // (a file loaded later, the compiler on a first miss, schedules its own)
        saveCodeCache(local, true);
      };
      setTimeout(save, 1000).unref();
      // (at exit only what was compiled from source, for which a process that lives less than a second has no
      // other chance; the installed entry's extension waits for a process that lives a second, a server: a command
      // ending at once is not made slower to end, nor a measured start dearer, for what it would add)
      if (counts.compiled > 0) process.once('exit', save);
    }
  }
}

/**
 * Removes the entries the ones just written replace: the same file's, under this Node, of an earlier build of
 * fluxion (each upgrade or rebuild wrote new ones beside them, ~100–500 KB a file), and entries named before names
 * had a file part.
 */
function pruneCodeCache(dir: string, written: string[]): void {
  const kept = new Set(written);
  const files = new Set(written.map((name) => name.slice(0, name.indexOf('-') + 1)));
  try {
    for (const name of fs.readdirSync(dir)) {
      if (kept.has(name) || !name.endsWith('.bin')) continue;
      const dash = name.indexOf('-');
      if (dash === -1 || files.has(name.slice(0, dash + 1))) fs.rmSync(path.join(dir, name), { force: true });
    }
  } catch {
    // another process pruned it first: an entry left is disk space, not an error
  }
}

/**
 * Writes the code cache of every file loaded here without one, or from the shipped cache only where its load
 * `extend`s it, not written yet (`scheduled`, after a load or at exit: those whose load named `dir`, and only
 * where the directory above it exists: the transform cache's, made by the hook; fluxion makes no directory in a
 * project it does not cache); returns how many.
 */
export function saveCodeCache(dir: string, scheduled = false): number {
  const entries = scheduled ? produced.filter((p) => p.dir === dir) : produced.slice();
  try {
    if (scheduled && !fs.existsSync(path.dirname(dir))) return 0;
    fs.mkdirSync(dir, { recursive: true });
    for (const entry of entries) {
      const file = path.join(dir, entry.name);
      const tmp = `${file}.${process.pid}.tmp`;
      fs.writeFileSync(tmp, entry.script.createCachedData());
      fs.renameSync(tmp, file);
      produced.splice(produced.indexOf(entry), 1); // written once
    }
    pruneCodeCache(dir, entries.map((e) => e.name));
    debug('cache', `wrote the code cache of ${entries.length} files to ${dir}`);
    return entries.length;
  } catch (error) {
    debug('cache', `code cache not written: ${(error as Error).message}`);
    return 0;
  }
}
