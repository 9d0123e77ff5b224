/**
 * The transform cache on disk: `node_modules/.cache/fluxion` under the working directory (created when
 * missing), or `FLUXION_CACHE_DIR` (which must exist). Keyed by a hash of the source, the file name,
 * fluxion's version, the options that change the output and Node's version. Writes are atomic (temporary
 * file + rename). A directory that cannot be used disables the cache with one warning and nothing else.
 */
import type * as Crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { debug, warnOnce } from './debug';

export class TransformCache {
  private disabled = false;

  get usable(): boolean {
    return !this.disabled;
  }

  constructor(
    readonly dir: string,
    private readonly salt: string,
    explicit: boolean,
    /** False in Node's hooks thread: the main thread has said it already. */
    private readonly warnings = true,
  ) {
    try {
      if (explicit) {
        if (!fs.statSync(dir).isDirectory()) throw Object.assign(new Error('not a directory'), { code: 'ENOTDIR' });
      } else fs.mkdirSync(dir, { recursive: true });
      fs.accessSync(dir, fs.constants.W_OK | fs.constants.R_OK);
    } catch (error) {
      this.disable(error);
    }
  }

  private disable(error: unknown): void {
    this.disabled = true;
    const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    if (this.warnings) warnOnce('cache', `transform cache disabled: cannot use ${this.dir} (${code}); set FLUXION_CACHE_DIR or FLUXION_DISABLE_CACHE=1`);
  }

  /**
   * `<file>-<content>`: a hash of Node's version and the file's name (`commonjs:/app/routes.js`), then one of the
   * salt (fluxion's version and the options that change the output), the name and the source. Writing an entry
   * removes the file's others (`set`): a cache that an app's development (every edit a new entry) or fluxion's
   * upgrades would otherwise grow without end keeps one entry per file and Node.
   */
  key(filename: string, source: string): string {
    // (node:crypto is loaded here, with the first file the hook sees, not with fluxion: a process that loads no
    // app file through the hook, npm under NODE_OPTIONS say, does not pay for it)
    const crypto = require('node:crypto') as typeof Crypto;
    const file = crypto.createHash('sha256').update(process.version).update('\0').update(filename).digest('hex').slice(0, 16);
    return `${file}-${crypto.createHash('sha256').update(this.salt).update('\0').update(filename).update('\0').update(source).digest('hex')}`;
  }

  private file(key: string): string {
    return path.join(this.dir, key.slice(0, 2), `${key}.js`);
  }

  get(key: string): string | null {
    if (this.disabled) return null;
    try {
      return fs.readFileSync(this.file(key), 'utf8');
    } catch {
      return null;
    }
  }

  /**
   * Removes what `file` replaces: the same source file's entries for other contents or settings (under this
   * Node), and entries named before names had a file part. Never fails: an entry left is disk space, not an error.
   */
  private prune(file: string): void {
    const name = path.basename(file);
    const prefix = name.slice(0, name.indexOf('-') + 1);
    try {
      for (const other of fs.readdirSync(path.dirname(file))) {
        if (other === name || !other.endsWith('.js')) continue;
        if (other.startsWith(prefix) || !other.includes('-')) fs.rmSync(path.join(path.dirname(file), other), { force: true });
      }
    } catch {
      // another process pruned it first
    }
  }

  set(key: string, code: string): void {
    if (this.disabled) return;
    const file = this.file(key);
    const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
    try {
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(tmp, code);
      fs.renameSync(tmp, file);
      debug('cache', `wrote ${path.relative(process.cwd(), file)}`);
      this.prune(file);
    } catch (error) {
      try {
        fs.rmSync(tmp, { force: true });
      } catch {
        // nothing to clean
      }
      this.disable(error);
    }
  }
}
