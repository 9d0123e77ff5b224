/**
 * The require hook (pirates) and the transform it shares with the ES module hooks (esm-hooks.ts):
 * rewrites the app's modules as they are loaded.
 * - App files only: `node_modules` is left alone unless `include` names it; `exclude` wins; fluxion's own
 *   files never; a file whose first comment says `fluxion ignore` is left as it is.
 * - A user's syntax error is left to Node, which throws exactly its own error.
 * - Any failure of ours loads the original source, with one warning naming the file (fail open).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import Module = require('node:module');
import { createRequire, findSourceMap } from 'node:module';
import { pathToFileURL } from 'node:url';
import { addHook } from 'pirates';
import type * as CodeCache from './compile-cache';
import type * as Compiler from './compiler/bundle';
import type * as Register from './register';
import { TransformCache } from './cache';
import type { Options } from './config';
import { debug, debugging, warnOnce } from './debug';
import { FluxionError } from './errors';
import { readSourceFile } from './files';
import { globToRegExp, matchesAny } from './glob';
import { inWorkerThread } from './threads';

const RUNTIME = path.join(__dirname, 'runtime', 'index.js');
const OWN_ROOT = path.resolve(__dirname, '..');
/** In the trailer every rewritten module ends with: the marker that it is never rewritten twice. */
export const MARKER = ';var $flx$h; function $flx$()';

export interface HookStats {
  rewritten: number;
  unchanged: number;
  cached: number;
  failed: number;
  fluxions: number;
  dynamicSites: number;
}

export interface Hook {
  stats: HookStats;
  revert(): void;
}

export interface Transformer {
  stats: HookStats;
  /** Where the transform cache is, or null when there is none. */
  cacheDir: string | null;
  /** Whether a file is the app's to rewrite. */
  matcher(filename: string): boolean;
  /** The rewrite, cached, failing open. */
  transform(code: string, filename: string, sourceType: 'commonjs' | 'module'): string;
}

type Loader = (this: unknown, mod: unknown, filename: unknown, ...rest: unknown[]) => unknown;
const HOOKED_EXTENSIONS = ['.js', '.cjs'];

export function installHook(options: Options, version: string): Hook {
  const transformer = createTransformer(options, version);
  const loaders = (Module as unknown as { _extensions: Record<string, Loader | undefined> })._extensions;
  // the loaders pirates wraps (where Node has no `.cjs` one, pirates takes the `.js` one)
  const wrapped = HOOKED_EXTENSIONS.map((ext) => (loaders[ext] ?? loaders['.js'])!);
  const revertPirates = addHook((code, filename) => transformer.transform(code, filename, 'commonjs'), {
    exts: HOOKED_EXTENSIONS,
    matcher: transformer.matcher,
    ignoreNodeModules: false,
  });
  // pirates asks `path.resolve()` of every file Node loads before its matcher sees it (159 files for the start-up
  // bench's express app: ~4 M instructions of Node 22's 436 M start). Node gives the loaders resolved paths: a file
  // the matcher refuses (every package's) goes straight to the loader pirates wrapped, an app file through pirates.
  const pirates = HOOKED_EXTENSIONS.map((ext) => loaders[ext]!);
  const filters = HOOKED_EXTENSIONS.map((ext, i) => {
    const filter: Loader = function (this: unknown, mod, filename, ...rest) {
      return (typeof filename === 'string' && transformer.matcher(filename) ? pirates[i]! : wrapped[i]!).call(this, mod, filename, ...rest);
    };
    loaders[ext] = filter;
    return filter;
  });
  const revert = () => {
    // (a loader put above ours since stays, as pirates leaves its own: both then hand every file on unchanged)
    HOOKED_EXTENSIONS.forEach((ext, i) => {
      if (loaders[ext] === filters[i]) loaders[ext] = pirates[i];
    });
    revertPirates();
  };
  return { stats: transformer.stats, revert };
}

export function createTransformer(options: Options, version: string, { warnings = true } = {}): Transformer {
  const cwd = process.cwd().split('\\').join('/');
  const include = options.include.map(globToRegExp);
  const exclude = options.exclude.map(globToRegExp);
  const stats: HookStats = { rewritten: 0, unchanged: 0, cached: 0, failed: 0, fluxions: 0, dynamicSites: 0 };
  const explicitDir = options.cacheDir !== null;
  const salt = JSON.stringify([version, buildStamp(), process.version, options.rupturePoints, sourceMapsWanted()]);
  debug('cache', `transforms keyed by ${salt}`);
  const cache = options.disableCache
    ? null
    : new TransformCache(
        path.resolve(options.cacheDir ?? path.join(process.cwd(), 'node_modules', '.cache', 'fluxion')),
        salt,
        explicitDir,
        warnings,
      );

  // fluxion's own code is never rewritten, whatever `include` says (its compiler is bundled into dist/, and
  // the matcher is off while the compiler loads anyway)
  const own = [path.join(OWN_ROOT, 'dist') + path.sep, path.join(OWN_ROOT, 'register.js'), path.join(OWN_ROOT, 'bin') + path.sep];
  const nodeModules = `${path.sep}node_modules${path.sep}`;
  const matcher = (filename: string): boolean => {
    if (loadingCompiler || own.some((prefix) => filename.startsWith(prefix))) return false;
    if (exclude.length && matchesAny(exclude, filename, cwd)) return false;
    if (include.length && matchesAny(include, filename, cwd)) return true;
    return !filename.includes(nodeModules);
  };

  // FLUXION_DISABLE_CACHE turns off every cache: transforms and the compiler's code caches
  const codeCache: CodeCacheUse = { enabled: cache !== null, local: cache && cache.usable ? path.join(cache.dir, 'v8') : null };

  const maps = sourceMapsWanted();
  const transform = (code: string, filename: string, sourceType: 'commonjs' | 'module'): string => {
    if (code.includes(MARKER)) return code;
    const inputMap = maps ? readInputMap(code, filename) : null;
    // a map in a file of its own is part of what the output is made of
    const key = cache ? cache.key(`${sourceType}:${filename}`, inputMap?.external ? `${code}\0${inputMap.text}` : code) : '';
    const hit = cache?.get(key);
    if (hit != null) {
      stats.cached++;
      if (debugging('hook')) debug('hook', `${rel(filename)}: from the cache`);
      return hit;
    }
    const started = process.hrtime.bigint(); // not performance.now(): it loads perf_hooks (runtime/clock.ts)
    let out: string;
    try {
      out = rewrite(code, filename, sourceType, stats, options.rupturePoints, codeCache, maps, inputMap);
    } catch (error) {
      if (error instanceof FluxionError && error.code === 'E_SYNTAX') {
        debug('hook', `${rel(filename)}: syntax error, left to Node (${error.message})`);
        return code;
      }
      stats.failed++;
      warnOnce(`hook:${filename}`, `${rel(filename)} is loaded unmodified: ${(error as Error).message}`);
      debug('hook', `${rel(filename)}: ${(error as Error).stack}`);
      return code;
    }
    debug('hook', `${rel(filename)}: ${out === code ? 'nothing to rewrite' : 'rewritten'} in ${(Number(process.hrtime.bigint() - started) / 1e6).toFixed(1)} ms`);
    cache?.set(key, out);
    return out;
  };

  return { stats, matcher, transform, cacheDir: cache && cache.usable ? cache.dir : null };
}

/** The compiler is loaded on the first cache miss only: a warm start never pays for meriyah and eslint-scope. */
let compiler: Pick<typeof Compiler, 'analyze' | 'instrument' | 'chainSourceMaps'> | null = null;
let loadingCompiler = false;
interface CodeCacheUse {
  enabled: boolean;
  /** The code cache under the transform cache, if that one is usable. */
  local: string | null;
}
function loadCompiler(use: CodeCacheUse, { saveAtExit = true } = {}) {
  if (!compiler) {
    loadingCompiler = true;
    try {
      const { withCodeCache, SHIPPED_DIR } = require('./compile-cache') as typeof CodeCache;
      const dirs = use.enabled ? { shipped: SHIPPED_DIR, local: use.local } : { shipped: null, local: null };
      // every CommonJS file loaded while the compiler loads is the compiler's (one file once bundled)
      compiler = withCodeCache(dirs, () => true, () => {
        const { analyze, instrument, chainSourceMaps } = require('./compiler/bundle') as typeof Compiler;
        return { analyze, instrument, chainSourceMaps };
      }, { saveAtExit });
    } finally {
      loadingCompiler = false;
    }
  }
  return compiler;
}

/**
 * Fills the install-time code cache (`fluxion precompile`, run by `postinstall`): loads the compiler in a
 * process that has not loaded it yet, runs it over a sample app so that the functions a real rewrite
 * compiles lazily are in the cache too, and writes the bytecode into fluxion's own package.
 */
export function precompile(): { dir: string; files: number } {
  if (compiler) throw new Error('the compiler is already loaded in this process: run `fluxion precompile` on its own');
  const { SHIPPED_DIR, saveCodeCache, withCodeCache } = require('./compile-cache') as typeof CodeCache;
  fs.rmSync(SHIPPED_DIR, { recursive: true, force: true });
  precompileRequireHook(withCodeCache, SHIPPED_DIR);
  const { analyze, instrument } = loadCompiler({ enabled: true, local: SHIPPED_DIR }, { saveAtExit: false });
  // V8 compiles a function when it first runs: the cache holds what ran. Meriyah has a function per
  // construct, so the compiler also runs over fluxion's own build (classes, loops, generators, destructuring…).
  const samples = SAMPLE_APPS.map(([name, source, sourceType]) => ({ file: path.join(OWN_ROOT, 'precompile', name), source, sourceType }));
  for (const file of listFiles(__dirname, '.js')) samples.push({ file, source: fs.readFileSync(file, 'utf8'), sourceType: 'commonjs' as const });
  for (const { file, source, sourceType } of samples) {
    for (const withCode of [false, true]) instrument(analyze(source, { filename: file, sourceType, withCode }), RUNTIME, file);
  }
  return { dir: SHIPPED_DIR, files: saveCodeCache(SHIPPED_DIR) };
}

/**
 * The require hook as `register.js` loads it on every start (`register.bundle.js`): loaded, started and stopped
 * once here (with a throwaway transform cache), so that its code cache holds what a start runs.
 */
function precompileRequireHook(withCodeCache: typeof CodeCache.withCodeCache, dir: string): void {
  const bundle = path.join(__dirname, 'register.bundle.js');
  if (!fs.existsSync(bundle)) return; // built by tsc alone: register.js loads dist/register.js
  const scratch = fs.mkdtempSync(path.join((require('node:os') as typeof import('node:os')).tmpdir(), 'fluxion-precompile-')); // (node:os: not loaded by every start)
  try {
    // (and the runtime, which it loads: register.js caches every file of dist/ it loads the same way; those this
    // process loaded already, `fluxion precompile`'s CLI among them, are loaded again for their entries)
    for (const shared of ['debug.js', 'errors.js', 'specifiers.js', 'runtime/index.js', 'runtime/registry.js', 'runtime/clock.js', 'runtime/contexts.js']) delete require.cache[path.join(__dirname, shared)];
    const { register } = withCodeCache({ shipped: null, local: dir }, (file) => file.startsWith(__dirname + path.sep), () => require(bundle) as { register: typeof Register.register }, { saveAtExit: false, what: 'require hook' });
    try {
      register({ enabled: true, cacheDir: scratch, logLevel: 'silent' })();
    } catch {
      // an invalid FLUXION_* variable where fluxion is installed: the bundle's top level is cached all the same
    }
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

/**
 * `fluxion precompile <entry…>`: the transform cache filled before the first start (a Docker image build, a
 * deploy step), so that the first start is a warm one: each entry and the app files it requires or imports,
 * transitively (those written as string literals), are rewritten into the cache the app will read, with the
 * options it will have (environment, fluxion.config.json / package.json#fluxion). A file loaded through a
 * computed path is rewritten at its first load as usual.
 */
export function precompileApp(entries: string[], options: Options, version: string): { dir: string | null; files: number; rewritten: number; unchanged: number; failed: number } {
  const transformer = createTransformer(options, version);
  const queue = entries.map((e) => path.resolve(e));
  const seen = new Set<string>(queue);
  let files = 0;
  for (let file = queue.shift(); file !== undefined; file = queue.shift()) {
    if (!transformer.matcher(file)) continue;
    const { source, sourceType } = readSourceFile(file);
    const type = sourceType ?? 'commonjs';
    transformer.transform(source, file, type);
    files++;
    let requires: string[];
    try {
      requires = loadCompiler({ enabled: false, local: null }).analyze(source, { filename: file, sourceType: type, rupturePoints: options.rupturePoints, withCode: false }).program.requires;
    } catch {
      continue; // a syntax error: Node will report it at the first start
    }
    const resolve = createRequire(file).resolve;
    for (const specifier of requires) {
      try {
        const target = resolve(specifier);
        if (!seen.has(target) && /\.[cm]?js$/.test(target)) {
          seen.add(target);
          queue.push(target);
        }
      } catch {
        // not resolvable from here: it fails the same way at run time
      }
    }
  }
  const s = transformer.stats;
  return { dir: transformer.cacheDir, files, rewritten: s.rewritten + s.cached, unchanged: s.unchanged, failed: s.failed };
}

function listFiles(dir: string, ext: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() && !e.name.startsWith('.') ? listFiles(path.join(dir, e.name), ext) : e.name.endsWith(ext) ? [path.join(dir, e.name)] : [],
  );
}

/** What apps look like, for `precompile`: routes, middleware, continuations, closures, module state. */
const SAMPLE_EXPRESS = `'use strict';
const fs = require('fs');
const path = require('path');
const express = require('express');
const app = express();
const router = express.Router();
let hits = 0;
const cache = new Map();
function bodyParser(limit) {
  return function saveBody(req, res, next) {
    let size = 0;
    req.on('data', (chunk) => { size += chunk.length; if (size > limit) next(new Error('too large')); });
    req.on('end', () => next());
  };
}
app.use(express.json());
app.use((req, res, next) => { res.setHeader('x-hits', String(++hits)); next(); });
router.get('/items/:id', async (req, res, next) => {
  try {
    const item = cache.get(req.params.id) ?? JSON.parse(await fs.promises.readFile(path.join(__dirname, req.params.id), 'utf8'));
    res.json({ item, hits });
  } catch (err) { next(err); }
});
router.post('/items', bodyParser(1e6), (req, res) => {
  fs.readFile(__filename, (err, data) => {
    if (err) return res.status(500).end();
    setTimeout(() => res.send(data.toString('base64').slice(0, 10)), 1);
  });
});
app.param('id', (req, res, next, id) => { req.id = id; next(); });
app.use('/api', router);
app.get('/work', (req, res) => { let s = 0; for (let i = 0; i < 1e3; i++) s += Math.sqrt(i); res.send(String(s)); });
app.use((err, req, res, next) => res.status(500).send(err.message));
const server = app.listen(process.env.PORT || 0, () => console.log('listening', server.address().port));
module.exports = { app, bodyParser };
`;
const SAMPLE_ESM = `import { readFile } from 'node:fs';
import express from 'express';
const app = express();
let count = 0;
export const handler = (req, res) => { count++; readFile(new URL(import.meta.url), (e, d) => res.end(String(count + d.length))); };
app.get('/', handler);
class Store { #rows = []; add(row) { this.#rows.push(row); return this.#rows.length; } }
export const store = new Store();
app.listen(0, () => console.log(\`listening \${count}\`));
`;
const SAMPLE_APPS: Array<[string, string, 'commonjs' | 'module']> = [
  ['app.js', SAMPLE_EXPRESS, 'commonjs'],
  ['app.mjs', SAMPLE_ESM, 'module'],
];

/**
 * Source the compiler runs over with V8's TurboFan off, at the start of a process (a cold cache). The compiler's
 * first files run in V8's interpreter and baseline tier whatever happens (its code is cold; its bytecode comes
 * from the code cache): what optimizing its hottest functions on the way costs (TurboFan's compile jobs, on
 * another thread, then deoptimizations) is not paid back within a small app's first start. Measured on the
 * start-up bench's app (20 KB of app code, Node 20): −80 M instructions (1.372× → 1.287× plain), −35 ms of CPU
 * and wall time pinned to one CPU (1.42× → 1.31×). Past this budget TurboFan stays on, so that the compiler gets optimized for
 * a large app (at ~300 KB the optimized compiler is ahead in wall time, while still behind in CPU time).
 * `--turbofan` is the one switch: `--max-opt=1` would also turn TurboFan off, by an implication that setting
 * `--max-opt` back does not undo (functions then never get optimized again). Node 20 only (V8 11, no Maglev):
 * on Node 22 and 24 the same window measured +4 M and +14 M instructions, so there fluxion does not touch V8.
 */
const COLD_BUDGET = 128 * 1024;
let coldBytes = 0;
let tiersOurs: boolean | null = null;

/**
 * Runs `compile` with `--no-turbofan` while the budget lasts, then turns TurboFan on again, unless the process
 * was started with a flag of its own about V8's tiers (then fluxion leaves them alone). In the main thread only:
 * ES modules are compiled in Node's hooks thread, and a flag is the whole process's.
 */
function coldCompile<T>(bytes: number, compile: () => T): T {
  if (coldBytes >= COLD_BUDGET) return compile();
  // V8's flags are the process's: only the main thread sets them (not Node's ES module hooks thread). V8 12+
  // (Node 22+) tiers up through Maglev first, and there TurboFan off measured no gain (+1%, +3% instructions)
  tiersOurs ??=
    Number(process.versions.v8.split('.')[0]) < 12 &&
    !inWorkerThread() &&
    !nodeFlags().some((arg) => /^--(no-)?(max-opt|opt|turbofan|jitless|always-opt|always-turbofan)\b/.test(arg.replace(/_/g, '-')));
  if (!tiersOurs) return compile();
  if (coldBytes === 0) debug('hook', `TurboFan is off while the compiler runs over the first ${COLD_BUDGET / 1024} KB (cold start)`);
  coldBytes += bytes;
  const v8 = require('node:v8') as typeof import('node:v8');
  v8.setFlagsFromString('--no-turbofan');
  try {
    return compile();
  } finally {
    v8.setFlagsFromString('--turbofan');
  }
}

function rewrite(
  code: string,
  filename: string,
  sourceType: 'commonjs' | 'module',
  stats: HookStats,
  rupturePoints: Options['rupturePoints'],
  codeCache: CodeCacheUse,
  maps: boolean,
  inputMap: InputMap | null,
): string {
  const compiler = loadCompiler(codeCache);
  return coldCompile(code.length, () => rewriteWith(compiler, code, filename, sourceType, stats, rupturePoints, maps, inputMap));
}

function rewriteWith(
  { analyze, instrument, chainSourceMaps }: NonNullable<typeof compiler>,
  code: string,
  filename: string,
  sourceType: 'commonjs' | 'module',
  stats: HookStats,
  rupturePoints: Options['rupturePoints'],
  maps: boolean,
  inputMap: InputMap | null,
): string {
  const analysis = analyze(code, { filename, sourceType, rupturePoints, withCode: false });
  if (analysis.ignored) {
    stats.unchanged++;
    return code;
  }
  const result = instrument(analysis, RUNTIME, filename);
  // (a file whose only news is that it writes another file's exports, from a class method, say, or that it connects
  // or configures a package at start-up: the runtime hears it)
  const d = result.description;
  if (d.fns.length === 0 && d.sites.length === 0 && d.state.length === 0 && !d.writes && !d.connects && !d.configures) {
    stats.unchanged++;
    return code; // nothing to observe: the module runs byte for byte as written
  }
  stats.rewritten++;
  stats.fluxions += analysis.program.fluxions.length - 1;
  stats.dynamicSites += result.description.sites.length;
  let out = result.code;
  // With source maps on (--enable-source-maps), give Node a map so that even columns are exact (splicing never
  // moves a line, only columns after an insertion). A file with a map of its own gets that map chained with
  // ours (Node reads the last sourceMappingURL comment). A file without one gets ours, CommonJS only: Node
  // prints a mapped ES module frame's file as a path where the unmapped one is a file: URL, so a map would
  // change its stack traces more than the few columns it puts back.
  if (maps && inputMap && inputMap.map.sections !== undefined && !nodeReadsIndexMaps()) {
    // an index map, which this Node does not read (Node 20's loader wants `sources` at the top and drops the
    // map): plain node shows the file's own positions, and so do we, as for a file without a map
    if (sourceType === 'commonjs') out += dataUrlComment({ ...result.map(), sourcesContent: [code] });
  } else if (maps && inputMap) {
    try {
      out += dataUrlComment(chainSourceMaps(result.map(), inputMap.map, inputMap.base));
    } catch (error) {
      // Node cannot use it either: the file keeps its own comment, as it is
      debug('hook', `${rel(filename)}: its source map is not chained (${(error as Error).message})`);
    }
  } else if (maps && sourceType === 'commonjs' && code.search(SOURCE_MAP_COMMENT) < 0) {
    out += dataUrlComment({ ...result.map(), sourcesContent: [code] });
  }
  return out;
}

let readsIndexMaps: boolean | undefined;
/** Whether Node's module loader maps stack traces through an index map (`sections`): asked once, by trying one. */
function nodeReadsIndexMaps(): boolean {
  if (readsIndexMaps === undefined) {
    const probe = path.join(OWN_ROOT, 'index-map-probe.js'); // never written: Node caches maps by file name
    const map = { version: 3, sections: [{ offset: { line: 0, column: 0 }, map: { version: 3, sources: ['probe.ts'], names: [], mappings: 'AAAA' } }] };
    try {
      const m = new Module(probe);
      m.filename = probe;
      (m as unknown as { _compile(code: string, file: string): void })._compile(`//# sourceMappingURL=data:application/json;base64,${Buffer.from(JSON.stringify(map)).toString('base64')}\n`, probe);
      readsIndexMaps = findSourceMap(probe) !== undefined;
    } catch {
      readsIndexMaps = false;
    }
    debug('hook', `this Node ${readsIndexMaps ? 'reads' : 'does not read'} index source maps`);
  }
  return readsIndexMaps;
}

// global, for matchAll: never call .test() on it (a global regexp's lastIndex carries over from file to file)
const SOURCE_MAP_COMMENT = /\/[*/][#@]\s*sourceMappingURL=([^\s'"]+)/g;

function dataUrlComment(map: object): string {
  return `//# sourceMappingURL=data:application/json;charset=utf-8;base64,${Buffer.from(JSON.stringify(map)).toString('base64')}\n`;
}

interface InputMap {
  map: Compiler.InputSourceMap;
  /** What its relative `sources` are resolved against. */
  base: string;
  /** Read from a file of its own (not a data: URL). */
  external: boolean;
  text: string;
}

/** The file's own source map, the one Node would use (the last sourceMappingURL comment), or null. */
function readInputMap(code: string, filename: string): InputMap | null {
  let url: string | undefined;
  for (const m of code.matchAll(SOURCE_MAP_COMMENT)) url = m[1];
  if (!url) return null;
  try {
    const fileUrl = pathToFileURL(filename).href;
    const data = /^data:([^,]*?)(;base64)?,(.*)$/s.exec(url);
    let text: string;
    let base = fileUrl;
    if (data) text = data[2] ? Buffer.from(data[3] ?? '', 'base64').toString('utf8') : decodeURIComponent(data[3] ?? '');
    else {
      const mapUrl = new URL(url, fileUrl);
      if (mapUrl.protocol !== 'file:') return null;
      text = fs.readFileSync(mapUrl, 'utf8');
      base = mapUrl.href;
    }
    return { map: JSON.parse(text) as Compiler.InputSourceMap, base, external: !data, text };
  } catch (error) {
    debug('hook', `${rel(filename)}: its source map cannot be read (${(error as Error).message}); it is left as it is`);
    return null;
  }
}

/**
 * The compiler's own build: a rebuilt fluxion (a new install, a development build) never serves code its
 * runtime does not match, even under the same version number. Three stat calls at start-up.
 */
function buildStamp(): string {
  return ['compiler/bundle.js', 'compiler/instrument.js']
    .map((f) => {
      try {
        const st = fs.statSync(path.join(__dirname, f));
        return `${st.size}:${st.mtimeMs}`;
      } catch {
        return '?';
      }
    })
    .join(',');
}

/**
 * Whether Node maps stack traces (--enable-source-maps, on the command line or in NODE_OPTIONS). The flags
 * only: `process.sourceMapsEnabled` also turns true for coverage (NODE_V8_COVERAGE) and at a moment that
 * depends on the loaders, so two processes with the same flags (`fluxion precompile`, then the app) could
 * disagree and miss each other's cache.
 */
function sourceMapsWanted(): boolean {
  return nodeFlags().includes('--enable-source-maps');
}

/** Node's options for this process: its command line's and NODE_OPTIONS'. */
export function nodeFlags(): string[] {
  return [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)];
}

function rel(file: string): string {
  return path.relative(process.cwd(), file) || file;
}
