/**
 * The catalogue of asynchronous callees (paper §3.1.2): calls of these functions with a callback are
 * rupture points. It is data: users add entries with `rupturePoints` in fluxion.config.json,
 * package.json#fluxion or `compile(source, { rupturePoints })`.
 * Synchronous functions (`readFileSync`, `execSync`…) are deliberately absent.
 */
import type { CalleeSpec, RuptureKind } from '../types';

function post(module: string, names: string): CalleeSpec[] {
  return names.split(/\s+/).filter(Boolean).map((name) => ({ kind: 'post' as RuptureKind, module, export: name }));
}

const FS_POST =
  'access appendFile chmod chown close copyFile cp exists fchmod fchown fdatasync fstat fsync ftruncate futimes ' +
  'lchmod lchown link lstat lutimes mkdir mkdtemp open opendir read readdir readFile readlink readv realpath ' +
  'rename rm rmdir stat statfs symlink truncate unlink utimes write writeFile writev';
const DNS_POST =
  'lookup lookupService resolve resolve4 resolve6 resolveAny resolveCaa resolveCname resolveMx resolveNaptr ' +
  'resolveNs resolvePtr resolveSoa resolveSrv resolveTxt reverse';
const ZLIB_POST =
  'brotliCompress brotliDecompress deflate deflateRaw gunzip gzip inflate inflateRaw unzip';
const CRYPTO_POST =
  'checkPrime generateKey generateKeyPair generatePrime hkdf pbkdf2 randomBytes randomFill randomInt scrypt sign verify';

/** Express (3, 4, 5) and the `router` package: methods whose function arguments are listeners. */
export const EXPRESS_APP_METHODS = new Set([
  'get', 'post', 'put', 'delete', 'del', 'patch', 'all', 'use', 'head', 'options', 'param', 'search',
  'copy', 'lock', 'mkcol', 'move', 'purge', 'propfind', 'proppatch', 'unlock', 'report', 'mkactivity',
  'checkout', 'merge', 'm-search', 'notify', 'subscribe', 'unsubscribe', 'trace', 'connect',
]);

export const BUILTIN_CATALOGUE: readonly CalleeSpec[] = [
  ...post('fs', FS_POST),
  { kind: 'start', module: 'fs', export: 'watch', callbacks: 'last' },
  { kind: 'start', module: 'fs', export: 'watchFile', callbacks: 'last' },
  ...post('dns', DNS_POST),
  ...post('zlib', ZLIB_POST),
  ...post('crypto', CRYPTO_POST),
  ...post('child_process', 'exec execFile'),
  ...post('http', 'get request'),
  ...post('https', 'get request'),
  ...post('http2', 'connect'),
  ...post('net', 'connect createConnection'),
  ...post('tls', 'connect'),
  { kind: 'post', module: 'timers', export: 'setTimeout', callbacks: 'first' },
  { kind: 'post', module: 'timers', export: 'setImmediate', callbacks: 'first' },
  { kind: 'start', module: 'timers', export: 'setInterval', callbacks: 'first' },
  { kind: 'start', module: 'http', export: 'createServer' },
  { kind: 'start', module: 'https', export: 'createServer' },
  { kind: 'start', module: 'http2', export: 'createServer' },
  { kind: 'start', module: 'http2', export: 'createSecureServer' },
  { kind: 'start', module: 'net', export: 'createServer' },
  { kind: 'start', module: 'tls', export: 'createServer' },
  // Globals.
  { kind: 'post', global: 'setTimeout', callbacks: 'first' },
  { kind: 'post', global: 'setImmediate', callbacks: 'first' },
  { kind: 'post', global: 'queueMicrotask', callbacks: 'first' },
  { kind: 'post', global: 'process.nextTick', callbacks: 'first' },
  { kind: 'start', global: 'setInterval', callbacks: 'first' },
  // The paper's applications and their usual companions.
  { kind: 'post', module: 'raw-body', export: 'default' },
  { kind: 'post', module: 'request', export: 'default' },
  ...post('request', 'get post put patch del delete head'),
  // Listeners on any emitter.
  { kind: 'start', method: 'on', minArgs: 2 },
  { kind: 'start', method: 'addListener', minArgs: 2 },
  { kind: 'start', method: 'prependListener', minArgs: 2 },
  { kind: 'start', method: 'once', minArgs: 2 },
  { kind: 'start', method: 'prependOnceListener', minArgs: 2 },
  // Continuations of responses and database drivers (callback last).
  { kind: 'post', method: 'render', minArgs: 2 },
  { kind: 'post', method: 'sendFile', minArgs: 2 },
  { kind: 'post', method: 'download', minArgs: 2 },
  { kind: 'post', method: 'query', minArgs: 2 },
  { kind: 'post', method: 'find', minArgs: 2 },
  { kind: 'post', method: 'findOne', minArgs: 2 },
  { kind: 'post', method: 'findById', minArgs: 2 },
  { kind: 'post', method: 'findOneAndUpdate', minArgs: 2 },
  { kind: 'post', method: 'insert', minArgs: 2 },
  { kind: 'post', method: 'insertOne', minArgs: 2 },
  { kind: 'post', method: 'updateOne', minArgs: 2 },
  { kind: 'post', method: 'deleteOne', minArgs: 2 },
  { kind: 'post', method: 'count', minArgs: 2 },
  { kind: 'post', method: 'save', minArgs: 1 },
  { kind: 'post', method: 'exec', minArgs: 1 },
  { kind: 'post', method: 'connect', minArgs: 1 },
  { kind: 'post', method: 'listen', minArgs: 1 },
  { kind: 'post', method: 'close', minArgs: 1 },
];

/** Indexes of the catalogue for the lookups the rupture-point step makes. */
export class Catalogue {
  private readonly byModule = new Map<string, CalleeSpec>();
  private readonly byGlobal = new Map<string, CalleeSpec>();
  private readonly byMethod = new Map<string, CalleeSpec>();

  constructor(extra: readonly CalleeSpec[] = []) {
    for (const spec of [...BUILTIN_CATALOGUE, ...extra]) {
      if (spec.module !== undefined) {
        const mod = spec.module.startsWith('node:') ? spec.module.slice(5) : spec.module;
        this.byModule.set(`${mod}#${spec.export ?? 'default'}`, spec);
      } else if (spec.global !== undefined) this.byGlobal.set(spec.global, spec);
      else if (spec.method !== undefined) this.byMethod.set(spec.method, spec);
    }
  }

  moduleExport(module: string, name: string): CalleeSpec | undefined {
    return this.byModule.get(`${module}#${name}`);
  }

  global(name: string): CalleeSpec | undefined {
    return this.byGlobal.get(name);
  }

  method(name: string): CalleeSpec | undefined {
    return this.byMethod.get(name);
  }
}

export { validateCalleeSpecs } from './callee-specs';
