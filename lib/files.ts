/** Reading a user's source file for the compiler: clear errors for what cannot be compiled. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FluxionError } from './errors';

export interface SourceFile {
  file: string;
  source: string;
  sourceType: 'commonjs' | 'module' | undefined;
}

export function readSourceFile(file: string): SourceFile {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new FluxionError('E_NOT_FOUND', 'no such file', { file });
    throw new FluxionError('E_READ', `cannot read it (${code ?? String(error)})`, { file });
  }
  if (stat.isDirectory()) throw new FluxionError('E_IS_DIRECTORY', 'is a directory: give the file of the app (e.g. app.js)', { file });
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (error) {
    throw new FluxionError('E_READ', `cannot read it (${(error as NodeJS.ErrnoException).code ?? String(error)})`, { file });
  }
  if (bytes.subarray(0, 8000).includes(0)) throw new FluxionError('E_BINARY', 'is a binary file, not JavaScript', { file });
  return { file, source: bytes.toString('utf8'), sourceType: sourceTypeOf(file) };
}

/** Node's rules: `.mjs` is ESM, `.cjs` CommonJS, `.js` follows the nearest package.json's "type". */
export function sourceTypeOf(file: string): 'commonjs' | 'module' | undefined {
  const ext = path.extname(file);
  if (ext === '.mjs') return 'module';
  if (ext === '.cjs') return 'commonjs';
  for (let dir = path.dirname(path.resolve(file)); ; dir = path.dirname(dir)) {
    const pkg = path.join(dir, 'package.json');
    if (fs.existsSync(pkg)) {
      try {
        const type = (JSON.parse(fs.readFileSync(pkg, 'utf8')) as { type?: unknown }).type;
        return type === 'module' ? 'module' : type === 'commonjs' ? 'commonjs' : undefined;
      } catch {
        return undefined;
      }
    }
    if (path.dirname(dir) === dir) return undefined;
  }
}
