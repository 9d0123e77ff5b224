/**
 * Read replicas of a file's state (FluxionalProgram.reads). A file with state whose exports others call (`posts.js`:
 * `const posts = []; exports.add = …posts.push(…); exports.stats = () => …posts.length…`) keeps that state on the
 * main loop: code calling `add` stays there with it. Code calling only exports that *read* the state (`stats`,
 * `all`) may run on any worker, with a copy of the state that goes along when it changed since that worker last
 * got it. How the runtime knows it changed: every function of the file that is not read-only (the compiler's
 * judgement below, conservative) says so as it starts and as it ends (`$flx$().wb()` / `we()` around its body,
 * instrument.ts), an async one at its end too, after its last await; what changes the state any other way (another
 * file writing its exports, or the objects its exports hand out: FluxionalProgram.writes) keeps the readers home
 * (specifiers.ts stateReason).
 *
 * Read-only means, for a function's own text (the functions written in it are judged on their own): it assigns no
 * variable but its own, changes no object (assignment to a member, `++`, `delete`, a method that is not known to
 * only read) but one it made itself (a literal, `new Map()`, the array `filter`/`map`/`slice` return), and calls
 * nothing but the file's own functions, methods known to only read, and globals that only read (`Object.keys`,
 * `JSON.stringify`, `Math.max`). Anything else (a callback handed in, a package's function) might write what it is
 * given.
 */
import type { AstNode, FunctionNode } from './ast';
import { isFunction, propertyName } from './ast';
import type { Analysis } from './index';
import { exportedValues, resolved } from './exports';
import { codeUnit, sharedMemory } from './units';
import type { Variable } from './scopes';

/** Methods that only read their receiver (arrays, strings, Maps, Sets, Dates, numbers, objects). */
const READ_METHODS = new Set([
  'at', 'concat', 'entries', 'every', 'filter', 'find', 'findIndex', 'findLast', 'findLastIndex', 'flat', 'flatMap',
  'forEach', 'includes', 'indexOf', 'join', 'keys', 'lastIndexOf', 'map', 'reduce', 'reduceRight', 'slice', 'some',
  'values', 'with', 'charAt', 'charCodeAt', 'codePointAt', 'endsWith', 'startsWith', 'localeCompare', 'match',
  'matchAll', 'normalize', 'padEnd', 'padStart', 'repeat', 'replace', 'replaceAll', 'search', 'split', 'substring',
  'substr', 'trim', 'trimStart', 'trimEnd', 'valueOf', 'exec', 'test', 'format',
]);
/** Of those, the ones that call a function they are given: it must be written here, or be one of the file's. */
const CALLING_METHODS = new Set(['forEach', 'map', 'filter', 'find', 'findIndex', 'findLast', 'findLastIndex', 'every', 'some', 'reduce', 'reduceRight', 'flatMap', 'replace', 'replaceAll', 'from', 'toSorted']);
/** Prefixes of methods that only read: `get`, `has`, `is`, `to` (Map#get, Date#getTime, toFixed, toSorted…). */
const READ_PREFIX = /^(get|has|is|to)([A-Z]|$)/;
/** Globals whose members only read what they are given. */
const READ_NAMESPACES = new Set(['Object', 'JSON', 'Math', 'Number', 'String', 'Array', 'Date', 'Symbol', 'Promise', 'console', 'Intl', 'Boolean', 'BigInt']);
/** Those members that write their first argument. */
const WRITING_MEMBERS = new Set(['assign', 'defineProperty', 'defineProperties', 'setPrototypeOf', 'freeze', 'seal', 'preventExtensions']);
/** Global functions that only read. */
const READ_GLOBALS = new Set(['String', 'Number', 'Boolean', 'BigInt', 'Symbol', 'parseInt', 'parseFloat', 'isNaN', 'isFinite', 'encodeURIComponent', 'decodeURIComponent', 'encodeURI', 'decodeURI', 'structuredClone', 'Date', 'Error', 'TypeError', 'RangeError']);
/** Constructors whose new object is the caller's own (`new Map(posts.map(…))`: a new Map of the same items). */
const MAKERS = new Set(['Map', 'Set', 'Array', 'Object', 'Date', 'RegExp', 'Error', 'TypeError', 'RangeError', 'URL', 'URLSearchParams', 'WeakMap', 'WeakSet']);
/** Methods whose result is a new object: what the caller may change (its items stay the state's). */
const FRESH_METHODS = new Set(['map', 'filter', 'slice', 'concat', 'flat', 'flatMap', 'toSorted', 'toReversed', 'toSpliced', 'with', 'split', 'keys', 'values', 'entries', 'fromEntries', 'from', 'of', 'parse', 'match', 'matchAll']);

export interface Reads {
  /** Export name → the specifiers its code reaches (app files and packages), for each export that only reads. */
  exports: Record<string, string[]>;
  /** The state those exports read: what goes to a worker's copy of the file. */
  state: string[];
  /** The functions of the file that are not read-only: they tell the runtime as they start and end. */
  writers: Set<AstNode>;
}

/**
 * The file's exports that read its state and write none, with what they reach; null when there is none, or the
 * file is not a CommonJS file keeping its state in module variables (a worker loads its own copy of the file and
 * gives it the state through a setter appended to its text), or a generator or `for await` could change the state
 * between resumptions nobody sees.
 */
export function exportsRead(analysis: Analysis): Reads | null {
  const reads = judge(analysis);
  if (reads) readersOf.set(analysis, reads);
  return reads;
}

/** What exportsRead found, for the instrumentation of the same analysis (the writers' notices). */
export const readersOf = new WeakMap<Analysis, Reads>();

function judge(analysis: Analysis): Reads | null {
  const { state } = analysis.program;
  if (!state.length || state.includes('this') || analysis.program.atLoad || analysis.ast.sourceType === 'module') return null;
  if (analysis.index.ofType('WithStatement').length || analysis.index.ofType('CallExpression').some((c) => c.callee.type === 'Identifier' && c.callee.name === 'eval')) return null;
  const functions = analysis.index.nodes.filter(isFunction) as FunctionNode[];
  const writers = notReadOnly(analysis);
  const readOnly = (fn: AstNode): boolean => !writers.has(fn);
  // what runs again after a pause, unseen: a generator's next(), a `for await` loop's turns
  if ([...writers].some((fn) => fn.generator) || analysis.index.ofType('ForOfStatement').some((f) => f.await)) return null;
  const out: Record<string, string[]> = {};
  const read = new Set<string>();
  for (const [name, value] of exportedValues(analysis)) {
    if (!isFunction(value) || value.generator || analysis.program.reach?.[name]) continue;
    const unit = codeUnit(value, analysis);
    // (module memory other code uses too is what it reads: the copy goes along)
    const shared = state.filter((n) => unit?.blockers.includes(sharedMemory(n)));
    if (!unit || unit.blockers.some((b) => !shared.some((n) => b === sharedMemory(n)))) continue;
    const names = [...new Set([...unit.captured, ...unit.state, ...shared])].filter((n) => state.includes(n));
    if (!names.length) continue;
    // the export, the functions written in it, and the module functions it calls (classes: no)
    const ranges: Array<[number, number]> = [unit.range, ...unit.helpers.map((h) => h.range)];
    if (unit.helpers.some((h) => /^class\b/.test(analysis.text.slice(h.range[0], h.range[0] + 6)))) continue;
    const covered = functions.filter((fn) => ranges.some(([from, to]) => fn.start >= from && fn.end <= to));
    if (covered.some((fn) => !readOnly(fn))) continue;
    out[name] = [...new Set([...unit.requires.map((r) => r.specifier), ...(unit.inline ?? [])])];
    for (const n of names) read.add(n);
  }
  if (!Object.keys(out).length) return null;
  return { exports: out, state: state.filter((n) => read.has(n)), writers };
}

/**
 * The functions whose own text (not the functions written in it) may change what they did not make themselves:
 * one pass over the file's writes and calls, each charged to the innermost function around it.
 */
function notReadOnly(analysis: Analysis): Set<AstNode> {
  const { parentOf } = analysis.pipeline.ownership;
  const { referenceOf } = analysis.scopes;
  const ownerOf = (node: AstNode): AstNode | null => {
    for (let p = parentOf.get(node); p; p = parentOf.get(p)) if (isFunction(p)) return p;
    return null;
  };
  // a variable of a function's (fn's, or one around it: a counter the callback of `forEach` adds to), not the module's
  const local = (variable: Variable | null | undefined): boolean => !!variable && variable.scope !== analysis.scopes.moduleScope && variable.scope.type !== 'global' && variable.scope.type !== 'module';
  // such a variable that only ever holds an object made by the code that set it
  const fresh = (id: AstNode): boolean => {
    if (id.type !== 'Identifier') return false;
    const variable = referenceOf.get(id)?.resolved;
    if (!variable || !local(variable) || variable.defs.some((d) => d.type !== 'Variable')) return false;
    return variable.references.every((r) => !r.isWrite() || (r.writeExpr ? madeHere(r.writeExpr as unknown as AstNode) : false));
  };
  // the value is a new object (its items may still be the state's)
  const madeHere = (value: AstNode): boolean => {
    switch (value.type) {
      case 'ObjectExpression':
      case 'ArrayExpression':
      case 'Literal':
      case 'TemplateLiteral':
        return true;
      case 'NewExpression':
        return value.callee.type === 'Identifier' && MAKERS.has(value.callee.name);
      case 'CallExpression':
        return value.callee.type === 'MemberExpression' && !value.callee.computed && FRESH_METHODS.has(propertyName(value.callee) ?? '');
      default:
        return false;
    }
  };
  // a function of the file's, by a name nothing assigns again (judged on its own: it says so if it writes)
  const moduleFunction = (id: AstNode): boolean => resolved(id, analysis) !== null;
  // what a write changes: a member of an object fn made itself, or a variable of its own
  const writable = (target: AstNode): boolean => {
    if (target.type === 'Identifier') return local(referenceOf.get(target)?.resolved);
    if (target.type === 'MemberExpression') return fresh(target.object);
    if (target.type === 'ObjectPattern') return (target.properties as AstNode[]).every((p) => writable(p.type === 'RestElement' ? p.argument : p.value));
    if (target.type === 'ArrayPattern') return (target.elements as Array<AstNode | null>).every((e) => !e || writable(e.type === 'RestElement' ? e.argument : e));
    if (target.type === 'AssignmentPattern') return writable(target.left);
    return false;
  };
  const out = new Set<AstNode>();
  for (const type of ['AssignmentExpression', 'UpdateExpression', 'UnaryExpression', 'ForOfStatement', 'ForInStatement', 'CallExpression', 'NewExpression', 'TaggedTemplateExpression', 'ThisExpression', 'Super']) {
    for (const node of analysis.index.ofType(type)) {
      const fn = ownerOf(node);
      if (!fn || out.has(fn)) continue;
      let reads: boolean;
      switch (type) {
        case 'AssignmentExpression':
          reads = writable(node.left);
          break;
        case 'UpdateExpression':
          reads = writable(node.argument);
          break;
        case 'UnaryExpression':
          reads = node.operator !== 'delete' || writable(node.argument);
          break;
        case 'ForOfStatement':
        case 'ForInStatement':
          reads = node.left.type === 'VariableDeclaration' || writable(node.left);
          break;
        case 'NewExpression':
          reads = node.callee.type === 'Identifier' && MAKERS.has(node.callee.name) && !referenceOf.get(node.callee)?.resolved;
          break;
        case 'CallExpression':
          reads = readingCall(node, analysis, (n) => fresh(n) || madeHere(n), moduleFunction);
          break;
        default:
          // a tagged template calls a function; `this`/`super`: methods of objects made at load time
          reads = false;
      }
      if (!reads) out.add(fn);
    }
  }
  return out;
}

/** A call that only reads: the file's own functions, methods known to only read, globals that only read. */
function readingCall(call: AstNode, analysis: Analysis, fresh: (node: AstNode) => boolean, moduleFunction: (node: AstNode) => boolean): boolean {
  const callee = call.callee;
  if (callee.type === 'Identifier') {
    // a global of the list, not one the file declares (`const String = …`), or `require('./other')` (loading another
    // file: what its functions do is judged by their names, as any method's); a function of the file's
    if (!analysis.scopes.referenceOf.get(callee)?.resolved) return READ_GLOBALS.has(callee.name) || (callee.name === 'require' && call.arguments.length === 1 && call.arguments[0].type === 'Literal');
    return moduleFunction(callee);
  }
  if (callee.type !== 'MemberExpression' || callee.computed) return false;
  const name = propertyName(callee) ?? '';
  // the function `forEach`, `map`, `replace` call: written here (judged on its own), or the file's; not one handed in
  if (CALLING_METHODS.has(name)) {
    const given = (call.arguments as AstNode[])[name === 'from' || name === 'replace' || name === 'replaceAll' ? 1 : 0];
    const known = !given || isFunction(given) || given.type === 'Literal' || given.type === 'TemplateLiteral' || moduleFunction(given) || (given.type === 'Identifier' && READ_GLOBALS.has(given.name) && !analysis.scopes.referenceOf.get(given)?.resolved);
    if (!known) return false;
  }
  // `Object.keys(x)`, `JSON.stringify(x)`, `Math.max(…)`; `Object.assign(target, …)` writes target
  if (callee.object.type === 'Identifier' && READ_NAMESPACES.has(callee.object.name) && !analysis.scopes.referenceOf.get(callee.object)?.resolved) {
    if (!WRITING_MEMBERS.has(name)) return true;
    const target = call.arguments[0] as AstNode | undefined;
    return !!target && fresh(target);
  }
  // a method of an object the code made itself may write it (`[...tags.keys()].sort()`); any other only reads when
  // its name says so
  if (fresh(callee.object)) return true;
  return READ_METHODS.has(name) || READ_PREFIX.test(name);
}
