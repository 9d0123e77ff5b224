/**
 * A V8 code cache for fluxion's own compiler and its parser (Node 22 has `module.enableCompileCache()`;
 * Node 20 does not). Loading meriyah, eslint-scope and the compiler costs ~35 ms of V8 compilation on every
 * cold start, more than the rewrite of a small app: with the bytecode cached next to the transform cache,
 * a cold transform cache starts much faster. Only the listed files are affected, only while the compiler
 * is being loaded; any problem falls back to Node's own loading.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import Module from 'node:module';
import * as path from 'node:path';
import * as vm from 'node:vm';
import { debug } from './debug';

type CompileFn = (this: Module, content: string, filename: string, format?: string) => unknown;
interface Internal {
  _compile: CompileFn;
}

const produced: Array<{ file: string; script: vm.Script }> = [];
let saveScheduled = false;

/** Loads `load()` with the code cache of `dir` applied to the files under `roots`. */
export function withCodeCache<T>(dir: string | null, roots: string[], load: () => T): T {
  if (!dir) return load();
  const proto = Module.prototype as unknown as Internal;
  const previous = proto._compile;
  const own = (filename: string) => roots.some((r) => filename.startsWith(r));
  proto._compile = function (this: Module, content: string, filename: string, format?: string) {
    // ES modules (Node 20.19's require(esm) passes their format) load the usual way
    if (!own(filename) || (format !== undefined && format !== 'commonjs') || filename.endsWith('.mjs')) {
      return previous.call(this, content, filename, format);
    }
    const file = path.join(dir, `${createHash('sha256').update(process.version).update(filename).update(content).digest('hex').slice(0, 32)}.bin`);
    let cachedData: Buffer | undefined;
    try {
      cachedData = fs.readFileSync(file);
    } catch {
      cachedData = undefined;
    }
    const script = new vm.Script(Module.wrap(content), { filename, cachedData });
    if (!cachedData || script.cachedDataRejected) produced.push({ file, script });
    const fn = script.runInThisContext({ displayErrors: true }) as (...args: unknown[]) => unknown;
    const require = Module.createRequire(filename);
    return fn.call(this.exports, this.exports, require, this, filename, path.dirname(filename));
  };
  try {
    return load();
  } finally {
    proto._compile = previous;
    if (produced.length && !saveScheduled) {
      saveScheduled = true;
      // after the first rewrites, so that the functions they compiled lazily are in the cache too
      process.once('exit', () => save(dir));
    }
  }
}

function save(dir: string): void {
  try {
    fs.mkdirSync(dir, { recursive: true });
    for (const { file, script } of produced) {
      const tmp = `${file}.${process.pid}.tmp`;
      fs.writeFileSync(tmp, script.createCachedData());
      fs.renameSync(tmp, file);
    }
    debug('cache', `wrote the code cache of ${produced.length} compiler files`);
  } catch (error) {
    debug('cache', `code cache not written: ${(error as Error).message}`);
  }
}
