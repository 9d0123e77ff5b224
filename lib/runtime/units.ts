/**
 * Builds a code unit into a function factory: `factory(env)` returns the fluxion's function with its captured
 * variables bound. Used by the workers, and by the main loop to re-run a message a crashed worker held.
 * The function's text is read again from the original file and checked against the hash the compiler saw.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { compileFunction } from 'node:vm';
import type { CodeUnit } from '../internal-types';

export type Factory = (env: Record<string, unknown> | null) => (...args: unknown[]) => unknown;

const sources = new Map<string, string | null>();

export function original(file: string, hash: string): string | null {
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
function $flx$once(k, make) { return $flx$g ? $flx$g.once(k, make) : make(); }
var $flx$url = require('node:url').pathToFileURL(__filename).href;
function $flx$spec(s) { return new URL(s, $flx$url).href; }
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
  const requires = unit.requires.map((r) => {
    const required = `require(${JSON.stringify(r.specifier)})`;
    // an ES module required is its namespace: a default import is its `default`; a CommonJS module's is itself
    const value = r.import === 'default' ? `$flx$default(${required})` : required;
    return `var ${r.name} = ${value}${r.path.map((p) => `[${JSON.stringify(p)}]`).join('')};`;
  });
  const bind = unit.captured.map((n) => `var ${n} = $flx$env[${JSON.stringify(n)}];`).join(' ');
  // the state comes once, with the first message this worker gets: from then on it lives here
  const init = unit.state.map((n) => `if (!$flx$ready[${JSON.stringify(n)}]) { $flx$ready[${JSON.stringify(n)}] = true; ${n} = $flx$env[${JSON.stringify(n)}]; }`).join(' ');
  const pieces: Piece[] = unit.helpers.map((h) => ({ range: h.range, before: h.prefix, text: text.slice(h.range[0], h.range[1]), after: h.prefix.startsWith('var ') ? ';' : '', ...madeOnce(file, hash, unit, h) }));
  // the module's functions the fluxion calls (helpers) read the module's constants it was given, as it does: they
  // see them in the scope around them, set with each message (the fluxion's own bindings stay its own, as an
  // async function's of one message must stay while another's message runs)
  const shared = unit.helpers.length && unit.captured.length ? unit.captured : [];
  const around = shared.length ? ` var ${shared.join(', ')}; function $flx$bind($flx$env) { ${shared.map((n) => `${n} = $flx$env[${JSON.stringify(n)}];`).join(' ')} }` : '';
  pieces.push({ range: unit.range, before: `var $flx$f = function ($flx$env) { ${shared.length ? '$flx$bind($flx$env); ' : ''}${bind} ${init} return (${unit.prefix}`, text: spliced(text, unit), after: '); };' });
  const name = sourceName(file, unit);
  // the file's classes it carries, noted as that file's (serialize.ts: an error of one goes back as the original's)
  const classes = unit.helpers.filter((h) => /^class\b/.test(text.slice(h.range[0], h.range[0] + 6))).map((h) => h.name);
  const note = classes.length ? ` var $flx$k = globalThis[Symbol.for('fluxion.worker')]; if ($flx$k && $flx$k.noteClass) { ${classes.map((c) => `$flx$k.noteClass(${JSON.stringify(file)}, ${JSON.stringify(c)}, ${c});`).join(' ')} }` : '';
  const once = unit.helpers.some((h) => h.once) ? ' var $flx$new = Object.create(null);' : '';
  const source = layout(text, pieces, `(function () { ${unit.strict ? "'use strict'; " : ''}${requires.join(' ')}${around}${once}`, `${note} return $flx$f; })()`, name);
  // (`import()` works in evaluated code, not in a compiled function without a loader of its own)
  if (unit.state.length || DYNAMIC_IMPORT.test(source)) return stateScope(file, [...new Set([...stateNames, ...unit.state])])(source) as Factory;
  // a fluxion without module state needs no shared scope: a script (not an eval, whose anonymous functions V8
  // calls `eval`) names its frames as plain node does (`at /app.js:6:9`)
  const g = (globalThis as Record<symbol, WorkerKit | undefined>)[Symbol.for('fluxion.worker')];
  const run = compileFunction(`return ${source}`, ['require', '__filename', '__dirname', '$flx$default', '$flx$pause', '$flx$resume', '$flx$wk', '$flx$once'], { filename: name });
  return run(
    createRequire(file),
    file,
    path.dirname(file),
    (m: unknown) => (Object.prototype.toString.call(m) === '[object Module]' ? (m as { default: unknown }).default : m),
    (v: unknown) => (g ? g.pause(v) : v),
    (v: unknown) => (g ? g.resume(v) : v),
    (ix: number, t?: number) => (g ? g.nested(file, ix, t) : 0),
    (key: string, make: () => unknown) => (g ? g.once(key, make) : make()),
  ) as Factory;
}

/**
 * A module constant a known factory made, and the statements configuring it (CodeUnit helpers' `once`): a worker
 * makes it once, with the first unit of its file that uses it, and gives that one to the others (one winston logger,
 * one File transport's file handle, one compiled schema per worker, as the main thread has one), which skip its
 * configuration. Where no worker asks (the main loop running a unit after a crash), each unit makes its own.
 */
function madeOnce(file: string, hash: string, unit: CodeUnit, helper: CodeUnit['helpers'][number]): Partial<Piece> {
  const made = helper.once === 'make' ? helper : unit.helpers.find((h) => h.once === 'make' && h.name === helper.name);
  if (!helper.once || !made) return {};
  const key = JSON.stringify(`${file}#${hash}:${made.range[0]}`);
  if (helper.once === 'configure') return { before: `if ($flx$new[${key}]) { `, after: ' }' };
  return { before: `${helper.prefix}$flx$once(${key}, function () { $flx$new[${key}] = true; return (`, after: '); });' };
}

/** What a worker gives its code units (worker.ts): the clock of an async function, the count of nested ones. */
interface WorkerKit {
  pause(value: unknown): unknown;
  resume(value: unknown): unknown;
  nested(file: string, ix: number, t?: number): number;
  once(key: string, make: () => unknown): unknown;
}

interface Piece {
  range: [number, number];
  before: string;
  text: string;
  after: string;
}

/**
 * The code a worker evaluates, with every piece of the app's text (the function, the module's helpers it calls) at
 * its line and column in the app's file, and the code around them placed in the gaps (where a gap has no line
 * break, the piece after it moves right): named by the file (`sourceURL`), a worker's stack frames read as plain
 * node's, `at …/app.js:6:9` (V8 calls an anonymous function of evaluated code `eval`). Ranges that overlap (a
 * helper around the function) are put one after the other, lines no longer kept.
 */
function layout(text: string, pieces: Piece[], open: string, close: string, name: string): string {
  pieces.sort((a, b) => a.range[0] - b.range[0]);
  let out = open;
  let at = 0;
  let column = out.length;
  for (const piece of pieces) {
    const [from, to] = piece.range;
    out += piece.before;
    column += piece.before.length;
    if (from >= at) {
      const breaks = text.slice(at, from).match(LINE_BREAK);
      const want = from - lineStart(text, from);
      if (breaks) {
        out += breaks.join('');
        column = 0;
      }
      if (want > column) out += ' '.repeat(want - column);
      at = to;
    } else {
      out += ' ';
      at = Math.max(at, to);
    }
    out += piece.text + piece.after;
    const last = piece.text.match(LAST_LINE)!;
    column = last.index! > 0 ? last[0].length + piece.after.length : column + piece.text.length + piece.after.length;
  }
  return `${out}${close}\n//# sourceURL=${name}`;
}

const DYNAMIC_IMPORT = /\bimport\s*\(/;
const LINE_BREAK = /\r\n|[\n\r\u2028\u2029]/g;
const LAST_LINE = /[^\n\r\u2028\u2029]*$/;

function lineStart(text: string, offset: number): number {
  let i = offset;
  while (i > 0 && !'\n\r\u2028\u2029'.includes(text[i - 1])) i--;
  return i;
}

/** What plain node's frames call the file: its path (CommonJS), its URL (an ES module). */
function sourceName(file: string, unit: CodeUnit): string {
  return unit.esm || file.endsWith('.mjs') ? pathToFileURL(file).href : file;
}
