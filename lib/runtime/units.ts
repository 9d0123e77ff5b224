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

/**
 * Per file, one scope for its module state (the context of its stateful fluxions): every unit of the file is
 * evaluated inside it (a direct eval), so two fluxions that own `count` on this worker share one `count`.
 */
const stateScopes = new Map<string, (source: string) => unknown>();
const stateNamesOf = new Map<string, string[]>();

/** The state this worker holds for a file: the variables it received (and changed since), by name. */
export function stateOf(file: string): Record<string, unknown> {
  const scope = stateScopes.get(file);
  const names = stateNamesOf.get(file) ?? [];
  if (!scope || !names.length) return {};
  const reads = names.map((n) => `if ($flx$ready[${JSON.stringify(n)}]) $flx$o[${JSON.stringify(n)}] = ${n};`).join(' ');
  return scope(`(function () { var $flx$o = {}; ${reads} return $flx$o; })()`) as Record<string, unknown>;
}

/**
 * Forget the state this worker holds for a file: the next message brings the main loop's copy (its fluxions
 * ran on the main loop meanwhile, and came back here).
 */
export function resetState(file: string): void {
  stateScopes.get(file)?.('for (var $flx$k in $flx$ready) delete $flx$ready[$flx$k];');
}

function stateScope(file: string, stateNames: string[]): (source: string) => unknown {
  let scope = stateScopes.get(file);
  if (!scope) {
    stateNamesOf.set(file, stateNames);
    const declare = stateNames.length ? `var ${stateNames.join(', ')};` : '';
    const body = `${declare} var $flx$ready = Object.create(null);
function $flx$default(m) { return Object.prototype.toString.call(m) === '[object Module]' ? m.default : m; }
var $flx$g = globalThis[Symbol.for('fluxion.worker')];
function $flx$pause(v) { return $flx$g ? $flx$g.pause(v) : v; }
function $flx$resume(v) { return $flx$g ? $flx$g.resume(v) : v; }
function $flx$wk(ix, t) { return $flx$g ? $flx$g.nested(__filename, ix, t) : 0; }
return function ($flx$source) { return eval($flx$source); };`;
    scope = (new Function('require', '__filename', '__dirname', body) as (...a: unknown[]) => (source: string) => unknown)(createRequire(file), file, path.dirname(file));
    stateScopes.set(file, scope);
  }
  return scope;
}

/**
 * The function's text with the unit's splices (an async function's clock at its awaits, the counting of the
 * functions nested in it): they call the worker's helpers (worker.ts), and do nothing where there are none
 * (the main loop re-running a message).
 */
function spliced(text: string, unit: CodeUnit): string {
  const [from, to] = unit.range;
  if (!unit.splices?.length) return text.slice(from, to);
  const splices = [...unit.splices].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let out = '';
  let last = from;
  for (const [at, , insert] of splices) {
    out += text.slice(last, at) + insert;
    last = at;
  }
  return out + text.slice(last, to);
}

export function buildFactory(file: string, hash: string, unit: CodeUnit, stateNames: string[] = unit.state): Factory {
  const text = original(file, hash);
  if (text === null) throw new Error(`${file} changed on disk since it was loaded`);
  const lines: string[] = ['(function () {'];
  for (const r of unit.requires) {
    const required = `require(${JSON.stringify(r.specifier)})`;
    // an ES module required is its namespace: a default import is its `default`; a CommonJS module's is itself
    const value = r.import === 'default' ? `$flx$default(${required})` : required;
    lines.push(`var ${r.name} = ${value}${r.path.map((p) => `[${JSON.stringify(p)}]`).join('')};`);
  }
  for (const h of unit.helpers) lines.push(h.prefix + text.slice(h.range[0], h.range[1]) + (h.prefix.startsWith('var ') ? ';' : ''));
  const bind = unit.captured.map((n) => `var ${n} = $flx$env[${JSON.stringify(n)}];`).join(' ');
  // the state comes once, with the first message this worker gets: from then on it lives here
  const init = unit.state.map((n) => `if (!$flx$ready[${JSON.stringify(n)}]) { $flx$ready[${JSON.stringify(n)}] = true; ${n} = $flx$env[${JSON.stringify(n)}]; }`).join(' ');
  lines.push(`return function ($flx$env) { ${bind} ${init} return (${unit.prefix}${spliced(text, unit)}); };`);
  lines.push('})()');
  return stateScope(file, [...new Set([...stateNames, ...unit.state])])(lines.join('\n')) as Factory;
}
