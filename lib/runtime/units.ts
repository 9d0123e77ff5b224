/**
 * Builds a code unit into a function factory: `factory(env)` returns the fluxion's function with its captured
 * variables bound. Used by the workers, and by the main loop to re-run a message a crashed worker held.
 * The function's text is read again from the original file and checked against the hash the compiler saw.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import type { CodeUnit } from '../internal-types';

export type Factory = (env: Record<string, unknown> | null) => (...args: unknown[]) => unknown;

const sources = new Map<string, string | null>();

function original(file: string, hash: string): string | null {
  const key = `${file}\0${hash}`;
  if (!sources.has(key)) {
    let text: string | null;
    try {
      text = fs.readFileSync(file, 'utf8');
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      if (createHash('sha1').update(text).digest('hex') !== hash) text = null;
    } catch {
      text = null;
    }
    sources.set(key, text);
  }
  return sources.get(key)!;
}

export function buildFactory(file: string, hash: string, unit: CodeUnit): Factory {
  const text = original(file, hash);
  if (text === null) throw new Error(`${file} changed on disk since it was loaded`);
  const lines: string[] = [];
  for (const r of unit.requires) {
    const required = `require(${JSON.stringify(r.specifier)})`;
    // an ES module required is its namespace: a default import is its `default`; a CommonJS module's is itself
    const value = r.import === 'default' ? `$flx$default(${required})` : required;
    lines.push(`var ${r.name} = ${value}${r.path.map((p) => `[${JSON.stringify(p)}]`).join('')};`);
  }
  lines.unshift("function $flx$default(m) { return Object.prototype.toString.call(m) === '[object Module]' ? m.default : m; }");
  for (const h of unit.helpers) lines.push(h.prefix + text.slice(h.range[0], h.range[1]) + (h.prefix.startsWith('var ') ? ';' : ''));
  const bind = unit.captured.map((n) => `var ${n} = $flx$env[${JSON.stringify(n)}];`).join(' ');
  lines.push(`return function ($flx$env) { ${bind} return (${unit.prefix}${text.slice(unit.range[0], unit.range[1])}); };`);
  const outer = new Function('require', '__filename', '__dirname', lines.join('\n')) as (...a: unknown[]) => Factory;
  return outer(createRequire(file), file, path.dirname(file));
}
