/**
 * What each export of a file that keeps state reaches (FluxionalProgram.reach): a service module with a store and
 * pure helpers (`const stats = {…}; exports.create = …stats.created++…; exports.score = (title) => …`) keeps code
 * calling `create` on the main loop, where its one store is, but code calling only `score` may move: a worker's
 * copy of the file runs `score` as this one does, and its copy of the store is never touched there. The state
 * check (specifiers.ts stateReason) reads this with the exports a code unit reaches (CodeUnit requires' `members`).
 */
import type { AstNode, FunctionNode } from './ast';
import { isFunction, propertyName } from './ast';
import type { Analysis } from './index';
import { codeUnit } from './units';
import type { Variable } from './scopes';

/**
 * Export name → the specifiers (app files and packages) its code reaches, for each export of the file that reaches
 * none of its state: a function whose code unit (with the module functions it calls) reads or writes no state
 * variable and has no blocker, or a literal. Null when nothing of the file can be told apart: no state (nothing to
 * tell), `this` among it (methods write objects made at load time), or a top level that does work a worker's
 * copy would do again (loadTimeWork: timers, listeners, connections).
 */
export function exportsReach(analysis: Analysis): Record<string, string[]> | null {
  const { state } = analysis.program;
  if (!state.length || analysis.program.atLoad) return null;
  if (state.includes('this')) return instanceReach(analysis, state);
  let out: Record<string, string[]> | null = null;
  for (const [name, value] of exportedValues(analysis)) {
    if (value.type === 'Literal' || (value.type === 'TemplateLiteral' && value.expressions.length === 0)) {
      (out ??= {})[name] = [];
      continue;
    }
    if (!isFunction(value) || (value as FunctionNode).generator) continue;
    const reached = pureReach(value as FunctionNode, analysis, state, false);
    if (reached) (out ??= {})[name] = reached;
  }
  return out;
}

/**
 * The specifiers a function's code unit reaches when it reaches none of the file's `state` and has no blocker
 * (`thisCalls`: but its `this`, whose calls the caller checks), else null.
 */
function pureReach(fn: FunctionNode, analysis: Analysis, state: string[], thisCalls: boolean): string[] | null {
  const unit = codeUnit(fn, analysis);
  if (!unit || unit.state.length || unit.blockers.some((b) => !thisCalls || b !== 'uses `this`')) return null;
  const reached = [...unit.captured, ...unit.helpers.map((h) => h.name), ...unit.requires.map((r) => r.name)];
  if (reached.some((n) => state.includes(n))) return null;
  return [...new Set([...unit.requires.map((r) => r.specifier), ...(unit.inline ?? [])])];
}

/**
 * A service instance (`module.exports = new UserService()`, or a `const` holding it, its class declared in the
 * file, extending none): its state is `this`, its fields, which the methods using them write. A method that uses
 * no `this` but to call other such methods (`this.slug(name)`), and whose code reaches no module state, reaches none
 * of it: a worker's copy of the file answers it as this one does. The copy makes its own instance as it loads: the
 * constructor (its field initialisers, the arguments of that `new`) must do no work but fill fields with literals,
 * its parameters and new empty collections. Null when the file is not such a service, or no method qualifies.
 */
function instanceReach(analysis: Analysis, state: string[]): Record<string, string[]> | null {
  const made = exportedInstance(analysis);
  if (!made) return null;
  const { cls, args } = made;
  const methods = new Map<string, FunctionNode>();
  const construction: AstNode[] = [...args];
  for (const member of cls.body.body as AstNode[]) {
    if (member.type === 'MethodDefinition' && member.kind === 'constructor') construction.push(member.value);
    else if (member.type === 'MethodDefinition' && member.kind === 'method' && !member.static && !member.computed && member.key.type === 'Identifier') methods.set(member.key.name, member.value);
    else if (member.type === 'PropertyDefinition' && member.value) construction.push(member.value);
    else if (member.type === 'StaticBlock') construction.push(member);
  }
  if (construction.some((node) => worksAt(node, analysis))) return null;
  // per method: the specifiers it reaches and the methods it calls on `this`, or null
  const candidates = new Map<string, { reached: string[]; calls: Set<string> }>();
  for (const [name, fn] of methods) {
    const calls = thisCalls(fn, analysis);
    if (calls === null || fn.generator) continue;
    const reached = pureReach(fn, analysis, state, calls.size > 0);
    if (reached) candidates.set(name, { reached, calls });
  }
  // those calling only methods that qualify (a fixpoint: `fingerprint` → `slug`, `hash`), with what they reach
  const out: Record<string, string[]> = {};
  for (let changed = true; changed; ) {
    changed = false;
    for (const [name, { reached, calls }] of candidates) {
      if (name in out || ![...calls].every((c) => c in out)) continue;
      out[name] = [...new Set([...reached, ...[...calls].flatMap((c) => out[c]!)])];
      changed = true;
    }
  }
  if (!Object.keys(out).length) return null;
  // (an ES module's instance is its default export: `accounts.handle(x)` reaches `default.handle`)
  return analysis.ast.sourceType === 'module' ? Object.fromEntries(Object.entries(out).map(([name, reached]) => [`default.${name}`, reached])) : out;
}

/**
 * `module.exports = new C(…)` or `export default new C(…)` (or `c`, `const c = new C(…)`), once, C a class of the
 * file extending none.
 */
function exportedInstance(analysis: Analysis): { cls: AstNode; args: AstNode[] } | null {
  let made: AstNode | null = null;
  for (const statement of analysis.ast.body as AstNode[]) {
    let value: AstNode | null = null;
    if (statement.type === 'ExpressionStatement' && statement.expression.type === 'AssignmentExpression' && isModuleExports(statement.expression.left)) value = statement.expression.right;
    else if (statement.type === 'ExportDefaultDeclaration') value = statement.declaration;
    if (!value) continue;
    if (made) return null;
    made = value;
  }
  if (made?.type === 'Identifier') made = constInit(made, analysis);
  if (made?.type !== 'NewExpression' || made.callee.type !== 'Identifier') return null;
  const variable = analysis.scopes.referenceOf.get(made.callee)?.resolved;
  if (!variable || variable.scope !== analysis.scopes.moduleScope || variable.defs.length !== 1 || variable.references.some((r) => r.isWrite() && !r.init)) return null;
  const def = variable.defs[0]!;
  const cls = def.type === 'ClassName' ? (def.node as unknown as AstNode) : def.type === 'Variable' ? ((def.node as unknown as AstNode).init as AstNode | null) : null;
  if (!cls || (cls.type !== 'ClassDeclaration' && cls.type !== 'ClassExpression') || cls.superClass) return null;
  return { cls, args: made.arguments as AstNode[] };
}

/**
 * Whether the module binding `id` names is only read where it is used: `service.price(1)`, the export; not
 * `service.price = …`, `delete service.x`, `Object.assign(service, …)` (nor handed to any call): what it holds is
 * what its initialiser says.
 */
function onlyRead(id: AstNode, analysis: Analysis): boolean {
  const { parentOf } = analysis.pipeline.ownership;
  const variable = analysis.scopes.referenceOf.get(id)?.resolved;
  if (!variable) return false;
  return variable.references.every((r) => {
    const ref = r.identifier as unknown as AstNode;
    if (r.init || ref === id) return true;
    const parent = parentOf.get(ref);
    if (parent?.type !== 'MemberExpression' || parent.object !== ref) return false;
    const above = parentOf.get(parent);
    return !((above?.type === 'AssignmentExpression' && above.left === parent) || above?.type === 'UpdateExpression' || (above?.type === 'UnaryExpression' && above.operator === 'delete'));
  });
}

/** The value a module `const` never written again was given, or null. */
function constInit(id: AstNode, analysis: Analysis): AstNode | null {
  const variable = analysis.scopes.referenceOf.get(id)?.resolved;
  if (!variable || variable.scope !== analysis.scopes.moduleScope || variable.defs.length !== 1) return null;
  const def = variable.defs[0]!;
  if (def.type !== 'Variable' || (def.parent as unknown as AstNode | null)?.kind !== 'const') return null;
  return ((def.node as unknown as AstNode).init as AstNode | null) ?? null;
}

/** Collections a constructor may make: no work. */
const EMPTY_MAKERS = new Set(['Map', 'Set', 'WeakMap', 'WeakSet', 'Array', 'Object', 'Date', 'RegExp']);

/** Whether code under `node` calls anything, or makes anything but a collection (its work a copy would do again). */
function worksAt(node: AstNode, analysis: Analysis): boolean {
  const under = (n: AstNode) => n.start >= node.start && n.end <= node.end;
  if (analysis.index.ofType('CallExpression').some(under) || analysis.index.ofType('TaggedTemplateExpression').some(under) || analysis.index.ofType('AwaitExpression').some(under)) return true;
  return analysis.index.ofType('NewExpression').some((n) => under(n) && !(n.callee.type === 'Identifier' && EMPTY_MAKERS.has(n.callee.name)));
}

/**
 * The methods a method calls on its own `this` (`this.slug(x)`), or null when it uses `this` (or `super`) otherwise:
 * reads or writes a field, hands `this` on, or a function inside it has a `this` of its own that it uses.
 */
function thisCalls(fn: FunctionNode, analysis: Analysis): Set<string> | null {
  const { parentOf, ownerOf } = analysis.pipeline.ownership;
  const under = (n: AstNode) => n.start >= fn.start && n.end <= fn.end;
  if (analysis.index.ofType('Super').some(under)) return null;
  const calls = new Set<string>();
  for (const node of analysis.index.ofType('ThisExpression')) {
    if (!under(node)) continue;
    if (ownerOf.get(node)?.thisFn !== fn) return null;
    const member = parentOf.get(node);
    const call = member && parentOf.get(member);
    if (member?.type !== 'MemberExpression' || member.object !== node || member.computed || call?.type !== 'CallExpression' || call.callee !== member) return null;
    calls.add(propertyName(member)!);
  }
  return calls;
}

/**
 * What the file's top level does that a worker's copy of it would do again, or null: it registers a callback
 * (`setInterval(flush, 1000)`, `bus.on(…)`, a route), opens the network, connects or configures a package. A file
 * whose state is never reached may still be loaded on a worker (required by one whose exports are reached):
 * its copy must not do such work (a flush of its empty copy over the main loop's data).
 */
export function loadTimeWork(analysis: Analysis): string | null {
  const { ownerOf } = analysis.pipeline.ownership;
  const atLoad = (node: AstNode) => {
    const o = ownerOf.get(node);
    return !!o && o.flx === analysis.ast && o.topFn === null;
  };
  for (const rp of analysis.found.rupturePoints) if (atLoad(rp.call)) return `registers a callback (\`${rp.callee}\`, line ${rp.call.loc.start.line})`;
  for (const call of analysis.found.networkCalls) if (atLoad(call)) return `opens the network (line ${call.loc.start.line})`;
  const { connects, configures } = analysis.program;
  if (connects?.length) return `connects or initialises \`${connects[0]![0]}\` (\`${connects[0]![1]}\`)`;
  if (configures?.length) return `configures \`${configures[0]![0]}\` (\`${configures[0]![1]}\`)`;
  return null;
}

/**
 * The file's exports whose value the text says: `exports.a = …`, `module.exports.a = …`, `module.exports = { a,
 * b: …, c() {} }`, `export function a`, `export const a = …`, `export { a as b }`; a name bound to a module function
 * (`function a() {}` … `exports.a = a`) is that function. An export assigned twice, or anything else, is left out.
 */
export function exportedValues(analysis: Analysis): Map<string, AstNode> {
  const out = new Map<string, AstNode>();
  const twice = new Set<string>();
  const put = (name: string | null, value: AstNode | null | undefined) => {
    if (name === null || !value) return;
    if (out.has(name)) twice.add(name);
    out.set(name, resolved(value, analysis) ?? value);
  };
  // an object literal's properties (`module.exports = { a, b() {} }`), or a module const's holding one
  const putAll = (value: AstNode, prefix: string) => {
    const object = value.type === 'Identifier' ? (onlyRead(value, analysis) ? constInit(value, analysis) : null) : value;
    if (object?.type !== 'ObjectExpression') return;
    for (const p of object.properties as AstNode[]) {
      if (p.type !== 'Property' || p.computed || p.kind !== 'init') continue;
      const key = p.key.type === 'Identifier' ? p.key.name : typeof p.key.value === 'string' ? p.key.value : null;
      put(key === null ? null : prefix + key, p.value);
    }
  };
  for (const statement of analysis.ast.body as AstNode[]) {
    if (statement.type === 'ExpressionStatement' && statement.expression.type === 'AssignmentExpression' && statement.expression.operator === '=') {
      const { left, right } = statement.expression as AstNode;
      if (left.type !== 'MemberExpression') continue;
      if (isModuleExports(left)) putAll(right, '');
      else if (isExportsObject(left.object)) put(propertyName(left), right);
    } else if (statement.type === 'ExportDefaultDeclaration') {
      // `export default { price() {…} }` (or a const holding it): `import service from …`, `service.price(x)`
      putAll(statement.declaration, 'default.');
    } else if (statement.type === 'ExportNamedDeclaration' && !statement.source) {
      const d = statement.declaration as AstNode | null;
      if (d?.type === 'FunctionDeclaration' && d.id) put(d.id.name, d);
      else if (d?.type === 'VariableDeclaration' && d.kind === 'const') for (const v of d.declarations as AstNode[]) if (v.id.type === 'Identifier') put(v.id.name, v.init);
      for (const s of (statement.specifiers ?? []) as AstNode[]) if (s.local.type === 'Identifier') put(s.exported.type === 'Identifier' ? s.exported.name : s.exported.value, s.local);
    }
  }
  for (const name of twice) out.delete(name);
  return out;
}

/** `module.exports` */
function isModuleExports(node: AstNode): boolean {
  return node.type === 'MemberExpression' && !node.computed && node.object.type === 'Identifier' && node.object.name === 'module' && propertyName(node) === 'exports';
}

/** `exports` or `module.exports` (the free `exports` of CommonJS, not a variable of the file's). */
function isExportsObject(node: AstNode): boolean {
  return (node.type === 'Identifier' && node.name === 'exports') || isModuleExports(node);
}

/** An identifier naming a module function or a `const` holding one (never assigned again): that function. */
export function resolved(value: AstNode, analysis: Analysis): AstNode | null {
  if (value.type !== 'Identifier') return null;
  const variable: Variable | null | undefined = analysis.scopes.referenceOf.get(value)?.resolved ?? analysis.scopes.moduleScope.set.get(value.name);
  if (!variable || variable.scope !== analysis.scopes.moduleScope || variable.defs.length !== 1) return null;
  if (variable.references.some((r) => r.isWrite() && !r.init)) return null;
  const def = variable.defs[0]!;
  if (def.type === 'FunctionName') return def.node as unknown as AstNode;
  if (def.type === 'Variable') {
    const init = (def.node as unknown as AstNode).init as AstNode | null;
    return init && isFunction(init) ? init : null;
  }
  return null;
}
