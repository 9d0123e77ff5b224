/**
 * Code units: for each instrumented function, what another event loop needs to run it, or why it can't.
 * Free variables come from eslint-scope's `through` references of the function's scope:
 * - a module binding from `require()` (also destructured, or a member of it) is required again there;
 * - a module function declared with `function f` or `var f = function` is shipped as source (transitively);
 * - a variable of an enclosing function, or a module constant/value, is read through the environment getter
 *   and travels in the message (written by the function: blocker, the write would be lost);
 * - module memory written after start-up (scope/share), ES module imports, `module`/`exports`, `this`,
 *   `eval`, `with`, writes to globals, sockets (`req.socket`): blockers.
 */
import { isFunction, isFunctionNamespace, memberPath, requireSpecifier, propertyName, type AstNode, type FunctionNode } from './ast';
import { appFileAlias, derivedFrom, moduleRequire, pureFrom, REPLAY_GLOBALS, unremadeReason } from './factories';
import type { Analysis } from './index';
import { isMutation, memberUse, writesEnvVariable } from './pipeliner';
import type { Variable } from './scopes';
import { MADE_HANDLER, type CodeUnit } from '../internal-types';
import type { ForeignWrite } from '../types';
import { isBuiltin } from 'node:module';
import { CONNECT_METHODS, isLocal } from '../specifiers';

/** `./x.mjs`, `../y.js`, `/abs/z.js`, `file:///…`: what `import()` resolves against the importing file. */
export function isFileSpecifier(spec: string): boolean {
  return isLocal(spec) || spec.startsWith('file:');
}

const SOCKETS = new Set(['socket', 'connection']);
/** The response's methods that return it (express's setters, Node's `setHeader`/`writeHead`): chained, still `res`. */
const RETURNS_RESPONSE = new Set(['status', 'set', 'header', 'type', 'contentType', 'append', 'cookie', 'clearCookie', 'location', 'links', 'vary', 'attachment', 'setHeader', 'writeHead']);
/** Methods of Node's IncomingMessage (a stream on a socket) that the request snapshot a worker gets has not. */
const REQUEST_STREAM_METHODS = new Set(['setTimeout', 'pause', 'resume', 'read', 'setEncoding', 'unpipe', 'unshift', 'destroy', 'wrap', 'pipe', 'isPaused', 'push']);

/**
 * Globals every thread has (ECMAScript's and Node's everyday ones), left out of a unit's `globals` to keep it
 * short; the runtime checks the others against what Node had before the app's first line (Registry.appGlobal).
 */
const EVERYDAY_GLOBALS = new Set(
  ('Object Function Array String Number Boolean Symbol BigInt Math JSON Date RegExp Error TypeError RangeError ' +
    'SyntaxError ReferenceError EvalError URIError AggregateError Promise Map Set WeakMap WeakSet WeakRef Proxy Reflect ' +
    'ArrayBuffer SharedArrayBuffer DataView Atomics Int8Array Uint8Array Uint8ClampedArray Int16Array Uint16Array ' +
    'Int32Array Uint32Array Float32Array Float64Array BigInt64Array BigUint64Array Intl parseInt parseFloat isNaN ' +
    'isFinite encodeURIComponent decodeURIComponent encodeURI decodeURI escape unescape NaN Infinity undefined ' +
    'globalThis global process Buffer console setTimeout setInterval setImmediate clearTimeout clearInterval ' +
    'clearImmediate queueMicrotask structuredClone URL URLSearchParams TextEncoder TextDecoder AbortController ' +
    'AbortSignal fetch Request Response Headers FormData Blob performance crypto atob btoa require module exports ' +
    '__dirname __filename').split(' '),
);

/**
 * Methods of `process` that act on the process as a whole, which a worker thread's `process` refuses (`chdir`,
 * `umask(mask)`, `setuid`…, `abort`) or would do for its thread (listeners: `process.on('SIGTERM', …)`).
 * (`process.exit()` moves: a worker hands it to the main thread, worker.ts.)
 */
const PROCESS_WIDE = new Set(
  ('abort chdir umask setuid setgid seteuid setegid setgroups initgroups on once addListener prependListener ' +
    'prependOnceListener off removeListener removeAllListeners').split(' '),
);

/** `process.exit(…)` and the like: the method's name, or null. */
function processWideCall(id: AstNode, parentOf: Map<AstNode, AstNode>): string | null {
  if (id.name !== 'process') return null;
  const use = memberUse(id, parentOf);
  if (!use || use.members.length !== 1 || use.parent.type !== 'CallExpression' || use.parent.callee !== use.node) return null;
  const method = use.members[0];
  return method != null && PROCESS_WIDE.has(method) ? method : null;
}

const LISTENING = new Set(['on', 'once', 'addListener', 'prependListener', 'prependOnceListener']);

/**
 * `process.on('exit', f)`, `process.once('SIGTERM', onSignal)` (f written there, or a function declared or assigned
 * to a variable given there): a listener of the process's events, which Node runs as the event happens ('exit': just
 * before the process ends, a message to a worker would never be answered).
 */
function listensToProcess(fn: FunctionNode, analysis: Analysis): boolean {
  const { parentOf } = analysis.pipeline.ownership;
  const given = (node: AstNode): boolean => {
    const call = parentOf.get(node);
    if (call?.type !== 'CallExpression' || !(call.arguments as AstNode[]).includes(node)) return false;
    const callee = call.callee as AstNode;
    return callee.type === 'MemberExpression' && callee.object.type === 'Identifier' && callee.object.name === 'process' && LISTENING.has(propertyName(callee) ?? '');
  };
  if (given(fn)) return true;
  const parent = parentOf.get(fn);
  const id = fn.id?.type === 'Identifier' ? fn.id : parent?.type === 'VariableDeclarator' && parent.init === fn && parent.id.type === 'Identifier' ? parent.id : null;
  if (!id) return false;
  const variable = analysis.scopes.manager.getDeclaredVariables((fn.type === 'FunctionDeclaration' ? fn : parent) as never).find((v) => v.name === id.name);
  return !!variable?.references.some((r) => given(r.identifier as unknown as AstNode));
}

/** `globalThis.db` or `global.db` (a read or a write): `db`; null for anything else. */
function globalMember(id: AstNode, parentOf: Map<AstNode, AstNode>): string | null {
  if (id.name !== 'globalThis' && id.name !== 'global') return null;
  const parent = parentOf.get(id);
  return parent?.type === 'MemberExpression' && parent.object === id ? propertyName(parent) : null;
}

type Partial = Omit<CodeUnit, 'range' | 'prefix' | 'helpers'> & { helpers: Array<CodeUnit['helpers'][number] & { fn: FunctionNode }> };
// (a helper's `state` is module memory it writes: the unit that calls it cannot own it alone)

/** Per analysis: each function's own free variables, computed once (helpers are shared by many units). */
const memo = new WeakMap<object, { partials: Map<AstNode, Partial>; written: Map<Variable, boolean> }>();

export function codeUnit(fn: FunctionNode, analysis: Analysis, made?: Partial): CodeUnit | null {
  if (fn.generator) return null;
  let cache = memo.get(analysis.pipeline);
  if (!cache) memo.set(analysis.pipeline, (cache = { partials: new Map(), written: new Map() }));
  const unit: CodeUnit = { range: [fn.start, fn.end], prefix: methodPrefix(fn, analysis), captured: [], requires: [], helpers: [], state: [], shared: [], blockers: [] };
  if (inStrictCode(fn, analysis)) unit.strict = true;
  if (analysis.ast.sourceType === 'module') unit.esm = true;
  // nothing in it can run after it returns (no function written in it, no await): what it did not do with res or
  // next by then, it never does
  const inside = (n: AstNode) => n !== fn && n.start >= fn.start && n.end <= fn.end;
  if (!fn.async && !['FunctionExpression', 'ArrowFunctionExpression', 'FunctionDeclaration', 'ClassExpression', 'ClassDeclaration'].some((type) => analysis.index.ofType(type).some(inside))) unit.leaf = true;
  // the function and, transitively, the module functions it calls
  const queue: FunctionNode[] = [fn];
  const seen = new Set<AstNode>([fn]);
  const methods = new Set<AstNode>();
  const globals: string[] = [];
  const constants: string[] = [];
  const closureCaptured: string[] = [];
  while (queue.length) {
    const current = queue.shift()!;
    let partial = current === fn && made ? made : cache.partials.get(current);
    if (!partial) cache.partials.set(current, (partial = collect(current, analysis, cache.written)));
    for (const name of partial.captured) {
      add(unit.captured, name);
      if (partial.constants?.includes(name)) add(constants, name);
      else add(closureCaptured, name);
    }
    for (const name of partial.globals ?? []) add(globals, name);
    if (partial.app) {
      unit.app ??= { settings: [], locals: [] };
      for (const name of partial.app.settings) add(unit.app.settings, name);
      for (const name of partial.app.locals) add(unit.app.locals, name);
    }
    for (const r of partial.requires) if (!unit.requires.some((x) => x.name === r.name)) unit.requires.push(r);
    unit.blockers.push(...(methods.has(current) ? partial.blockers.filter((b) => b !== 'uses `this`') : partial.blockers));
    if (current === fn) {
      unit.state.push(...partial.state);
      unit.shared.push(...partial.shared);
    }
    else {
      for (const name of partial.state) unit.blockers.push(`\`${name}\`, module memory, is written by a function it calls`);
      // (a worker resolves the function's own `import('./x')` from its file; a helper's is not rewritten so)
      if (analysis.index.ofType('ImportExpression').some((c) => c.start >= current.start && c.end <= current.end)) unit.blockers.push('a function it calls uses `import()`');
    }
    for (const h of partial.helpers) {
      if (seen.has(h.fn)) continue;
      seen.add(h.fn);
      unit.helpers.push(h.once ? { name: h.name, range: h.range, prefix: h.prefix, once: h.once } : { name: h.name, range: h.range, prefix: h.prefix });
      // (a constant made again from its text — a factory's call, `promisify(fs.readFile)`, a constant it reads,
      // `process.env.LOG_LEVEL || 'info'` —, or a statement configuring it, factories.ts startupConfiguration: what
      // they read is in the unit already)
      const node = h.fn as unknown as AstNode;
      if (!isFunction(node) && node.type !== 'ClassDeclaration' && node.type !== 'ClassExpression' && !isFunctionNamespace(node)) continue;
      if (node.type !== 'ObjectExpression') queue.push(h.fn);
      else {
        // a namespace of functions travels whole: its functions are analysed one by one, and their `this` is it
        for (const p of (h.fn as unknown as AstNode).properties as AstNode[]) {
          seen.add(p.value);
          methods.add(p.value);
          queue.push(p.value);
        }
      }
    }
  }
  if (globals.length) unit.globals = globals;
  // what its functions require where they run (`require('./store').add(x)` in a handler): required there again by
  // the worker's own `require`, and checked for state as the module's requires are
  const inline = new Set<string>();
  for (const call of analysis.index.ofType('CallExpression')) {
    const specifier = requireSpecifier(call);
    if (specifier === null || unit.requires.some((r) => r.specifier === specifier)) continue;
    for (const node of seen) if (call.start >= node.start && call.end <= node.end) inline.add(specifier);
  }
  if (inline.size) unit.inline = [...inline];
  unit.requires = requireMembers(unit.requires, seen, analysis);
  // (a name that one of its functions captures from a function around it is that closure's, per message)
  const shared = constants.filter((n) => !closureCaptured.includes(n));
  if (shared.length) unit.constants = shared;
  if (listensToProcess(fn, analysis)) unit.blockers.push("listens to `process` ('exit', a signal, 'uncaughtException'…): the main thread's events, run as they happen");
  unit.blockers = [...new Set(unit.blockers)];
  if (!made) unit.uses = usesOf(fn, unit.captured, analysis);
  return unit;
}

/**
 * The code unit of a handler a known package makes at a dynamic site (factories.ts madeHandler:
 * `createHandler({ schema, rootValue: root })`): on a worker, the call is made once, where the file makes it, after
 * what its arguments read (the schema made again, the resolvers, the constants and functions they use), and each
 * message runs what it made. Its `uses` are unknown (the package's code reads the request): the whole request goes.
 */
export function madeHandlerUnit(call: AstNode, used: Array<[string, Variable]>, analysis: Analysis): CodeUnit {
  let cache = memo.get(analysis.pipeline);
  if (!cache) memo.set(analysis.pipeline, (cache = { partials: new Map(), written: new Map() }));
  const start: Partial = { captured: [], requires: [], helpers: [], state: [], shared: [], blockers: [], globals: [] };
  const seen = new Set<Variable>();
  for (const [name, variable] of used) {
    if (seen.has(variable)) continue;
    seen.add(variable);
    factoryInput(variable, name, analysis, start, cache.written, call as unknown as FunctionNode);
  }
  const unit = codeUnit(call as unknown as FunctionNode, analysis, start)!;
  unit.range = [call.start, call.start];
  unit.prefix = MADE_HANDLER;
  delete unit.leaf;
  unit.helpers.push({ name: MADE_HANDLER, range: [call.start, call.end], prefix: `var ${MADE_HANDLER} = ` });
  return unit;
}

/**
 * The exports each required binding's uses in the unit's code reach, where they reach them by name only:
 * `todos.score(x)` → `score`; a binding required at a member (`const { score } = require('./todos')`) → that
 * member. None for a default import, or a binding used otherwise (passed along, called, written, read by a
 * computed key): the state check then takes the whole file (specifiers.ts stateReason, compiler/exports.ts).
 */
function requireMembers(requires: CodeUnit['requires'], code: Set<AstNode>, analysis: Analysis): CodeUnit['requires'] {
  const { parentOf } = analysis.pipeline.ownership;
  const nodes = [...code];
  const within = (id: AstNode) => nodes.some((n) => id.start >= n.start && id.end <= n.end);
  if (!requires.length) return requires;
  return requires.map((r) => {
    // (an ES module's default import: `service.price(x)` reaches its default export's `price`, `default.price`)
    const prefix = r.import === 'default' ? 'default.' : '';
    if (r.path.length) return { ...r, members: [r.path[0]!] };
    const variable = analysis.scopes.moduleScope.set.get(r.name);
    if (!variable) return r;
    const names = new Set<string>();
    for (const ref of variable.references) {
      const id = ref.identifier as unknown as AstNode;
      if (!within(id)) continue;
      const member = parentOf.get(id);
      const name = member?.type === 'MemberExpression' && member.object === id ? propertyName(member) : null;
      const parent = member ? parentOf.get(member) : undefined;
      const written = (parent?.type === 'AssignmentExpression' && parent.left === member) || parent?.type === 'UpdateExpression' || (parent?.type === 'UnaryExpression' && parent.operator === 'delete');
      if (name === null || written) return r;
      names.add(prefix + name);
    }
    return names.size ? { ...r, members: [...names] } : r;
  });
}

/**
 * Module memory written after start-up (by functions, not by load-time code), and `this` when methods write
 * the objects the module makes at load time (`module.exports = new Store()`, an object literal's methods):
 * what a copy of the module on another event loop would not share. Constructors (class constructors,
 * capitalised functions) initialise new objects and do not count.
 */
export function moduleState(analysis: Analysis): string[] {
  const { parentOf, ownerOf } = analysis.pipeline.ownership;
  const loadTime = (node: AstNode) => {
    const o = ownerOf.get(node);
    return !!o && o.flx === analysis.ast && o.topFn === null;
  };
  const out: string[] = [];
  for (const variable of analysis.scopes.moduleScope.variables) {
    const def = variable.defs[0];
    if (!def) continue;
    const required = def.type === 'Variable' ? moduleRequire(variable, analysis.scopes) : null;
    // (another app file's memory kept here, `const todos = data.todos`: a change is that file's, foreignWrites)
    if (!required && appFileAlias(variable, analysis.scopes)) continue;
    // (a logger or a wrapped function made at start-up is used as a module is: `log.info()` writes nothing here)
    const derived = def.type === 'Variable' && derivedFrom(def.node as unknown as AstNode, analysis.scopes) !== null;
    const holds = required || derived || def.type === 'ImportBinding' ? 'module' : namespaceOf(def) ? 'function' : undefined;
    const written = variable.references.some((r) => {
      const id = r.identifier as unknown as AstNode;
      return !loadTime(id) && ((r.isWrite() && !r.init) || isMutation(id, parentOf, holds));
    });
    if (written) out.push(variable.name);
  }
  let thisWriter = false;
  let literalWriter = false;
  for (const node of analysis.index.ofType('ThisExpression')) {
    const fn = ownerOf.get(node)?.thisFn;
    if (!fn || isConstructorLike(fn, parentOf) || !isMutation(node, parentOf, undefined) || callsOwnMethod(node, fn, parentOf)) continue;
    thisWriter = true;
    const holder = parentOf.get(fn);
    if (holder?.type === 'Property' && loadTime(holder)) literalWriter = true;
  }
  if (literalWriter || (thisWriter && analysis.index.ofType('NewExpression').some(loadTime))) out.push('this');
  return out;
}

/**
 * Methods that change the object they are called on (a Map, a Set, an array, a cache): called after start-up on
 * what another app file exports (`store.set(k, v)` where store.js has `module.exports = new Map()`), they write that
 * file's module memory from here, where its own analysis sees nothing written (it has no functions).
 */
const WRITING_METHODS = new Set(
  ('set add delete clear push pop shift unshift splice sort reverse fill copyWithin put del mset mdel incr incrBy decr ' +
    'decrBy increment decrement insert remove upsert setItem removeItem reset flushAll take ' +
    // an EventEmitter's listeners: `bus.on('order', f)` in one file, `bus.emit('order')` from a route of another,
    // which a worker would send to its own copy of the emitter, with no listener
    'on once addListener prependListener prependOnceListener off removeListener removeAllListeners setMaxListeners').split(' '),
);

/**
 * The app files whose exports this module writes, as [specifier, the write's text, the path from the export to
 * what is written (the property an assignment, `++` or `delete` writes when its name is known: `config.db.host = x`
 * → `db.host`; else the object: `config[k] = v` → ``; for a method, the object it is called on), the method called
 * (null: an assignment, `++`, `delete`), whether that write is of the module's top level]: `store.set(k, v)` in a
 * route, `items.push(x)` (`const { items } = require('./list')`), `config.debug = true` or `bus.on('order', f)` at
 * start-up. A copy of such a file on another event loop (a worker requires it again) would hold its own data,
 * without what this module wrote at start-up either: a write after start-up keeps every fluxion calling into the
 * file on the main loop (runtime: Registry.statefulRequire; `fluxion explain`), unless the method is one of the
 * file's own functions (`math.add(a, b)`: its own analysis says whether it writes anything); the writes at start-up
 * are all listed, so that the runtime can give a worker's copy what they wrote (or keep the callers when that
 * cannot be copied: a listener). A write after start-up is the only one named when there is one.
 */
export function foreignWrites(analysis: Analysis): ForeignWrite[] {
  const { parentOf, ownerOf } = analysis.pipeline.ownership;
  const out = new Map<string, ForeignWrite[]>();
  for (const variable of analysis.scopes.moduleScope.variables) {
    // (or another file's memory kept here, `const todos = data.todos`: a path into its exports when one is known)
    const bound = moduleRequire(variable, analysis.scopes);
    const alias = bound ? null : appFileAlias(variable, analysis.scopes);
    const required = alias ? { specifier: alias.specifier, path: alias.path ?? [] } : bound;
    if (required === null || !isLocal(required.specifier) || out.get(required.specifier)?.[0]?.[4] === false) continue;
    for (const r of variable.references) {
      const id = r.identifier as unknown as AstNode;
      const o = ownerOf.get(id);
      if (!o) continue;
      const startup = o.flx === analysis.ast && o.topFn === null;
      const direct = writeThrough(id, parentOf) ?? connectThrough(id, parentOf, o.flx === analysis.ast);
      // (through a value got from it: somewhere in its memory, data whatever the method: no path, no method; at
      // start-up too, `data.find(1).done = true`: a worker's copy of the file needs all of it as start-up left it)
      const aliased = direct ? null : aliasWrite(id, analysis);
      const write = direct ?? aliased;
      if (!write) continue;
      const atLoad = o.flx === analysis.ast && (o.topFn === null || CONNECT_METHODS.has(write.method ?? ''));
      const text = analysis.text.slice(write.node.start, write.node.end).replace(/\s+/g, ' ').slice(0, 60);
      // (through memory of the file reached by an index or a call, `const first = data.todos[0]`: somewhere in it)
      const unknown = aliased !== null || (alias !== null && alias.path === null);
      const entry: ForeignWrite = unknown ? [required.specifier, text, [], null, aliased && !startup ? false : atLoad] : [required.specifier, text, [...required.path, ...write.path], write.method, atLoad];
      if (!atLoad) {
        out.set(required.specifier, [entry]);
        break;
      }
      const list = out.get(required.specifier) ?? [];
      if (!list.some((w) => w[3] === entry[3] && w[2].join('.') === entry[2].join('.'))) list.push(entry);
      out.set(required.specifier, list);
    }
  }
  return [...out.values()].flat();
}

/**
 * The globals this module's code writes after start-up (in its functions: `global.lastVisitor = name` in a route,
 * `hits++` on an undeclared `hits`), `*` for one whose name is not known (`global[k] = v`): a worker would not see
 * the new value, so code reading them stays on the main loop; a global only written at start-up (`global.__basedir
 * = __dirname` in app.js) goes to the workers with the code that reads it (Registry.startupFor, `fluxion explain`).
 */
export function laterGlobalWrites(analysis: Analysis): string[] {
  const { parentOf, ownerOf } = analysis.pipeline.ownership;
  const out = new Set<string>();
  for (const ref of analysis.scopes.manager.globalScope?.through ?? []) {
    const id = ref.identifier as unknown as AstNode;
    const name = ref.identifier.name;
    const o = ownerOf.get(id);
    if (!o || (o.flx === analysis.ast && o.topFn === null)) continue;
    if ((EVERYDAY_GLOBALS.has(name) && name !== 'global' && name !== 'globalThis') || writesEnvVariable(id, parentOf)) continue;
    // (a method that is not known to only read counts: `cache.set(k, v)` on the app's global Map)
    if (!ref.isWrite() && !isMutation(id, parentOf, undefined)) continue;
    if (name === 'global' || name === 'globalThis') {
      const parent = parentOf.get(id);
      out.add((parent?.type === 'MemberExpression' && parent.object === id ? propertyName(parent) : null) ?? '*');
    } else out.add(name);
  }
  return [...out].sort();
}

/**
 * The names of the functions a module defines as functions (declarations, `var f = function`, `exports.f = …`,
 * object literals' functions and methods), not class methods: what `fluxion explain` takes for a module's own
 * function when another file calls it as a method of its exports.
 */
export function ownFunctions(analysis: Analysis): string[] {
  const { parentOf } = analysis.pipeline.ownership;
  const names = new Set<string>();
  for (const type of ['FunctionDeclaration', 'FunctionExpression', 'ArrowFunctionExpression']) {
    for (const fn of analysis.index.ofType(type)) {
      if (fn.id?.type === 'Identifier') names.add(fn.id.name);
      const parent = parentOf.get(fn);
      if (!parent) continue;
      if (parent.type === 'VariableDeclarator' && parent.id.type === 'Identifier') names.add(parent.id.name);
      else if (parent.type === 'Property' && !parent.computed) names.add(parent.key.type === 'Identifier' ? parent.key.name : String(parent.key.value));
      else if (parent.type === 'AssignmentExpression' && parent.right === fn && parent.left.type === 'MemberExpression') {
        const name = propertyName(parent.left);
        if (name !== null && !(parent.left.object.type === 'MemberExpression' && propertyName(parent.left.object) === 'prototype')) names.add(name);
      }
    }
  }
  return [...names].sort();
}

/**
 * `x.a = …`, `x.n++`, `delete x[k]`, `x.set(…)`, `x.list.push(…)`: the expression that writes what `x` holds,
 * the members from `x` to what is written (an assignment's property when its name and those before it are known:
 * `a`, `n`; else the object: `` for `x[k]`; a method's object: ``, `list`), and the method called (null for the
 * others); or null.
 */
function writeThrough(id: AstNode, parentOf: Map<AstNode, AstNode>): { node: AstNode; path: string[]; method: string | null } | null {
  const use = memberUse(id, parentOf);
  if (!use) return null;
  const { node, parent, members } = use;
  // the members up to the object written, as far as they are known
  const path: string[] = [];
  for (const m of members.slice(0, -1)) {
    if (m === null) break;
    path.push(m);
  }
  if ((parent.type === 'AssignmentExpression' && parent.left === node) || parent.type === 'UpdateExpression' || (parent.type === 'UnaryExpression' && parent.operator === 'delete')) {
    // the property written, when every member up to it is known
    const last = members[members.length - 1];
    if (last != null && path.length === members.length - 1) path.push(last);
    return { node: parent, path, method: null };
  }
  const method = members[members.length - 1];
  if (parent.type === 'CallExpression' && parent.callee === node && method != null && WRITING_METHODS.has(method)) return { node: parent, path, method };
  return null;
}

/** Array methods whose callback gets the array's elements themselves (its first parameter). */
const ELEMENT_CALLBACKS = new Set(['forEach', 'map', 'filter', 'find', 'findLast', 'some', 'every', 'flatMap', 'reduce', 'reduceRight', 'sort']);

/**
 * What code changes of another app file's memory through a value it got from it, not through its
 * exports (`writeThrough`): `const todo = data.todos.find(…)` or `const todo = data.find(id)` then `todo.done = true`,
 * `data.byId(id).tags.push(t)`, `for (const t of data.todos) t.seen = true`, `data.todos.forEach((t) => { t.n++ })`.
 * On the main loop that changes the file's objects, which every request sees; on another event loop, a copy. A value
 * a function of the file made afresh (a copy) is changed harmlessly, and counted all the same: the compiler cannot
 * tell, and code kept on the main loop answers as without fluxion. As `writeThrough`: the expression that writes (the
 * caller records it without a path or method: somewhere in the file's memory, and data whatever the method).
 */
function aliasWrite(id: AstNode, analysis: Analysis): { node: AstNode; path: string[]; method: string | null } | null {
  const { parentOf } = analysis.pipeline.ownership;
  // up the chain of accesses and calls that starts at the binding: `data.todos.find(…)`, `await data.get(id)`
  let node = id;
  let calls = 0;
  for (let parent = parentOf.get(node); parent; parent = parentOf.get(node)) {
    if (parent.type === 'MemberExpression' && parent.object === node) node = parent;
    else if (parent.type === 'CallExpression' && parent.callee === node) {
      // an element callback: its first parameter is each element (`data.todos.forEach((t) => { t.done = true })`)
      const method = node.type === 'MemberExpression' ? propertyName(node) : null;
      const callback = method !== null && ELEMENT_CALLBACKS.has(method) ? (parent.arguments as AstNode[]).find((a) => isFunction(a)) : undefined;
      const param = callback ? (callback.params as AstNode[])[method === 'reduce' || method === 'reduceRight' ? 1 : 0] : undefined;
      const written = param?.type === 'Identifier' ? writeThroughVariable(analysis.scopes.declarationOf.get(param), analysis) : null;
      if (written) return written;
      // a writing method of a value got through a call: `data.byId(id).tags.push(t)`
      if (calls > 0 && method !== null && WRITING_METHODS.has(method)) return { node: parent, path: [], method };
      node = parent;
      calls++;
    } else if (parent.type === 'ChainExpression' || parent.type === 'AwaitExpression' || parent.type === 'TSNonNullExpression') node = parent;
    else break;
  }
  if (node === id) return null;
  const parent = parentOf.get(node);
  if (!parent) return null;
  // written where it is got: `data.find(id).done = true` (without a call, writeThrough saw it)
  if (calls > 0 && ((parent.type === 'AssignmentExpression' && parent.left === node) || parent.type === 'UpdateExpression' || (parent.type === 'UnaryExpression' && parent.operator === 'delete'))) {
    return { node: parent, path: [], method: null };
  }
  // kept in a variable, then written through it: `const todo = data.find(id); todo.done = true`
  let target: AstNode | null = null;
  if (parent.type === 'VariableDeclarator' && parent.init === node && parent.id.type === 'Identifier') target = parent.id;
  else if (parent.type === 'AssignmentExpression' && parent.operator === '=' && parent.right === node && parent.left.type === 'Identifier') target = parent.left;
  else if (parent.type === 'ForOfStatement' && parent.right === node && parent.left.type === 'VariableDeclaration') {
    const declared = (parent.left.declarations as AstNode[])[0]?.id as AstNode | undefined;
    if (declared?.type === 'Identifier') target = declared;
  }
  if (!target) return null;
  const variable = analysis.scopes.declarationOf.get(target) ?? analysis.scopes.referenceOf.get(target)?.resolved ?? undefined;
  return writeThroughVariable(variable, analysis);
}

/** The first write through a local variable's value (`todo.done = true`, `Object.assign(todo, …)`), or null. */
function writeThroughVariable(variable: Variable | null | undefined, analysis: Analysis): { node: AstNode; path: string[]; method: string | null } | null {
  if (!variable || variable.scope === analysis.scopes.moduleScope) return null;
  const { parentOf } = analysis.pipeline.ownership;
  for (const r of variable.references) {
    const ref = r.identifier as unknown as AstNode;
    const write = writeThrough(ref, parentOf);
    if (write) return { ...write, path: [] };
    const call = parentOf.get(ref);
    if (call?.type === 'CallExpression' && call.arguments[0] === ref && call.callee.type === 'MemberExpression' && call.callee.object.type === 'Identifier' && call.callee.object.name === 'Object' && propertyName(call.callee) === 'assign') return { node: call, path: [], method: 'assign' };
  }
  return null;
}

/** `db.connect()` in the app's start-up code (`startup`): a call of a connecting method through this binding. */
function connectThrough(id: AstNode, parentOf: Map<AstNode, AstNode>, startup: boolean): { node: AstNode; path: string[]; method: string } | null {
  if (!startup) return null;
  const use = memberUse(id, parentOf);
  if (!use) return null;
  const method = use.members[use.members.length - 1];
  if (use.parent.type !== 'CallExpression' || use.parent.callee !== use.node || method == null || !CONNECT_METHODS.has(method)) return null;
  const path: string[] = [];
  for (const m of use.members.slice(0, -1)) {
    if (m === null) break;
    path.push(m);
  }
  return { node: use.parent, path, method };
}

/**
 * The packages the app's start-up code connects or initialises (CONNECT_METHODS): called on the package itself
 * (`mongoose.connect(uri)`, `Sentry.init({…})`), on what it made at load time (`const client = createClient();
 * await client.connect()`), or made by such a call (`const conn = mongoose.createConnection(uri)`), as [package,
 * the call's text]. Code calling into one stays on the main loop (Registry.statefulRequire), as for the packages
 * `statefulPackages` names.
 */
export function startupConnects(analysis: Analysis): Array<[string, string]> {
  const { ownerOf } = analysis.pipeline.ownership;
  const out = new Map<string, string>();
  const packageOf = (variable: Variable | null | undefined): string | null => {
    if (!variable) return null;
    const required = moduleRequire(variable, analysis.scopes);
    if (required) return isLocal(required.specifier) || required.specifier.startsWith('node:') ? null : packageName(required.specifier);
    // what a package made at load time: `const client = createClient()`, `new DataSource({…})`, `await X.connect()`
    const def = variable.defs[0];
    if (def?.type !== 'Variable' || variable.scope !== analysis.scopes.moduleScope) return null;
    let init: AstNode | null = (def.node as unknown as AstNode).init;
    while (init && (init.type === 'AwaitExpression' || (init.type === 'CallExpression' && init.callee.type === 'MemberExpression' && init.callee.object.type === 'CallExpression'))) init = init.type === 'AwaitExpression' ? init.argument : init.callee.object;
    if (!init || (init.type !== 'CallExpression' && init.type !== 'NewExpression')) return null;
    let root: AstNode = init.callee;
    while (root.type === 'MemberExpression') root = root.object;
    if (root.type !== 'Identifier') return null;
    const from = analysis.scopes.referenceOf.get(root)?.resolved;
    const maker = from ? moduleRequire(from, analysis.scopes) : null;
    return maker && !isLocal(maker.specifier) && !maker.specifier.startsWith('node:') ? packageName(maker.specifier) : null;
  };
  for (const call of analysis.index.ofType('CallExpression')) {
    const callee = call.callee as AstNode;
    if (callee.type !== 'MemberExpression' || !CONNECT_METHODS.has(propertyName(callee) ?? '')) continue;
    const o = ownerOf.get(call);
    if (!o || o.flx !== analysis.ast) continue;
    let root: AstNode = callee.object;
    while (root.type === 'MemberExpression') root = root.object;
    if (root.type !== 'Identifier') continue;
    const name = packageOf(analysis.scopes.referenceOf.get(root)?.resolved);
    if (name && !out.has(name)) out.set(name, analysis.text.slice(call.start, call.end).replace(/\s+/g, ' ').slice(0, 60));
  }
  return [...out];
}

/**
 * Methods that configure what a package holds for the whole process (`dayjs.extend(utc)`, `marked.use(…)`,
 * `mongoose.set(…)`, `sgMail.setApiKey(…)`, `cloudinary.config({…})`, `Handlebars.registerHelper(…)`): called
 * by a file's top level on a package, they can be made again on a worker, before the code that needs them.
 */
const CONFIG_METHOD = /^(set[A-Z_$]\w*|set|use|extend|config|configure|update|locale|setLocale|register\w*|plugin|mixin|addFormats?|defaults|option|options)$/;

/**
 * A file's top-level statements that configure a package for the whole process: a call on a package
 * (`dayjs.extend(utc)`, `marked.setOptions({ breaks: true })`, `require('dotenv').config()`) or an assignment to
 * one's property (`axios.defaults.baseURL = process.env.API`, `http.globalAgent.maxSockets = 50`), as
 * [package, the statement's text, the script a worker runs to do it again, or null when it cannot be done again:
 * a method that is not a configuration one (`cron.schedule(…)`), or something the statement reads that a worker
 * would not have (a variable of the module, `this`)]. The script requires what the statement reads (`var utc =
 * require("dayjs/plugin/utc");`) and runs its text. Node's built-in modules count for assignments only.
 */
export function startupConfigures(analysis: Analysis): Array<[string, string, string | null]> {
  const { parentOf, ownerOf } = analysis.pipeline.ownership;
  const out: Array<[string, string, string | null]> = [];
  for (const statement of analysis.index.ofType('ExpressionStatement')) {
    const o = ownerOf.get(statement);
    if (!o || o.flx !== analysis.ast || o.topFn !== null || parentOf.get(statement)?.type !== 'Program') continue;
    let expr: AstNode = statement.expression;
    if (expr.type === 'AwaitExpression') expr = expr.argument;
    let target: AstNode;
    let method: string | null = null;
    if (expr.type === 'CallExpression' && expr.callee.type === 'MemberExpression') {
      target = expr.callee;
      method = propertyName(expr.callee);
    } else if (expr.type === 'AssignmentExpression' && expr.left.type === 'MemberExpression') target = expr.left;
    else continue;
    let root: AstNode = target;
    while (root.type === 'MemberExpression') root = root.object;
    let specifier = requireSpecifier(root);
    if (specifier === null && root.type === 'Identifier') {
      const variable = analysis.scopes.referenceOf.get(root)?.resolved;
      specifier = variable ? (moduleRequire(variable, analysis.scopes)?.specifier ?? null) : null;
    }
    if (specifier === null || isLocal(specifier) || specifier.startsWith('file:')) continue;
    const builtin = specifier.startsWith('node:') || isBuiltin(specifier);
    if (builtin && method !== null) continue; // (`fs.mkdirSync(…)`: work, not configuration)
    if (method !== null && CONNECT_METHODS.has(method)) continue; // (startupConnects)
    const text = analysis.text.slice(statement.start, statement.end);
    const script = method === null || CONFIG_METHOD.test(method) ? replayScript(statement, analysis) : null;
    const short = text.replace(/\s+/g, ' ');
    out.push([builtin ? specifier.replace(/^node:/, '') : packageName(specifier), short.length > 60 ? `${short.slice(0, 59)}…` : short, script]);
  }
  return out;
}

/** The statement's text with the requires of what it reads before it, or null when it reads anything else. */
function replayScript(statement: AstNode, analysis: Analysis): string | null {
  const requires = new Map<string, string>();
  for (const node of analysis.index.nodes) {
    if (node.start < statement.start || node.end > statement.end) continue;
    if (node.type === 'ThisExpression' || node.type === 'MetaProperty' || node.type === 'ImportExpression') return null;
    if (node.type !== 'Identifier') continue;
    const ref = analysis.scopes.referenceOf.get(node);
    if (!ref) continue; // (a property name, a declaration)
    const variable = ref.resolved;
    if (!variable) {
      if (!REPLAY_GLOBALS.has(node.name)) return null;
      continue;
    }
    const def = variable.defs[0]?.node as unknown as AstNode | undefined;
    // (a parameter or a variable of a function written in the statement: `(s) => s.toUpperCase()`)
    if (variable.scope !== analysis.scopes.moduleScope && def && def.start >= statement.start && def.end <= statement.end) continue;
    if (variable.scope !== analysis.scopes.moduleScope) return null;
    const from = moduleRequire(variable, analysis.scopes);
    if (!from || ref.isWrite()) return null;
    const module = `require(${JSON.stringify(from.specifier)})`;
    const kind = variable.defs[0]?.type === 'ImportBinding' ? (variable.defs[0].node as unknown as AstNode).type : null;
    const value = kind === 'ImportDefaultSpecifier' || (kind === 'ImportSpecifier' && from.path.length === 0) || from.import === 'default' ? `$flx$default(${module})` : module;
    requires.set(variable.name, `var ${variable.name} = ${value}${from.path.map((p) => `[${JSON.stringify(p)}]`).join('')};`);
  }
  return [...requires.values(), analysis.text.slice(statement.start, statement.end)].join('\n');
}

/** `mongodb/lib/x` → `mongodb`, `@prisma/client/edge` → `@prisma/client`. */
function packageName(specifier: string): string {
  return specifier.split('/').slice(0, specifier.startsWith('@') ? 2 : 1).join('/');
}

/**
 * `this.hash(name)` where `hash` is a method of the same class or object literal: not a write of `this` by itself
 * (the method's own `this` writes, if any, count where they are).
 */
function callsOwnMethod(node: AstNode, fn: FunctionNode, parentOf: Map<AstNode, AstNode>): boolean {
  const use = memberUse(node, parentOf);
  if (!use || use.members.length !== 1 || use.members[0] === null || use.parent.type !== 'CallExpression' || use.parent.callee !== use.node) return false;
  const name = use.members[0];
  const holder = parentOf.get(fn);
  const siblings: AstNode[] = holder?.type === 'MethodDefinition' ? (parentOf.get(holder)?.body ?? []) : holder?.type === 'Property' ? (parentOf.get(holder)?.properties ?? []) : [];
  return siblings.some(
    (m) =>
      !m.computed &&
      (m.key?.type === 'Identifier' ? m.key.name : m.key?.type === 'Literal' ? String(m.key.value) : null) === name &&
      ((m.type === 'MethodDefinition' && m.kind === 'method' && !m.static) || (m.type === 'Property' && m.kind === 'init' && isFunction(m.value))),
  );
}

function isConstructorLike(fn: FunctionNode, parentOf: Map<AstNode, AstNode>): boolean {
  const parent = parentOf.get(fn);
  if (parent?.type === 'MethodDefinition') return parent.kind === 'constructor';
  const name = fn.id?.name ?? (parent?.type === 'VariableDeclarator' && parent.id.type === 'Identifier' ? parent.id.name : null);
  return typeof name === 'string' && /^[A-Z]/.test(name);
}

/** The app files a module requires or imports (relative or absolute specifiers). */
export function appRequires(analysis: Analysis): string[] {
  return moduleRequires(analysis, true);
}

/** The packages a module requires or imports (bare specifiers, `node:` ones included), for the same check. */
export function packageRequires(analysis: Analysis): string[] {
  return moduleRequires(analysis, false);
}

function moduleRequires(analysis: Analysis, local: boolean): string[] {
  const out = new Set<string>();
  const wanted = (s: unknown): s is string => typeof s === 'string' && isLocal(s) === local;
  for (const call of analysis.index.ofType('CallExpression')) {
    const s = requireSpecifier(call);
    if (wanted(s)) out.add(s);
  }
  for (const type of ['ImportDeclaration', 'ExportNamedDeclaration', 'ExportAllDeclaration']) {
    for (const node of analysis.index.ofType(type)) if (wanted(node.source?.value)) out.add(node.source.value);
  }
  return [...out];
}

/**
 * Packages' functions that only read what their middleware left on the request, given `req`: the field they read.
 * express-validator's `validationResult(req)` and `matchedData(req)` read the validation contexts its validators
 * (middleware before the handler, on the main loop) put there: they travel with the snapshot (dispatcher.ts), the
 * handler moves.
 */
const REQUEST_READERS = new Map<string, Map<string, string>>([
  ['express-validator', new Map([['validationResult', 'express-validator#contexts'], ['matchedData', 'express-validator#contexts']])],
]);

/** The request field a call reads when it is `reader(req, …)` of REQUEST_READERS (req its first argument), or null. */
function readerField(call: AstNode, arg: AstNode, analysis: Analysis): string | null {
  if (call.type !== 'CallExpression' || call.arguments[0] !== arg) return null;
  const callee = analysis.callees.valueOf(call.callee);
  return callee.kind === 'export' ? (REQUEST_READERS.get(callee.module)?.get(callee.name) ?? null) : null;
}

/** `req.get('host')` and friends read the headers. */
const HEADER_METHODS = new Set(['get', 'header', 'is', 'accepts', 'acceptsCharsets', 'acceptsCharset', 'acceptsEncodings', 'acceptsEncoding', 'acceptsLanguages', 'acceptsLanguage', 'range']);

function usesOf(fn: FunctionNode, captured: string[], analysis: Analysis): CodeUnit['uses'] {
  const { parentOf } = analysis.pipeline.ownership;
  // the function's own scope (a named function expression has one for its name around it)
  const scope = analysis.scopes.manager.acquire(fn as never, true);
  const fieldsOf = (variable: Variable | undefined | null): string[] | null => {
    if (!variable) return null;
    const fields = new Set<string>();
    for (const ref of variable.references) {
      const id = ref.identifier as unknown as AstNode;
      if (id.start < fn.start || id.end > fn.end) continue; // outside this function (a captured variable)
      if (ref.isWrite()) return null;
      const parent = parentOf.get(id);
      if (parent?.type === 'MemberExpression' && parent.object === id) {
        const name = propertyName(parent);
        if (name === null) return null;
        // `req.session.regenerate(…)`: a method of the field's value
        const outer = parentOf.get(parent);
        const call = outer?.type === 'MemberExpression' && outer.object === parent ? parentOf.get(outer) : null;
        const method = outer && call?.type === 'CallExpression' && call.callee === outer ? propertyName(outer) : null;
        if (method !== null) fields.add(`${name}.${method}()`);
        // `req.log.info({ id }, 'saved');` or `req.flash('info', 'Saved');` as a statement, its result unused: `log!`
        // (without `log`, which any other use adds) lets the worker record the call and the main loop make it on the
        // real field (dispatcher.ts calledOnly)
        const statement = method !== null ? call : outer?.type === 'CallExpression' && outer.callee === parent ? outer : null;
        // (a function written among its arguments, `req.audit.recordThen(entry, () => …)`, would have to come back:
        // the field is read as any other, and travels only as data)
        const callback = statement ? (statement.arguments as AstNode[]).some((a) => mayBeFunction(a, analysis)) : false;
        fields.add(statement && !callback && parentOf.get(statement)?.type === 'ExpressionStatement' ? `${name}!` : name);
        if (HEADER_METHODS.has(name)) fields.add('headers');
        else if (name === 'param') for (const f of ['params', 'body', 'query']) fields.add(f); // express 4's req.param(name)
      } else if (parent && readerField(parent, id, analysis) !== null) {
        fields.add(readerField(parent, id, analysis)!); // `validationResult(req)`: what express-validator left there
      } else if (parent?.type === 'VariableDeclarator' && parent.init === id && parent.id.type === 'ObjectPattern') {
        const keys = patternKeys(parent.id);
        if (!keys) return null;
        for (const k of keys) fields.add(k);
      } else return null;
    }
    return [...fields];
  };
  // `arguments[0]` reaches a parameter without naming it
  const viaArguments = !!scope?.set.get('arguments')?.references.length;
  const params = (fn.params as AstNode[]).map((param) => {
    if (viaArguments) return null;
    if (param.type === 'Identifier') return fieldsOf(scope?.set.get(param.name));
    return param.type === 'ObjectPattern' ? patternKeys(param) : null;
  });
  const out: Record<string, string[] | null> = {};
  for (const name of captured) {
    const ref = scope?.through.find((r) => r.identifier.name === name);
    out[name] = fieldsOf(ref?.resolved);
  }
  return { params, captured: out };
}

/**
 * Whether a call's argument may be a function by its text: one written there, `fn.bind(…)`, or a name that a function
 * declaration binds or that is given one (`const done = () => …`, a later `done = function …`). A parameter or a
 * call's result is not known to be one: `req.log.info(entry)` stays a recorded call, and the worker's recorder keeps
 * the message home if what it gets is a function after all.
 */
function mayBeFunction(arg: AstNode, analysis: Analysis): boolean {
  const written = (node: AstNode | null | undefined): boolean =>
    !!node &&
    (node.type === 'ArrowFunctionExpression' ||
      node.type === 'FunctionExpression' ||
      (node.type === 'CallExpression' && node.callee.type === 'MemberExpression' && propertyName(node.callee) === 'bind'));
  if (written(arg)) return true;
  if (arg.type !== 'Identifier') return false;
  const variable = analysis.scopes.referenceOf.get(arg)?.resolved;
  if (!variable) return false;
  // (a declaration's initialiser is one of its writes)
  return variable.defs.some((def) => def.type === 'FunctionName') || variable.references.some((r) => r.isWrite() && written(r.writeExpr as unknown as AstNode));
}

/** `{ params, query }`: the static keys, or null (a computed key, a rest element). */
function patternKeys(pattern: AstNode): string[] | null {
  const keys: string[] = [];
  for (const p of pattern.properties as AstNode[]) {
    if (p.type !== 'Property' || p.computed) return null;
    const key = p.key.type === 'Identifier' ? p.key.name : typeof p.key.value === 'string' ? p.key.value : null;
    if (key === null) return null;
    keys.push(key);
  }
  return keys;
}

/** Whether the function's text is strict code where it is: an ES module, a class, under a 'use strict' directive. */
function inStrictCode(fn: FunctionNode, analysis: Analysis): boolean {
  if (analysis.ast.sourceType === 'module') return true;
  const { parentOf } = analysis.pipeline.ownership;
  const directive = (body: AstNode[] | undefined): boolean => {
    for (const s of body ?? []) {
      if (s.type !== 'ExpressionStatement' || typeof s.directive !== 'string') return false;
      if (s.directive === 'use strict') return true;
    }
    return false;
  };
  for (let node: AstNode | undefined = fn; node; node = parentOf.get(node)) {
    if (node.type === 'ClassBody' || node.type === 'Program') {
      if (node.type === 'ClassBody' || directive(node.body)) return true;
    } else if (isFunction(node) && node.body?.type === 'BlockStatement' && directive(node.body.body)) return true;
  }
  return directive(analysis.ast.body);
}

function methodPrefix(fn: FunctionNode, analysis: Analysis): string {
  const parent = analysis.pipeline.ownership.parentOf.get(fn);
  // `{ index(req, res) { … } }`: a method's text is not an expression on its own
  if (parent && (parent.type === 'Property' || parent.type === 'MethodDefinition') && (parent.method || parent.kind === 'get' || parent.kind === 'set')) {
    return fn.async ? 'async function ' : 'function ';
  }
  return '';
}

function collect(fn: FunctionNode, analysis: Analysis, written: Map<Variable, boolean>): Partial {
  const { scopes, pipeline } = analysis;
  const { parentOf, hazards } = pipeline.ownership;
  const unit: Partial = { captured: [], requires: [], helpers: [], state: [], shared: [], blockers: [], globals: [] };
  const scope = scopes.manager.acquire(fn as never);
  if (!scope) {
    unit.blockers.push('its scope could not be analysed');
    return unit;
  }
  // eval and with anywhere in its text, nested fluxions included (they would run there too)
  for (const list of hazards.values()) {
    for (const h of list) {
      if (h.what !== 'this' && h.node.start >= fn.start && h.node.end <= fn.end) unit.blockers.push(`uses \`${h.what}\``);
    }
  }
  // a worker runs the text as a script, where `import.meta` is a syntax error
  for (const meta of analysis.index.ofType('MetaProperty')) {
    if (meta.meta?.name === 'import' && meta.start >= fn.start && meta.end <= fn.end) {
      unit.blockers.push('uses `import.meta`');
      break;
    }
  }
  // `super.x` of a method: the worker's copy of its text is a function of no object
  for (const sup of analysis.index.ofType('Super')) {
    if (sup.start < fn.start || sup.end > fn.end) continue;
    let owner = parentOf.get(sup);
    while (owner && (!isFunction(owner) || owner.type === 'ArrowFunctionExpression')) owner = parentOf.get(owner);
    if (owner === fn) {
      unit.blockers.push('uses `super`');
      break;
    }
  }
  // import(): a built-in module, or a file (the worker resolves it from this file, instrument.ts workerSplices);
  // a package or a computed specifier would be resolved from fluxion's own folder there
  for (const call of analysis.index.ofType('ImportExpression')) {
    if (call.start < fn.start || call.end > fn.end) continue;
    const spec = call.source?.type === 'Literal' && typeof call.source.value === 'string' ? (call.source.value as string) : null;
    if (spec === null) unit.blockers.push('imports a computed specifier with `import()`');
    else if (!isBuiltin(spec) && !isFileSpecifier(spec)) unit.blockers.push(`imports the package \`${spec}\` with \`import()\``);
  }
  textMarks(fn, analysis, unit);
  for (const ref of scope.through) {
    const id = ref.identifier as unknown as AstNode;
    const name = ref.identifier.name;
    const variable = ref.resolved;
    if (!variable) {
      const member = globalMember(id, parentOf);
      if (writesEnvVariable(id, parentOf)) continue; // shared by every thread
      const wide = processWideCall(id, parentOf);
      if (wide !== null) unit.blockers.push(`calls \`process.${wide}()\`, which a worker would do for its thread only`);
      // an interval outlives the message that starts it: on a worker it would tick there (its writes unseen by the
      // main loop), and stop with the worker when the pool retires it
      if (name === 'setInterval' && parentOf.get(id)?.type === 'CallExpression' && parentOf.get(id)!.callee === id) unit.blockers.push('starts an interval (`setInterval`), which would tick on the worker past its messages');
      if (ref.isWrite() || isMutation(id, parentOf, 'module')) unit.blockers.push(`writes the global \`${member ?? name}\``);
      else if (name === 'module' || name === 'exports') unit.blockers.push(`uses \`${name}\``);
      else if (member !== null) {
        if (!EVERYDAY_GLOBALS.has(member)) add(unit.globals!, member);
      } else if (!EVERYDAY_GLOBALS.has(name)) add(unit.globals!, name);
      continue;
    }
    const moduleLevel = variable.scope === scopes.moduleScope || variable.scope.type === 'global' || variable.scope.type === 'module';
    if (!moduleLevel) {
      // `store.push(x)` on a captured array (`makeHandler([])` returns the fluxion): the worker's copy, not
      // the one every call of the closure shares, would change (a request's changes travel back: not those)
      if (name === 'arguments') unit.blockers.push('uses `arguments` of the function around it');
      else if (ref.isWrite()) unit.blockers.push(`writes \`${name}\`, a variable of the function around it`);
      else if (!NETWORK_NAMES.has(name) && writeThrough(id, parentOf)) unit.blockers.push(`changes \`${name}\`, a variable of the function around it (every call shares it)`);
      else add(unit.captured, name);
      continue;
    }
    const handed = marksOf(analysis).handed.get(variable);
    if (handed) unit.blockers.push(handed);
    else moduleBinding(variable, name, analysis, unit, written, fn);
  }
  return unit;
}

function moduleBinding(variable: Variable, name: string, analysis: Analysis, unit: Partial, writtenMemo: Map<Variable, boolean>, fn: FunctionNode): void {
  const { parentOf, ownerOf } = analysis.pipeline.ownership;
  const def = variable.defs[0];
  if (!def) return;
  const required = def.type === 'Variable' ? moduleRequire(variable, analysis.scopes) : null;
  const derived = def.type === 'Variable' && declaratorOf(def).id.type === 'Identifier' ? derivedFrom(declaratorOf(def), analysis.scopes) : null;
  // calling a method of a module (`gif.textToGif()`), of what a factory made from modules (`log.info()`) or of a
  // namespace of functions does not write it; calling one of an object may
  const holds = required || derived || def.type === 'ImportBinding' ? 'module' : namespaceOf(def) ? 'function' : undefined;
  let written = writtenMemo.get(variable);
  if (written === undefined) {
    written = variable.references.some((r) => {
      const id = r.identifier as unknown as AstNode;
      const o = ownerOf.get(id);
      const loadTime = !!o && o.flx === analysis.ast && o.topFn === null;
      return !loadTime && ((r.isWrite() && !r.init) || isMutation(id, parentOf, holds));
    });
    writtenMemo.set(variable, written);
  }
  if (def.type === 'ImportBinding') {
    // `import x from`, `import { a as b } from`, `import * as ns from`: required again there
    if (written) {
      unit.blockers.push(`uses \`${name}\`, an import whose object is written after start-up`);
      return;
    }
    const spec = def.node as unknown as AstNode;
    const from = String((def.parent as unknown as AstNode).source.value);
    const imported = spec.type === 'ImportSpecifier' ? (spec.imported.type === 'Identifier' ? spec.imported.name : String(spec.imported.value)) : null;
    const kind = spec.type === 'ImportNamespaceSpecifier' ? 'namespace' : spec.type === 'ImportDefaultSpecifier' || imported === 'default' ? 'default' : 'named';
    if (!unit.requires.some((r) => r.name === name)) unit.requires.push({ name, specifier: from, path: kind === 'named' ? [imported!] : [], import: kind });
    return;
  }
  if (def.type === 'FunctionName') {
    if (variable.references.some((r) => r.isWrite())) unit.blockers.push(`uses \`${name}\`, reassigned`);
    // `tick.calls++`, `memo.cache.set(k, v)`: the function object holds data, which its copy on a worker would not share
    else if (written) unit.blockers.push(`uses \`${name}\`, a function whose properties are written after start-up`);
    else unit.helpers.push({ name, range: [(def.node as unknown as AstNode).start, (def.node as unknown as AstNode).end], prefix: '', fn: def.node as unknown as FunctionNode });
    return;
  }
  if (def.type === 'ClassName') {
    // a class of the module (`class Hasher {…}`): shipped as source, as its functions are; one whose static
    // members are written after start-up holds state
    const node = def.node as unknown as AstNode;
    if (written) unit.blockers.push(`uses \`${name}\`, a class whose static members are written after start-up`);
    else if (node.type === 'ClassDeclaration' && !variable.references.some((r) => r.isWrite() && !r.init)) unit.helpers.push({ name, range: [node.start, node.end], prefix: '', fn: node as unknown as FunctionNode });
    else unit.blockers.push(`uses \`${name}\` (${def.type})`);
    return;
  }
  if (def.type !== 'Variable') {
    unit.blockers.push(`uses \`${name}\` (${def.type})`);
    return;
  }
  const declarator = def.node as unknown as AstNode;
  const init: AstNode | null = declarator.init;
  if (required && !written) {
    if (!unit.requires.some((r) => r.name === name)) unit.requires.push({ name, ...required });
    return;
  }
  // another app file's memory kept here (`const todos = data.todos`): required again there when a path reaches it,
  // so that the state rules see that file (its writers, this one's `todos.push(x)` among them: foreignWrites);
  // reached otherwise (`data.todos[0]`) and changed after start-up, it stays here
  const alias = required ? null : appFileAlias(variable, analysis.scopes);
  if (alias?.path) {
    if (!unit.requires.some((r) => r.name === name)) unit.requires.push({ name, specifier: alias.specifier, path: alias.path });
    return;
  }
  // a logger or a validator a known factory made, but configured by the top level in a way a worker cannot do again:
  // it is here only (its method calls are not the code's state, and the object cannot travel)
  const unremade = !required && !alias && declarator.id.type === 'Identifier' ? unremadeReason(declarator, analysis.scopes) : null;
  if (unremade !== null) {
    unit.blockers.push(`uses \`${name}\`, ${unremade}`);
    return;
  }
  if (alias && written) {
    unit.blockers.push(`changes \`${name}\`, memory of ${alias.specifier} (\`${analysis.text.slice(init!.start, init!.end).replace(/\s+/g, ' ').slice(0, 40)}\`) that this file keeps: another event loop would change a copy`);
    return;
  }
  if (written) {
    // read and written by this function's text only (its start-up initialisation aside): its own state
    const own = variable.references.every((r) => {
      const id = r.identifier as unknown as AstNode;
      const o = ownerOf.get(id);
      return (!!o && o.flx === analysis.ast && o.topFn === null) || (id.start >= fn.start && id.end <= fn.end);
    });
    const network = analysis.pipeline.variables.some((v) => v.name === name && v.network && v.declaredAt?.line === declarator.loc.start.line);
    // used by other fluxions too, and by nothing else: a share group, which moves together or not at all
    const fluxionNodes = analysis.pipeline.fluxions.filter((f) => f.kind !== 'main').map((f) => f.node);
    const group =
      !own &&
      variable.references.every((r) => {
        const id = r.identifier as unknown as AstNode;
        const o = ownerOf.get(id);
        return (!!o && o.flx === analysis.ast && o.topFn === null) || fluxionNodes.some((n) => id.start >= n.start && id.end <= n.end);
      });
    if (network) unit.blockers.push(`uses \`${name}\`, a network object (server, app, socket)`);
    else if ((own || group) && declarator.id.type === 'Identifier') {
      add(unit.state, name);
      if (group) add(unit.shared, name);
    } else unit.blockers.push(sharedMemory(name));
    return;
  }
  if (declarator.id.type === 'Identifier' && ((isFunction(init) && !init.generator) || init?.type === 'ClassExpression' || isFunctionNamespace(init))) {
    unit.helpers.push({ name, range: [init!.start, init!.end], prefix: `var ${name} = `, fn: init as FunctionNode });
    return;
  }
  if (derived && !variable.references.some((r) => r.isWrite() && !r.init)) {
    // made again on the worker from what it is made of (a function does not travel as a value)
    for (const [dependency, variableOf] of derived.used) factoryInput(variableOf, dependency, analysis, unit, writtenMemo, fn);
    // (once per worker, whatever units of the file use it there: runtime/units.ts)
    unit.helpers.push({ name, range: [init!.start, init!.end], prefix: `var ${name} = `, fn: init as FunctionNode, once: 'make' });
    // and configured as the file's top level did once it was made (`logger.add(…)` under an `if`): those statements
    // at their lines, after it
    for (const statement of derived.configures) {
      if (!unit.helpers.some((h) => h.fn === (statement as unknown as FunctionNode))) unit.helpers.push({ name, range: [statement.start, statement.end], prefix: '', fn: statement as unknown as FunctionNode, once: 'configure' });
    }
    return;
  }
  add(unit.captured, name);
  add((unit.constants ??= []), name);
}


/**
 * A module binding a constant made again on the worker is made of: a constant of literals and `process.env`
 * (factories.ts pureFrom: `const level = process.env.LOG_LEVEL || 'info'`) is computed again before it, at its
 * line; any other is the unit's as the function's own bindings are.
 */
function factoryInput(variable: Variable, name: string, analysis: Analysis, unit: Partial, writtenMemo: Map<Variable, boolean>, fn: FunctionNode): void {
  const def = variable.defs[0];
  const pure = def?.type === 'Variable' ? pureFrom(declaratorOf(def), analysis.scopes) : null;
  if (pure === null) return moduleBinding(variable, name, analysis, unit, writtenMemo, fn);
  const init = declaratorOf(def!).init as AstNode;
  if (unit.helpers.some((h) => h.fn === (init as unknown as FunctionNode))) return;
  unit.helpers.push({ name, range: [init.start, init.end], prefix: `var ${name} = `, fn: init as unknown as FunctionNode });
  for (const [dependency, variableOf] of pure) factoryInput(variableOf, dependency, analysis, unit, writtenMemo, fn);
}

/** What keeps code using module memory that other code uses too on the main loop (readers.ts: unless it only reads). */
export function sharedMemory(name: string): string {
  return `uses \`${name}\`, module memory that other code uses too`;
}

function declaratorOf(def: Variable['defs'][number]): AstNode {
  return def.node as unknown as AstNode;
}

/** A `const utils = { slug(s) {…} }` binding (ast.ts isFunctionNamespace). */
function namespaceOf(def: Variable['defs'][number]): boolean {
  return def.type === 'Variable' && isFunctionNamespace((def.node as unknown as AstNode).init);
}


interface Marks {
  /** `this` expressions, with the function whose `this` they are (null at module level). */
  thisUses: Array<{ at: number; fn: AstNode | null }>;
  /** Uses of req/res that need the real objects. */
  sockets: Array<{ at: number; message: string }>;
  /** What code reads of the express app through the request, by name (`req.app.get('title')`). */
  appReads: Array<{ at: number; kind: 'settings' | 'locals'; name: string }>;
  /** Module memory handed to the request by reference and changed there (handedOn), and those changes. */
  handed: Map<Variable, string>;
  aliasWrites: Array<{ at: number; message: string }>;
}
const marksMemo = new WeakMap<object, Marks>();

/**
 * Module memory a function hands to the request by reference (`req.user = users[id]`, `res.locals.cart =
 * carts.get(id)`) when some code of the file then changes it there (`req.user.name = name`): on the main loop that
 * changes the module's object (express's own route-separation example edits its users so); on another event loop
 * the request holds a copy, and the change is lost. The variables, with why, and the changes.
 */
function handedOn(analysis: Analysis, found: Marks): void {
  const { parentOf } = analysis.pipeline.ownership;
  const handed = new Map<string, { variable: Variable; text: string }>();
  for (const node of analysis.index.ofType('AssignmentExpression')) {
    if (node.operator !== '=' || node.left.type !== 'MemberExpression') continue;
    const field = networkField(node.left);
    if (field === null) continue;
    // the value: a module variable's object, or a part of it (`users[id]`, `users.get(id)`, `list.find(…)`)
    let root: AstNode = node.right;
    while (root.type === 'MemberExpression' || (root.type === 'CallExpression' && root.callee.type === 'MemberExpression')) root = root.type === 'MemberExpression' ? root.object : root.callee.object;
    if (root.type !== 'Identifier') continue;
    const variable = analysis.scopes.referenceOf.get(root)?.resolved;
    const def = variable?.defs[0];
    if (!variable || variable.scope !== analysis.scopes.moduleScope || def?.type !== 'Variable') continue;
    const init: AstNode | null = (def.node as unknown as AstNode).init;
    if (!init || init.type === 'Literal' || init.type === 'TemplateLiteral' || requireSpecifier(init) !== null || isFunction(init) || init.type === 'ClassExpression') continue;
    if (moduleRequire(variable, analysis.scopes)) continue;
    handed.set(field, { variable, text: analysis.text.slice(node.start, node.end).replace(/\s+/g, ' ').slice(0, 60) });
  }
  if (handed.size === 0) return;
  for (const node of analysis.index.nodes) {
    if (node.type !== 'Identifier' || !NETWORK_NAMES.has(node.name)) continue;
    const use = memberUse(node, parentOf);
    if (!use || use.members.length < 2 || use.members[0] == null || use.members[1] == null) continue;
    const key: string = use.members[0] === 'locals' ? `locals.${use.members[1]}` : use.members[0];
    const source = handed.get(`${node.name === 'request' ? 'req' : node.name === 'response' ? 'res' : node.name}.${key}`);
    if (!source || use.members.length < (key.startsWith('locals.') ? 3 : 2)) continue;
    const { parent } = use;
    const method = use.members[use.members.length - 1];
    const writes = (parent.type === 'AssignmentExpression' && parent.left === use.node) || parent.type === 'UpdateExpression' || (parent.type === 'UnaryExpression' && parent.operator === 'delete') || (parent.type === 'CallExpression' && parent.callee === use.node && method != null && WRITING_METHODS.has(method));
    if (!writes) continue;
    const text = analysis.text.slice(parent.start, parent.end).replace(/\s+/g, ' ').slice(0, 60);
    found.handed.set(source.variable, `uses \`${source.variable.name}\`, module memory the request holds by reference (\`${source.text}\`) and code changes there (\`${text}\`): another event loop would have a copy`);
    found.aliasWrites.push({ at: node.start, message: `changes \`${node.name}.${key}\`, which holds this module's \`${source.variable.name}\` by reference (\`${source.text}\`): on another event loop that would change a copy` });
  }
}

/** `req.user`, `res.locals.cart` (as `req.user`, `res.locals.cart`): a field of the request or the response, or null. */
function networkField(member: AstNode): string | null {
  const path = memberPath(member);
  if (path === null) return null;
  const { root: node, members: names } = path;
  if (node.type !== 'Identifier' || !NETWORK_NAMES.has(node.name)) return null;
  const base = node.name === 'request' ? 'req' : node.name === 'response' ? 'res' : node.name;
  if (names[0] === 'locals' && names.length === 2) return `${base}.locals.${names[1]}`;
  return names.length === 1 ? `${base}.${names[0]}` : null;
}

/**
 * One walk of the module for what keeps any function on the main loop by its own text: `this`, `req.socket`,
 * `getRawBody(req, …)` / `stream.pipe(res)` (other code needs the real request or response), and
 * `res.render(view, locals, cb)`, `res.format({ json() {…} })` (the callback would have to come back).
 */
function marksOf(analysis: Analysis): Marks {
  let marks = marksMemo.get(analysis.pipeline);
  if (marks) return marks;
  const { parentOf, ownerOf } = analysis.pipeline.ownership;
  marks = { thisUses: [], sockets: [], appReads: [], handed: new Map(), aliasWrites: [] };
  const found = marks;
  handedOn(analysis, found);
  for (const node of analysis.index.nodes) {
    if (node.type === 'ThisExpression') {
      found.thisUses.push({ at: node.start, fn: ownerOf.get(node)?.thisFn ?? null });
      continue;
    }
    if (node.type !== 'Identifier' || !NETWORK_NAMES.has(node.name)) continue;
    const parent = parentOf.get(node);
    if (!parent) continue;
    if ((parent.type === 'CallExpression' || parent.type === 'NewExpression') && parent.arguments.includes(node) && readerField(parent, node, analysis) === null) {
      found.sockets.push({ at: node.start, message: `hands \`${node.name}\` to other code, which needs the real one` });
    }
    // `for await (const chunk of req)`, `[...req]`, `yield* req`: read as a stream, which a snapshot is not
    if ((parent.type === 'ForOfStatement' && parent.right === node) || parent.type === 'SpreadElement' || (parent.type === 'YieldExpression' && parent.delegate)) {
      found.sockets.push({ at: node.start, message: `reads \`${node.name}\` as a stream (\`${parent.type === 'ForOfStatement' ? `for${parent.await ? ' await' : ''} … of` : parent.type === 'SpreadElement' ? '...' : 'yield*'} ${node.name}\`), which needs the real one` });
    }
    if (parent.type !== 'MemberExpression' || parent.object !== node) continue;
    const prop = propertyName(parent) ?? '';
    // `stream.pipe(res.type('text'))`: express's setters return the response itself
    let chained: AstNode = parent;
    while (RETURNS_RESPONSE.has(propertyName(chained) ?? '') && parentOf.get(chained)?.type === 'CallExpression' && parentOf.get(chained)!.callee === chained) {
      const value = parentOf.get(chained)!;
      const outer = parentOf.get(value);
      if ((outer?.type === 'CallExpression' || outer?.type === 'NewExpression') && outer.arguments.includes(value)) {
        found.sockets.push({ at: node.start, message: `hands \`${node.name}\` to other code (\`${node.name}.${propertyName(chained)}(…)\` is \`${node.name}\`), which needs the real one` });
        break;
      }
      if (outer?.type !== 'MemberExpression' || outer.object !== value) break;
      chained = outer;
    }
    if (parent.computed && parent.property.type === 'MemberExpression' && parent.property.object.type === 'Identifier' && parent.property.object.name === 'Symbol') {
      // `req[Symbol.asyncIterator]()`: the stream's own iterator
      found.sockets.push({ at: node.start, message: `reads \`${node.name}\` as a stream (\`${node.name}[Symbol.${propertyName(parent.property) ?? '…'}]\`), which needs the real one` });
    }
    // `req.setTimeout(ms)`, `req.pause()`: the request's stream and socket methods, which a snapshot has not
    if ((node.name === 'req' || node.name === 'request') && REQUEST_STREAM_METHODS.has(prop) && parentOf.get(parent)?.type === 'CallExpression' && parentOf.get(parent)!.callee === parent) {
      found.sockets.push({ at: node.start, message: `calls \`${node.name}.${prop}()\`, a method of the real request's stream` });
    }
    if (SOCKETS.has(prop)) found.sockets.push({ at: node.start, message: `touches \`${node.name}.${prop}\` (a socket)` });
    else if (prop === 'app') {
      // `req.app.get('title')`, `res.app.locals.brand`: read by name, those travel with the request and response
      const read = node.name === 'req' || node.name === 'request' || node.name === 'res' || node.name === 'response' ? appRead(parent, parentOf) : null;
      if (read) found.appReads.push({ at: node.start, ...read });
      else found.sockets.push({ at: node.start, message: `touches \`${node.name}.app\` (the express app stays on the main loop; a setting read by name, \`${node.name}.app.get('x')\`, or \`${node.name}.app.locals.x\`, would travel)` });
    }
    const call = parentOf.get(parent);
    // `res.format({ json() {…}, html: … })` calls back the one it picks, whatever its argument looks like here
    if (call && call.type === 'CallExpression' && call.callee === parent && (prop === 'format' || call.arguments.some(callsBack))) {
      found.sockets.push({ at: node.start, message: `passes a callback to \`${node.name}.${prop || '…'}()\`` });
    }
  }
  marksMemo.set(analysis.pipeline, marks);
  return marks;
}

/** A function, or an object literal holding one (`{ json() {…} }`): what the callee may call back. */
function callsBack(node: AstNode): boolean {
  return isFunction(node) || (node.type === 'ObjectExpression' && (node.properties as AstNode[]).some((p) => p.type === 'Property' && isFunction(p.value)));
}

function textMarks(fn: FunctionNode, analysis: Analysis, unit: Partial): void {
  const marks = marksOf(analysis);
  const inside = (at: number) => at >= fn.body.start && at < fn.body.end;
  for (const t of marks.thisUses) {
    // its own `this`, or (an arrow, or code nested in one) the `this` of a function around it
    if (inside(t.at) && (t.fn === fn || !t.fn || t.fn.start < fn.start || t.fn.end > fn.end)) {
      unit.blockers.push('uses `this`');
      break;
    }
  }
  for (const m of marks.sockets) if (inside(m.at)) unit.blockers.push(m.message);
  for (const m of marks.aliasWrites) if (inside(m.at)) unit.blockers.push(m.message);
  for (const r of marks.appReads) {
    if (!inside(r.at)) continue;
    unit.app ??= { settings: [], locals: [] };
    add(unit.app[r.kind], r.name);
  }
}

/**
 * `req.app.get('title')`, `req.app.enabled('x')` (one string: a setting; two arguments would define a route),
 * `req.app.settings.env`, `req.app.locals.brand` when nothing writes it there (`res.app` alike): the setting or
 * local read, or null.
 */
function appRead(member: AstNode, parentOf: Map<AstNode, AstNode>): { kind: 'settings' | 'locals'; name: string } | null {
  const outer = parentOf.get(member);
  if (outer?.type !== 'MemberExpression' || outer.object !== member) return null;
  const what = propertyName(outer);
  const call = parentOf.get(outer);
  if (what === 'get' || what === 'enabled' || what === 'disabled') {
    const [arg] = call?.type === 'CallExpression' && call.callee === outer && call.arguments.length === 1 ? (call.arguments as AstNode[]) : [];
    return arg?.type === 'Literal' && typeof arg.value === 'string' ? { kind: 'settings', name: arg.value } : null;
  }
  if (what !== 'locals' && what !== 'settings') return null;
  const inner = call;
  const name = inner?.type === 'MemberExpression' && inner.object === outer ? propertyName(inner) : null;
  if (name === null) return null;
  // what is read there is not written there: an assignment, `++`, `delete`, a writing method
  let top: AstNode = inner!;
  let above = parentOf.get(top);
  while (above?.type === 'MemberExpression' && above.object === top) {
    top = above;
    above = parentOf.get(top);
  }
  if ((above?.type === 'AssignmentExpression' && above.left === top) || above?.type === 'UpdateExpression' || (above?.type === 'UnaryExpression' && above.operator === 'delete')) return null;
  if (above?.type === 'CallExpression' && above.callee === top && top !== inner && WRITING_METHODS.has(propertyName(top) ?? '')) return null;
  return { kind: what, name };
}

const NETWORK_NAMES = new Set(['req', 'res', 'request', 'response']);

function add(list: string[], name: string): void {
  if (!list.includes(name)) list.push(name);
}
