/**
 * Instrument step: the edits that let the runtime see the program as fluxions, spliced into the original
 * text (see splice.ts: lines never move).
 *
 * - Fluxion bodies: `var $flx$t = $flx$().enter(i); try { …body… } finally { $flx$().exit(i, $flx$t); }`.
 *   The function object, its `length`, `name`, `this` and `arguments` are untouched, so listeners can still be
 *   removed by identity and express still sees 4-argument error handlers. Async functions get
 *   `enterAsync`/`exitAsync` and each of their own `await`s pauses their clock (`await $flx$().pause($flx$t, x)`),
 *   which restarts just before the function resumes; generators are left alone.
 * - Functions that escape (returned, stored in a property, passed along, exported) are registered with their
 *   static index, `$flx$().fn(i, fn)` (the same function object comes back), so the probes can recognise them
 *   at run time; their bodies are instrumented too, and count once a probe promotes them to fluxions.
 * - Dynamic sites: `$flx$().probe(site, arg)` returns `arg` unchanged after looking at it (paper §4.3: the JIT
 *   settles `bodyParser(limit)` and `routes.writeTextToImages`).
 * - A trailer, after the last line, declares the hoisted `$flx$()` that loads the runtime with the module's
 *   description.
 */
import { createHash } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { isFunction, type AstNode, type FunctionNode } from './ast';
import type { Analysis } from './index';
import { functionName } from './pipeliner';
import { splice, type Insertion, type Spliced } from './splice';
import { readersOf } from './readers';
import { codeUnit, isFileSpecifier, madeHandlerUnit, packageRequires } from './units';
import { madeHandler } from './factories';
import type { CodeUnit, FunctionEntry, ModuleDescription, SiteEntry, StaticFluxion } from '../internal-types';

export interface Instrumented {
  code: string;
  map: Spliced['map'];
  description: ModuleDescription;
}

/** Array methods that call their callback synchronously, before returning: their callbacks do not escape. */
const SYNC_CALLERS = new Set([
  'map', 'forEach', 'filter', 'reduce', 'reduceRight', 'some', 'every', 'find', 'findIndex', 'findLast',
  'findLastIndex', 'sort', 'flatMap', 'replace', 'replaceAll', 'call', 'apply', 'from',
]);
const STATEMENT_LISTS = new Set(['Program', 'BlockStatement', 'StaticBlock', 'SwitchCase']);

type Registration = { mode: 'wrap' } | { mode: 'after'; statement: AstNode; expression: string } | { mode: 'init' };

export function instrument(analysis: Analysis, runtimePath: string, sourceName: string): Instrumented {
  const { ast, text, pipeline, found, scopes } = analysis;
  const { parentOf, ownerOf } = pipeline.ownership;
  const fluxionByNode = new Map(pipeline.fluxions.filter((f) => f.kind !== 'main').map((f) => [f.node, f]));

  // 1. The functions to instrument: static fluxions, and functions that escape.
  const registrations = new Map<AstNode, Registration>();
  for (const node of analysis.index.nodes) {
    if ((node.type !== 'FunctionExpression' && node.type !== 'ArrowFunctionExpression') || node.generator) continue;
    if (fluxionByNode.has(node)) continue;
    const how = escapes(node, parentOf, text);
    if (how) registrations.set(node, how);
  }
  for (const statement of ast.body as AstNode[]) {
    const decl = statement.type === 'ExportNamedDeclaration' || statement.type === 'ExportDefaultDeclaration' ? statement.declaration : statement;
    if (decl?.type !== 'FunctionDeclaration' || decl.generator || !decl.id) continue;
    const variable = scopes.declarationOf.get(decl.id);
    const escaping = variable?.references.some((r) => {
      const id = r.identifier as unknown as AstNode;
      const parent = parentOf.get(id);
      return !(parent?.type === 'CallExpression' && parent.callee === id);
    });
    const exported = statement !== decl; // `export function f`, `export default function f`
    if (escaping || exported || fluxionByNode.has(decl)) registrations.set(decl, { mode: 'init' });
  }
  const instrumented = [...new Set([...fluxionByNode.keys(), ...registrations.keys()])]
    .filter((n) => !n.generator)
    .sort((a, b) => a.start - b.start) as FunctionNode[];
  const ixOf = new Map<AstNode, number>(instrumented.map((n, i) => [n, i]));

  /** Innermost instrumented function around `node`, stopping at `boundary` (exclusive). */
  const around = (node: AstNode, boundary: AstNode | null): number => {
    for (let p = parentOf.get(node); p && p !== boundary; p = parentOf.get(p)) {
      if (isFunction(p) && ixOf.has(p)) return ixOf.get(p)!;
    }
    return -1;
  };

  // 2. The description the runtime gets.
  const awaitsOf = ownAwaits(analysis);
  const unitOf = (n: FunctionNode, ix: number): CodeUnit | null => {
    const unit = codeUnit(n, analysis);
    if (unit) {
      // what a worker's copy adds to the original text (runtime/units.ts): an async function's clock at its
      // awaits, and the count and time of the instrumented functions nested in it (for the report); sorted by
      // start, the functions nested in n are the ones right after it that start before it ends
      const nested: FunctionNode[] = [];
      for (let i = ix + 1; i < instrumented.length && instrumented[i].start < n.end; i++) nested.push(instrumented[i]);
      unit.splices = workerSplices(n, awaitsOf.get(n) ?? [], nested, ixOf, text, analysis.index.ofType('ImportExpression'));
    }
    return unit;
  };
  const fluxionIndex = new Map(pipeline.fluxions.map((f, i) => [f, i]));
  const fns: FunctionEntry[] = instrumented.map((n, ix) => {
    const entry: FunctionEntry = {
      name: functionName(n, parentOf) ?? '',
      line: n.loc.start.line,
      column: n.loc.start.column,
      fluxion: fluxionByNode.has(n) ? fluxionIndex.get(fluxionByNode.get(n)!)! : -1,
      enclosing: around(n, null),
      async: !!n.async,
      unit: unitOf(n, ix),
    };
    const passes = fluxionByNode.has(n) ? null : passesArguments(n, analysis);
    if (passes !== null) entry.passes = passes;
    return entry;
  });
  const pairs = found.rupturePoints.flatMap((rp) => rp.callbacks.map((cb) => ({ rp, cb }))).sort((a, b) => a.cb.arg.start - b.cb.arg.start);
  const fluxions: StaticFluxion[] = pipeline.fluxions.map((f) => {
    const first = f.kind === 'main' ? undefined : pairs.find((p) => p.cb.fn === f.node);
    return {
      id: f.id,
      kind: f.kind,
      tags: [...f.tags],
      context: [...f.context.keys()].map((v) => v.name),
      line: f.node.loc.start.line,
      parent: f.parent?.id ?? null,
      fn: f.kind === 'main' ? -1 : ixOf.get(f.node) ?? -1,
      via: first && f.parent ? around(first.rp.call, f.parent.node) : -1,
      rpKind: first?.rp.kind ?? 'start',
      streams: f.streams.map((s) => ({ to: s.to, type: s.type, vars: s.vars })),
    };
  });
  const idOfNode = new Map(pipeline.fluxions.map((f) => [f.node, f.id]));
  const sites: SiteEntry[] = [];
  const insertions: Insertion[] = [];
  for (const rp of found.rupturePoints) {
    const owner = ownerOf.get(rp.call);
    for (const d of rp.dynamic) {
      if (d.arg.type === 'SpreadElement') continue;
      const site = sites.length;
      sites.push({
        kind: rp.kind,
        callee: rp.callee,
        line: d.arg.loc.start.line,
        column: d.arg.loc.start.column,
        argument: d.index,
        in: idOfNode.get(owner?.flx ?? ast) ?? 'main',
        enclosing: around(rp.call, owner?.flx ?? null),
      });
      // a handler a known package makes of what a worker can make again (`createHandler({ schema, rootValue })`):
      // a code unit of its own, which makes it there; the probe hands express a wrapper that sends its messages
      const made = rp.kind === 'start' ? madeHandler(d.arg, scopes) : null;
      let getter = '';
      if (made && 'used' in made) {
        const unit = madeHandlerUnit(d.arg, made.used, analysis);
        if (unit.blockers.length === 0 && unit.state.length === 0) {
          sites[site]!.made = fns.length;
          if (made.needs) sites[site]!.needs = made.needs;
          fns.push({ name: made.name.slice(made.name.lastIndexOf('.') + 1), line: d.arg.loc.start.line, column: d.arg.loc.start.column, fluxion: -1, enclosing: sites[site]!.enclosing, async: false, unit });
          if (unit.captured.length) getter = `, function () { return { ${unit.captured.map((n) => `${JSON.stringify(n)}: ${n}`).join(', ')} }; }`;
        }
      }
      insertions.push({ at: d.arg.start, text: `$flx$().probe(${site}, `, order: opening(d.arg, 0) }, { at: d.arg.end, text: `${getter})`, order: closing(d.arg, 0) });
    }
  }

  // 3. The edits.
  const initList: string[] = [];
  // a file whose state other files' code reads on workers (readers.ts): its functions that may change it say so
  // as they start and as they end (an async one: after its last await), so that the state goes again
  const reads = readersOf.get(analysis);
  const writers = reads?.writers ?? new Set<AstNode>();
  for (const fn of writers) if (!ixOf.has(fn)) insertions.push(...bodyWrap(fn as FunctionNode, text, `${WRITES[0]} try {`, `} finally { ${WRITES[1]} }`));
  for (const fn of instrumented) {
    const ix = ixOf.get(fn)!;
    insertions.push(...bodyEdits(fn, ix, text, fns[ix].unit, awaitsOf.get(fn) ?? [], writers.has(fn)));
    const how = registrations.get(fn);
    if (!how) continue;
    const env = environment(fn, scopes);
    if (how.mode === 'wrap') insertions.push({ at: fn.start, text: `$flx$().fn(${ix}, `, order: opening(fn, 0) }, { at: fn.end, text: `${env})`, order: closing(fn, 5) });
    else if (how.mode === 'after') insertions.push({ at: how.statement.end, text: `;$flx$().fn(${ix}, ${how.expression}${env});`, order: closing(how.statement, 9) });
    else initList.push(`${ix}, ${fn.id.name}`);
  }
  // the module's classes that travel as helpers, read when an error of one comes back from a worker (serialize.ts:
  // it is made of this class, so that `err instanceof NotFound` holds in the error handler); a getter, called long
  // after the module has loaded (`$flx$()` runs before its classes are initialised)
  const helperClasses = new Set<string>();
  for (const f of fns) for (const h of f.unit?.helpers ?? []) if (/^class\b/.test(text.slice(h.range[0], h.range[0] + 6))) helperClasses.add(h.name);
  const classes = helperClasses.size ? `, function () { return { ${[...helperClasses].map((n) => `${JSON.stringify(n)}: ${n}`).join(', ')} }; }` : '';
  const description: ModuleDescription = {
    hash: createHash('sha1').update(text).digest('hex'),
    fns,
    fluxions,
    sites,
    state: analysis.program.state,
    requires: analysis.program.requires,
    packages: packageRequires(analysis),
  };
  if (analysis.program.writes) description.writes = analysis.program.writes;
  if (analysis.program.globalWrites) description.globalWrites = analysis.program.globalWrites;
  if (analysis.program.connects) description.connects = analysis.program.connects;
  if (analysis.program.configures) description.configures = analysis.program.configures;
  if (analysis.program.reach) description.reach = analysis.program.reach;
  if (reads) description.reads = { exports: reads.exports, state: reads.state, setter: `\n;module[Symbol.for('fluxion.readState')] = function ($flx$n, $flx$v, $flx$f) { switch ($flx$n) { ${stateCases(reads.state, analysis)} } };` };
  if (analysis.program.atLoad) description.atLoad = analysis.program.atLoad;
  if (analysis.program.sourceType === 'module') description.esm = true;
  const spliced = splice(text, insertions, sourceName);
  // CommonJS: `require` the runtime; an ES module imports it (import declarations are hoisted, so the
  // runtime is there before the module's first line runs, circular imports included).
  const esm = analysis.program.sourceType === 'module';
  const trailer =
    (esm ? `\n;import $flx$rt from ${JSON.stringify(pathToFileURL(runtimePath).href)}` : '\n') +
    ';var $flx$h; function $flx$() { return $flx$h || ($flx$h = ' +
    (esm ? '$flx$rt' : `require(${JSON.stringify(runtimePath)})`) +
    `.load(${esm ? 'import.meta.filename' : '__filename'}, ` +
    // as a JSON string: V8 scans a string literal and JSON.parse builds the objects faster than it parses and
    // runs an object literal of that size (the description is 2–4× the size of the module's own code)
    `JSON.parse(${JSON.stringify(JSON.stringify(description))})` +
    ', function () { return [' +
    initList.join(', ') +
    ']; }' +
    (classes ? stateSetter(fns, analysis) || ', undefined' : stateSetter(fns, analysis)) +
    classes +
    ')); } $flx$();' + // eager: the module's declarations are registered before anyone imports them
    // (the state those readers read, as it is when one of their messages leaves)
    (reads ? `$flx$().readable(function () { return { ${reads.state.map((n) => `${JSON.stringify(n)}: ${n}`).join(', ')} }; });` : '') +
    '\n';
  return { code: spliced.code + trailer, map: spliced.map, description };
}

/**
 * `, function (name, value, refill) { … }`: how the runtime writes back the module state a worker sends with
 * each answer of a stateful fluxion (the main loop's copy stays current: a restarted worker, or the main loop
 * after `unregister()`, goes on from the latest state). A `const` binding is refilled in place.
 */
function stateSetter(fns: FunctionEntry[], analysis: Analysis): string {
  const names = [...new Set(fns.flatMap((f) => f.unit?.state ?? []))];
  if (!names.length) return '';
  return `, function ($flx$n, $flx$v, $flx$f) { switch ($flx$n) { ${stateCases(names, analysis)} } }`;
}

/** The cases of a state setter's switch: a variable is assigned, a `const` binding refilled in place (`$flx$f`). */
function stateCases(names: string[], analysis: Analysis): string {
  const cases = names.map((n) => {
    const variable = analysis.scopes.moduleScope.set.get(n);
    const decl = variable?.defs[0]?.parent as unknown as AstNode | undefined;
    const constant = decl?.type === 'VariableDeclaration' && decl.kind === 'const';
    return `case ${JSON.stringify(n)}: ${constant ? `$flx$f(${n}, $flx$v)` : `${n} = $flx$v`}; break;`;
  });
  return cases.join(' ');
}

/** What a function that may change state read on workers calls as it starts and as it ends (readers.ts). */
const WRITES = ['$flx$().wb();', '$flx$().we();'] as const;

/**
 * The closure's captured variables (paper §4.3 "closure serialization"): `, function () { return { limit:
 * limit }; }` for the variables it reads from enclosing functions (module bindings are the module's, not the
 * closure's). Empty when it captures nothing. The getter is created with the closure and called only when
 * the runtime needs the values.
 */
function environment(fn: AstNode, scopes: Analysis['scopes']): string {
  const scope = scopes.manager.acquire(fn as never);
  if (!scope) return '';
  const names = new Set<string>();
  for (const ref of scope.through) {
    const variable = ref.resolved;
    if (!variable) continue;
    const home = variable.scope;
    if (home === scopes.moduleScope || home.type === 'global' || home.type === 'module') continue;
    names.add(variable.name);
  }
  if (names.size === 0) return '';
  // names and values in an array, not an object literal: V8 names an anonymous function written among a call's
  // arguments after the keys of an object literal that follows it there (a frame `at $flx$.fn.tag (…)` where plain
  // node prints `at …`: Registry.fn makes the record)
  return `, function () { return [${[...names].map((n) => `${JSON.stringify(n)}, ${n}`).join(', ')}]; }`;
}

/** How an escaping function expression is registered, or null when it does not escape. */
function escapes(fn: AstNode, parentOf: Map<AstNode, AstNode>, text: string): Registration | null {
  const parent = parentOf.get(fn);
  if (!parent) return null;
  switch (parent.type) {
    case 'CallExpression':
    case 'NewExpression': {
      if (parent.callee === fn) return null; // an IIFE
      const callee = parent.callee.type === 'ChainExpression' ? parent.callee.expression : parent.callee;
      if (callee.type === 'MemberExpression' && !callee.computed && SYNC_CALLERS.has(callee.property.name)) return null;
      return { mode: 'wrap' };
    }
    case 'ReturnStatement':
    case 'ArrayExpression':
      return { mode: 'wrap' };
    case 'ArrowFunctionExpression':
      return parent.body === fn ? { mode: 'wrap' } : null;
    case 'AssignmentExpression': {
      if (parent.right !== fn) return null;
      if (parent.left.type === 'MemberExpression') return { mode: 'wrap' }; // no name inference to keep
      const statement = parentOf.get(parent);
      if (parent.left.type === 'Identifier' && statement?.type === 'ExpressionStatement' && inList(statement, parentOf)) {
        return { mode: 'after', statement, expression: parent.left.name };
      }
      return null;
    }
    case 'VariableDeclarator': {
      // `var h = function () {}`: wrapping would lose the inferred name `h`; register after the statement.
      if (parent.init !== fn || parent.id.type !== 'Identifier') return null;
      const statement = declarationStatement(parent, parentOf);
      return statement ? { mode: 'after', statement, expression: parent.id.name } : null;
    }
    case 'Property': {
      if (parent.value !== fn || parent.computed || parent.kind !== 'init') return null;
      const key = parent.key.type === 'Identifier' ? parent.key.name : String(parent.key.value);
      const object = parentOf.get(parent);
      const holder = object && parentOf.get(object);
      if (!object || !holder) return null;
      if (holder.type === 'VariableDeclarator' && holder.init === object && holder.id.type === 'Identifier') {
        const statement = declarationStatement(holder, parentOf);
        return statement ? { mode: 'after', statement, expression: `${holder.id.name}[${JSON.stringify(key)}]` } : null;
      }
      if (holder.type === 'AssignmentExpression' && holder.right === object && isPlainTarget(holder.left)) {
        const statement = parentOf.get(holder);
        if (statement?.type === 'ExpressionStatement' && inList(statement, parentOf)) {
          return { mode: 'after', statement, expression: `${text.slice(holder.left.start, holder.left.end)}[${JSON.stringify(key)}]` };
        }
      }
      return null;
    }
    default:
      return null;
  }
}

function inList(statement: AstNode, parentOf: Map<AstNode, AstNode>): boolean {
  const parent = parentOf.get(statement);
  return !!parent && STATEMENT_LISTS.has(parent.type);
}

function declarationStatement(declarator: AstNode, parentOf: Map<AstNode, AstNode>): AstNode | null {
  const declaration = parentOf.get(declarator);
  if (declaration?.type !== 'VariableDeclaration') return null;
  const holder = parentOf.get(declaration);
  if (holder?.type === 'ExportNamedDeclaration') return inList(holder, parentOf) ? holder : null;
  return inList(declaration, parentOf) ? declaration : null;
}

/** `a`, `a.b`, `module.exports`: re-reading it has no side effect. */
function isPlainTarget(node: AstNode): boolean {
  if (node.type === 'Identifier') return true;
  return node.type === 'MemberExpression' && !node.computed && isPlainTarget(node.object);
}

/**
 * Insertions at one offset: closings first, innermost construct first (it started last); then openings,
 * outermost first. `step` orders the edits of one node.
 */
function closing(node: AstNode, step: number): number {
  return -1e12 + (1e9 - node.start) * 10 + step;
}
function opening(node: AstNode, step: number): number {
  return 1e12 + node.start * 10 + step;
}

/**
 * The `await` expressions of each async function, its own (not those of functions nested in it): where its
 * synchronous segments end and start again.
 */
function ownAwaits(analysis: Analysis): Map<AstNode, Await[]> {
  const { parentOf } = analysis.pipeline.ownership;
  const out = new Map<AstNode, Await[]>();
  for (const node of analysis.index.ofType('AwaitExpression')) {
    let fn = parentOf.get(node);
    while (fn && !isFunction(fn)) fn = parentOf.get(fn);
    if (!fn) continue; // top-level await of an ES module
    const entry: Await = [node.start, node.argument.start, node.argument.end, node.end, resumeAt(node, parentOf)];
    const list = out.get(fn);
    if (list) list.push(entry);
    else out.set(fn, [entry]);
  }
  return out;
}

/** [await start, operand start, operand end, await end, where the clock restarts: see resumeAt]. */
type Await = [number, number, number, number, number];

/**
 * The edits a worker makes to a code unit's text, as [offset, order, text] (runtime/units.ts applies them in
 * that order): the unit's own awaits pause and resume the message's clock (`$flx$pause`, `$flx$resume`),
 * and each instrumented function nested in it counts its messages and time (`$flx$wk`), which the worker
 * sends back with its answers, so the report counts a nested fluxion that ran on a worker.
 */
function workerSplices(fn: FunctionNode, awaits: Await[], nested: FunctionNode[], ixOf: Map<AstNode, number>, text: string, imports: readonly AstNode[]): Array<[number, number, string]> {
  const edits = fn.async ? awaitClock(awaits, { pause: '$flx$pause(', resume: '$flx$resume(', restart: '$flx$resume()' }) : [];
  // `import('./x.mjs')`: resolved against the app's file, as Node does (a worker evaluates the text elsewhere)
  for (const call of imports) {
    const source = call.source as AstNode;
    if (call.start < fn.start || call.end > fn.end || source.type !== 'Literal' || typeof source.value !== 'string' || !isFileSpecifier(source.value)) continue;
    edits.push({ at: source.start, text: '$flx$spec(', order: opening(source, 1) }, { at: source.end, text: ')', order: closing(source, 1) });
  }
  for (const m of nested) {
    const ix = ixOf.get(m)!;
    edits.push(...(m.async ? bodyWrap(m, text, `$flx$wk(${ix}, -1);`, '') : bodyWrap(m, text, `var $flx$s = $flx$wk(${ix}); try {`, `} finally { $flx$wk(${ix}, $flx$s); }`)));
  }
  return edits.map((e) => [e.at, e.order ?? 0, e.text]);
}

/**
 * An async function's clock at its own awaits (see resumeAt): `pause(` around each operand, then `restart` after
 * its statement, or `resume(` around the whole await. The calls are spelled `$flx$().pause($flx$t, ` in the
 * rewritten module and `$flx$pause(` in a worker's copy of a code unit.
 */
function awaitClock(awaits: Await[], calls: { pause: string; resume: string; restart: string }): Insertion[] {
  return awaits.flatMap(([start, argStart, argEnd, end, restart]) => {
    const around: Insertion[] = [
      { at: argStart, text: calls.pause, order: 1e12 + argStart * 10 },
      { at: argEnd, text: ')', order: -1e12 + (1e9 - argStart) * 10 },
    ];
    if (restart === -2) return around;
    if (restart >= 0) return [...around, { at: restart, text: `;${calls.restart};`, order: -1e12 + (1e9 - start) * 10 + 9 }];
    return [{ at: start, text: calls.resume, order: 1e12 + start * 10 }, ...around, { at: end, text: ')', order: -1e12 + (1e9 - start) * 10 }];
  });
}

/**
 * `open` and `close` around a function's body: after a block's directives and before its last brace (both at
 * one offset for an empty body), or, for `(a) => expr`, a block opened right after the arrow that returns the
 * expression in parentheses (no ASI trap).
 */
function bodyWrap(fn: FunctionNode, text: string, open: string, close: string): Insertion[] {
  const body = fn.body;
  if (body.type === 'BlockStatement') {
    let at = body.start + 1;
    for (const s of body.body as AstNode[]) {
      if (s.type === 'ExpressionStatement' && typeof s.directive === 'string') at = s.end;
      else break;
    }
    if (at === body.end - 1) return [{ at, text: open + close, order: opening(fn, 5) }];
    return [{ at, text: open, order: opening(fn, 5) }, ...(close ? [{ at: body.end - 1, text: close, order: closing(body, 0) }] : [])];
  }
  const from = fn.params.length ? fn.params[fn.params.length - 1].end : fn.start;
  const arrow = text.indexOf('=>', from) + 2;
  return [
    { at: arrow, text: ` { ${open} return (`, order: opening(fn, 5) },
    { at: fn.end, text: `); ${close} }`, order: closing(fn, 0) },
  ];
}

/**
 * Where the clock restarts once the function resumes from an `await`: after its statement when the await is
 * the statement (`await x;`, `y = await x;`, `const y = await x;`), so that nothing is spliced before the
 * `await` keyword and the `at async …` frame of the suspended function keeps its column; -2 for `return await
 * x` (the function ends there); -1 elsewhere: the await is wrapped, `resume(t, await pause(t, x))`.
 */
function resumeAt(node: AstNode, parentOf: Map<AstNode, AstNode>): number {
  const parent = parentOf.get(node);
  if (!parent) return -1;
  if (parent.type === 'ReturnStatement') return -2;
  let statement: AstNode | undefined;
  if (parent.type === 'ExpressionStatement') statement = parent;
  else if (parent.type === 'AssignmentExpression' && parent.right === node && parentOf.get(parent)?.type === 'ExpressionStatement') statement = parentOf.get(parent);
  else if (parent.type === 'VariableDeclarator' && parent.init === node) {
    const decl = parentOf.get(parent);
    if (decl?.type === 'VariableDeclaration' && decl.declarations.length === 1) statement = decl;
  }
  return statement && inList(statement, parentOf) ? statement.end : -1;
}

/**
 * A wrapper that hands its own arguments, in order, to a function it got from around it, once:
 * `(req, res, next) => Promise.resolve(fn(req, res, next)).catch(next)`, `(...args) => fn(...args)` inside
 * `const asyncHandler = (fn) => …`. The name it calls (FunctionEntry.passes), or null.
 */
function passesArguments(fn: FunctionNode, analysis: Analysis): string | null {
  const params = fn.params as AstNode[];
  if (!params.length) return null;
  // (a closure a function returns: `(fn) => (req, res, next) => …`, `function (h) { return function (…) {…} }`)
  const parent = analysis.pipeline.ownership.parentOf.get(fn);
  const returned = (parent?.type === 'ArrowFunctionExpression' && parent.body === fn) || parent?.type === 'ReturnStatement';
  if (!returned) return null;
  const own = (id: AstNode) => {
    const def = analysis.scopes.referenceOf.get(id)?.resolved?.defs[0];
    return def?.type === 'Parameter' && (def.node as unknown as AstNode) === fn;
  };
  let found: string | null = null;
  // (the calls in pre-order: by where they start)
  for (const call of analysis.index.ofType('CallExpression')) {
    if (call.start > fn.end) break;
    if (call.start < fn.start || call.callee.type !== 'Identifier' || call.arguments.length !== params.length) continue;
    const same = (call.arguments as AstNode[]).every((a, i) => {
      const p = params[i]!;
      if (p.type === 'RestElement') return a.type === 'SpreadElement' && a.argument.type === 'Identifier' && a.argument.name === p.argument.name && own(a.argument);
      return p.type === 'Identifier' && a.type === 'Identifier' && a.name === p.name && own(a);
    });
    if (!same) continue;
    // (a function of the scopes around the wrapper: its parameter `fn`, not one declared in the wrapper itself)
    const callee = analysis.scopes.referenceOf.get(call.callee)?.resolved;
    const declared = callee?.defs[0]?.name as unknown as AstNode | undefined;
    if (!callee || !declared || (declared.start >= fn.start && declared.end <= fn.end) || callee.scope === analysis.scopes.moduleScope) continue;
    if (found !== null) return null;
    found = call.callee.name;
  }
  return found;
}

function bodyEdits(fn: FunctionNode, ix: number, text: string, unit: CodeUnit | null, awaits: Await[], writes: boolean): Insertion[] {
  // When the runtime placed the fluxion on another event loop, `enter` says so (-2) and the message goes
  // there: the arguments, `this`, and a getter of the captured variables, created only on that path.
  const args = fn.type === 'ArrowFunctionExpression' ? arrowArguments(fn) : 'arguments';
  if (unit && args === null) unit.blockers.push('an arrow function with destructured or default parameters');
  const movable = unit !== null && args !== null && unit.blockers.length === 0;
  const shipped = unit ? [...unit.captured, ...unit.state] : [];
  let env = movable && shipped.length ? `, function () { return { ${shipped.map((n) => `${JSON.stringify(n)}: ${n}`).join(', ')} }; }` : '';
  // `(req, res) => { throw … }`: express calls it with `next` too, and its throw must reach `next(err)` as
  // Express's Layer would send it; an arrow has no `arguments`, so it gets a rest parameter (not counted in
  // its `length`) that hands the arguments it does not name to the runtime, which keeps only express's `next`
  const rest = movable && fn.type === 'ArrowFunctionExpression' ? restParameter(fn, text) : [];
  if (rest.length) env = `${env || ', undefined'}, $flx$x`;
  const self = fn.type === 'ArrowFunctionExpression' ? 'undefined' : 'this';
  // offload() answers -2 when the message left (the function returns at once), or a start time when it must
  // run here after all (a value that cannot travel): then the body runs as usual. An async function's message
  // gives back a promise that settles as the function did on the worker.
  const offload = !movable
    ? ''
    : fn.async
      ? ` if ($flx$t === -2 && ($flx$t = $flx$().offloadAsync(${ix}, ${self}, ${args}${env})) instanceof Promise) return $flx$t;`
      : ` if ($flx$t === -2 && ($flx$t = $flx$().offload(${ix}, ${self}, ${args}${env})) === -2) return;`;
  const [enter, exit] = fn.async ? ['enterAsync', 'exitAsync'] : ['enter', 'exit'];
  // an async function's CPU time is the sum of its synchronous segments: each `await` pauses the clock once its
  // operand is evaluated, and the clock restarts when the function resumes (see resumeAt)
  const clock = fn.async ? awaitClock(awaits, { pause: '$flx$().pause($flx$t, ', resume: '$flx$().resume($flx$t, ', restart: '$flx$().resume($flx$t)' }) : [];
  const [wb, we] = writes ? [` ${WRITES[0]}`, ` ${WRITES[1]}`] : ['', ''];
  return [...rest, ...bodyWrap(fn, text, `var $flx$t = $flx$().${enter}(${ix});${offload} try {${wb}`, `} finally {${we} $flx$().${exit}(${ix}, $flx$t); }`), ...clock];
}

/**
 * `...$flx$x` after an arrow's plain parameters (in parentheses it gets if it had none: `req => …`); none when it
 * has a rest parameter already, a pattern, or a 'use strict' directive (a function with one may not have a rest
 * parameter). Express calls `() => { throw … }` with its `next` too.
 */
function restParameter(fn: FunctionNode, text: string): Insertion[] {
  if (fn.params.some((p) => p.type !== 'Identifier')) return [];
  if (fn.body.type === 'BlockStatement' && (fn.body.body as AstNode[]).some((s) => s.type === 'ExpressionStatement' && s.directive === 'use strict')) return [];
  if (fn.params.length === 0) {
    const open = text.indexOf('(', fn.start);
    return open < 0 || open >= fn.body.start ? [] : [{ at: open + 1, text: '...$flx$x', order: opening(fn, 1) }];
  }
  const first = fn.params[0];
  const last = fn.params[fn.params.length - 1];
  if (!text.slice(fn.start, first.start).includes('(')) return [{ at: first.start, text: '(', order: opening(first, 0) }, { at: last.end, text: ', ...$flx$x)', order: closing(last, 9) }];
  return [{ at: last.end, text: ', ...$flx$x', order: closing(last, 9) }];
}

/** An arrow has no `arguments`: its parameters, when they are plain names (`[a, b, ...rest]`), else null. */
function arrowArguments(fn: FunctionNode): string | null {
  const names: string[] = [];
  for (const p of fn.params) {
    if (p.type === 'Identifier') names.push(p.name);
    else if (p.type === 'RestElement' && p.argument.type === 'Identifier') names.push(`...${p.argument.name}`);
    else return null;
  }
  return `[${names.join(', ')}]`;
}
