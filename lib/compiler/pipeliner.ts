/**
 * Pipeliner step (paper §3.2): cut the program into fluxions at its rupture points and replace each broken
 * closure by a context (scope), a message variable (stream) or a share group (share).
 *
 * Rules, per variable that crosses a fluxion boundary:
 * - Module memory (declared in code that runs once, at load time). Load-time code is the initialisation:
 *   it runs before any message, so it neither reads nor writes "concurrently".
 *   - written by no fluxion → read-only: copied into every fluxion that uses it (functions, constants,
 *     `require` results: the latter are re-required, never copied);
 *   - written and read by exactly one fluxion → scope of that fluxion (its context);
 *   - otherwise → share: the fluxions get the tag `grp_<var>` and the variable in their contexts. Module
 *     memory is shared by every request, so the paper's "stream" would let a downstream fluxion read its own
 *     request's value instead of the latest one: we keep the app's semantics and share instead.
 * - Memory of a post chain (declared inside a function): each flow has its own copy, so it is streamed
 *   downstream from its origin to every fluxion that uses it, in every message on the way; a start listener's
 *   parameters (req, res) originate upstream, in the start message. It is shared instead when a fluxion other
 *   than its origin writes it and another fluxion that is not downstream of that writer uses it.
 */
import { isFunction, isFunctionNamespace, propertyName, type AstIndex, type AstNode, type FunctionNode } from './ast';
import type { Callees } from './callees';
import { derivedFrom, unremadeReason } from './factories';
import { computeOwnership, type Owner, type Ownership } from './ownership';
import type { Found, FoundRupturePoint } from './rupture-points';
import type { Scopes, Variable } from './scopes';
import type { RuptureKind, Stream, VariableInfo } from '../types';

export interface FluxionDraft {
  id: string;
  kind: 'main' | 'start' | 'post';
  node: AstNode;
  parent: FluxionDraft | null;
  streams: Stream[];
  /** The arrow of the stream that feeds it first (for `>> id` / `-> id` markers). */
  arrive: RuptureKind;
  tags: Set<string>;
  context: Map<Variable, number>;
  reasons: string[];
  stateful: boolean;
}

export interface Pipeline {
  fluxions: FluxionDraft[];
  variables: VariableInfo[];
  ownership: Ownership;
  /** Callback argument → the fluxion it feeds and the stream's arrow. */
  splits: Map<AstNode, { target: FluxionDraft; type: RuptureKind }>;
}

/** Parameter names that hold sockets by convention, where the compiler cannot prove what calls the function. */
const NETWORK_NAMES = new Set(['req', 'res', 'next', 'request', 'response', 'socket', 'ws']);
/** Methods that only read their receiver; any other method call on a variable counts as writing it. */
const PURE_METHODS = new Set(
  ('get has keys values entries forEach map filter reduce reduceRight some every find findIndex findLast ' +
    'findLastIndex indexOf lastIndexOf includes join slice concat at toString toJSON toFixed valueOf flat flatMap ' +
    'charAt charCodeAt codePointAt startsWith endsWith trim trimStart trimEnd split substring substr toUpperCase ' +
    'toLowerCase padStart padEnd repeat replace replaceAll match matchAll search localeCompare normalize test call ' +
    'apply bind then catch finally getTime toISOString hasOwnProperty format').split(' '),
);
const RESERVED_IDS = new Set(['main', 'null', 'express_dispatcher']);

interface Use {
  read: boolean;
  write: boolean;
}

export function pipeline(index: AstIndex, scopes: Scopes, callees: Callees, found: Found, ignored: Set<AstNode>): Pipeline {
  const ast = index.root;
  const rps = found.rupturePoints;
  const callbackNodes = new Set<AstNode>();
  for (const rp of rps) for (const cb of rp.callbacks) if (!ignored.has(cb.fn)) callbackNodes.add(cb.fn);
  const ownership = computeOwnership(index, callbackNodes);
  const { ownerOf, parentOf } = ownership;

  // 1. Fluxions: main, then one per callback function, named like the function (paper §2.3).
  const main: FluxionDraft = draft('main', 'main', ast);
  const byNode = new Map<AstNode, FluxionDraft>([[ast, main]]);
  const usedIds = new Set<string>(['main']);
  let anonymous = 1000;
  for (const fn of [...callbackNodes].sort((a, b) => a.start - b.start)) {
    let id = functionName(fn as FunctionNode, parentOf);
    if (id === null) id = `anonymous_${anonymous++}`;
    if (usedIds.has(id) || RESERVED_IDS.has(id)) id = `${id}_${fn.loc.start.line}`;
    while (usedIds.has(id)) id += '_';
    usedIds.add(id);
    byNode.set(fn, draft(id, 'post', fn));
  }
  const flxOf = (owner: Owner | undefined): FluxionDraft => byNode.get(owner?.flx ?? ast) ?? main;

  // 2. Streams: one per (rupture point, callback); the first one decides the fluxion's parent and kind.
  const splits = new Map<AstNode, { target: FluxionDraft; type: RuptureKind }>();
  const pairs = rps.flatMap((rp) => rp.callbacks.map((cb) => ({ rp, cb }))).sort((a, b) => a.cb.arg.start - b.cb.arg.start);
  for (const { rp, cb } of pairs) {
    const owner = ownerOf.get(rp.call);
    const from = flxOf(owner);
    // A continuation reached from a function of main runs once per outside event, not once per main:
    // for main it opens a flow, like a listener (paper Listing 4: `>> anonymous_1000`).
    const type: RuptureKind = rp.kind === 'post' && from === main && owner?.topFn ? 'start' : rp.kind;
    {
      const target = byNode.get(cb.fn);
      if (!target || ignored.has(cb.fn)) continue;
      if (!splits.has(cb.fn)) {
        // a callback that feeds itself (`function tick() { setTimeout(tick) }`) hangs off main
        target.parent = from === target ? main : from;
        target.kind = rp.kind;
        target.arrive = type;
        splits.set(cb.fn, { target, type });
      }
      splits.set(cb.arg, { target, type });
      from.streams.push({ type, from: from.id, to: target.id, vars: [], rupturePoint: rp.id });
    }
  }
  const fluxions = [...byNode.values()];
  const byNodeHas = (key: FluxionDraft | Variable) => fluxions.includes(key as FluxionDraft);
  const isAncestor = (up: FluxionDraft, down: FluxionDraft): boolean => {
    const seen = new Set<FluxionDraft>();
    for (let f: FluxionDraft | null = down; f && !seen.has(f); f = f.parent) {
      if (f === up) return true;
      seen.add(f);
    }
    return false;
  };

  // 3. Functions bound to a name (never reassigned) that are not fluxions are summarised: whoever
  //    calls them uses what they use (a `done()` helper called by two continuations makes them share).
  const loadTime = (node: AstNode) => {
    const o = ownerOf.get(node);
    return !!o && o.flx === ast && o.topFn === null;
  };
  const summaryOf = new Map<AstNode, Variable>();
  const allVariables = scopes.manager.scopes.flatMap((s) => s.variables);
  for (const v of allVariables) {
    if (v.identifiers.length === 0 || v.defs.length !== 1) continue;
    const value = callees.variable(v, Infinity);
    if (value.kind === 'function' && !callbackNodes.has(value.node) && (value.node as AstNode) !== ast) summaryOf.set(value.node, v);
  }
  const summaryVars = new Set(summaryOf.values());
  type Key = FluxionDraft | Variable;
  /** The innermost summarised function around a node, or its fluxion. */
  const keyOf = (node: AstNode): Key => {
    for (let o: Owner | null | undefined = ownerOf.get(node); o; o = o.up) {
      if (o.fn && summaryOf.has(o.fn)) return summaryOf.get(o.fn)!;
    }
    return flxOf(ownerOf.get(node));
  };
  const calls = new Map<Key, Set<Variable>>();
  for (const fnVar of summaryOf.values()) {
    for (const ref of fnVar.references) {
      const key = keyOf(ref.identifier as unknown as AstNode);
      if (!calls.has(key)) calls.set(key, new Set());
      calls.get(key)!.add(fnVar);
    }
  }
  const reachers = new Map<Variable, Set<FluxionDraft>>();
  for (const f of fluxions) {
    const stack = [...(calls.get(f) ?? [])];
    const seen = new Set<Variable>();
    while (stack.length) {
      const g = stack.pop()!;
      if (seen.has(g)) continue;
      seen.add(g);
      if (!reachers.has(g)) reachers.set(g, new Set());
      reachers.get(g)!.add(f);
      stack.push(...(calls.get(g) ?? []));
    }
  }
  const fluxionsOf = (key: Key): FluxionDraft[] => {
    if (!(key instanceof Object) || !('references' in key)) return [key as FluxionDraft];
    const found = reachers.get(key as Variable);
    if (found && found.size) return [...found];
    // never called here: it stands for the fluxion that declares it
    return [flxOf(ownerOf.get((key as Variable).identifiers[0] as unknown as AstNode))];
  };

  // 4. Every variable: who uses it, and how.
  const variables: VariableInfo[] = [];
  const declaredAt = (v: Variable) => (v.identifiers[0] ? (v.identifiers[0] as unknown as AstNode).start : -1);
  for (const v of allVariables) {
    if (v.references.length === 0 || v.identifiers.length === 0) continue;
    const declId = v.identifiers[0] as unknown as AstNode;
    const moduleLevel = loadTime(declId);
    const holds = moduleLevel ? holdsOf(v, callees, scopes) : undefined;
    const network = holds === 'network' || isNetworkParam(v, rps);
    const declKey = keyOf(declId);
    const refKeys = v.references.map((ref) => keyOf(ref.identifier as unknown as AstNode));
    // Declared and used inside one summarised function only: its own local, whoever calls it.
    if (declKey !== main && !byNodeHas(declKey) && refKeys.every((k) => k === declKey)) continue;
    const users = new Map<FluxionDraft, Use>();
    const networkUsers = new Set<FluxionDraft>();
    v.references.forEach((ref, i) => {
      const idNode = ref.identifier as unknown as AstNode;
      const write = (ref.isWrite() && !(moduleLevel && ref.init)) || isMutation(idNode, parentOf, holds);
      const whom = fluxionsOf(refKeys[i]);
      for (const f of whom) networkUsers.add(f);
      if (moduleLevel && refKeys[i] === main && loadTime(idNode)) return; // initialisation
      for (const f of whom) {
        const u = users.get(f) ?? { read: false, write: false };
        if (write) u.write = true;
        else u.read = true;
        users.set(f, u);
      }
    });
    if (network) {
      for (const f of networkUsers) {
        f.tags.add('network');
        const why = `touches \`${v.name}\` (network)`;
        if (f !== main && !f.reasons.includes(why)) f.reasons.push(why);
      }
    }
    const origin = moduleLevel ? main : flxOf(ownerOf.get(declId));
    const info = classify(v, moduleLevel, origin, users, holds, network);
    if (info) variables.push(info);
  }

  function classify(v: Variable, moduleLevel: boolean, origin: FluxionDraft, users: Map<FluxionDraft, Use>, holds: VariableInfo['holds'], network: boolean): VariableInfo | null {
    const others = [...users.keys()].filter((f) => f !== origin);
    if (others.length === 0) return null; // never crosses a boundary
    const readers = [...users].filter(([, u]) => u.read).map(([f]) => f.id);
    const writers = [...users].filter(([, u]) => u.write).map(([f]) => f);
    const base = {
      name: v.name,
      declaredAt: v.identifiers[0] ? { ...(v.identifiers[0] as unknown as AstNode).loc.start } : null,
      origin: origin.id,
      readers,
      writers: writers.map((f) => f.id),
      network,
    };
    const share = (reason: string): VariableInfo => {
      const members = [...users.keys()];
      for (const f of members) {
        f.tags.add(`grp_${v.name}`);
        f.context.set(v, declaredAt(v));
        if (f !== main) f.reasons.push(`shares \`${v.name}\` with ${members.filter((m) => m !== f).map((m) => m.id).join(', ')} (grp_${v.name})`);
      }
      return { ...base, class: 'share', fluxions: members.map((f) => f.id), reason };
    };
    if (summaryVars.has(v) && writers.length === 0) {
      // a helper function of the chain: what it touches is counted for its callers (step 3)
      for (const f of others) f.context.set(v, declaredAt(v));
      return { ...base, class: 'read-only', holds: 'function', fluxions: others.map((f) => f.id), reason: 'a function never reassigned: what it uses counts for its callers' };
    }
    if (moduleLevel) {
      if (writers.length === 0) {
        for (const f of others) if (holds !== 'module' && holds !== 'network') f.context.set(v, declaredAt(v));
        const def = v.defs[0];
        const made = holds === 'module' && def?.type === 'Variable' ? derivedFrom(def.node as unknown as AstNode, scopes) : null;
        const configured = made?.configures.length ? `, then configured as line${made.configures.length > 1 ? 's' : ''} ${made.configures.map((s) => s.loc.start.line).join(', ')} of the top level do${made.configures.length > 1 ? '' : 'es'}` : '';
        const unremade = holds === 'module' && !made && def?.type === 'Variable' ? unremadeReason(def.node as unknown as AstNode, scopes) : null;
        const reason = made ? MADE_AGAIN + configured : unremade !== null ? NOT_MADE_AGAIN + unremade : `never written after initialisation (${holds})`;
        return { ...base, class: 'read-only', holds, fluxions: others.map((f) => f.id), reason };
      }
      if (writers.length === 1 && users.size === 1) {
        const owner = writers[0];
        owner.context.set(v, declaredAt(v));
        owner.stateful = true;
        return { ...base, class: 'scope', fluxions: [owner.id], reason: `written only by ${owner.id}` };
      }
      const written = writers.map((f) => f.id).join(' and ');
      const read = readers.filter((r) => !writers.some((w) => w.id === r));
      return share(`module memory written by ${written}${read.length ? ` and read by ${read.join(', ')}` : ''}: one copy for all requests`);
    }
    // Memory of a post chain.
    const streamFrom =
      v.defs[0]?.type === 'Parameter' && origin.kind === 'start' && origin.parent && (v.defs[0].node as unknown) === origin.node
        ? origin.parent
        : origin;
    const otherWriters = writers.filter((f) => f !== origin);
    const downstreamOnly = others.every((f) => isAncestor(origin, f));
    const ordered =
      otherWriters.length === 0 ||
      (otherWriters.length === 1 && others.every((f) => f === otherWriters[0] || isAncestor(otherWriters[0], f)));
    if (!downstreamOnly || !ordered) {
      const w = otherWriters.map((f) => f.id).join(' and ');
      return share(`written by ${w || origin.id} and used by fluxions that are not downstream of it`);
    }
    const carriers = new Set<string>();
    for (const f of others) {
      for (let d: FluxionDraft | null = f; d && d !== streamFrom && d.parent; d = d.parent) {
        for (const s of d.parent.streams) if (s.to === d.id && !s.vars.includes(v.name)) insertByDeclaration(s.vars, v.name, declaredAt(v));
        carriers.add(d.id);
      }
    }
    const reason = otherWriters.length
      ? `defined in ${origin.id}'s chain, written by ${otherWriters[0].id} and read downstream: travels in the messages`
      : `defined by ${streamFrom.id} and read downstream: travels in the messages`;
    return { ...base, class: 'stream', fluxions: [...carriers], reason };
  }

  for (const call of found.networkCalls) flxOf(ownerOf.get(call)).tags.add('network');

  // 5. Hazards and writes to globals keep a fluxion on the main loop.
  for (const [node, list] of ownership.hazards) {
    const f = byNode.get(node);
    if (!f || f === main) continue;
    for (const h of list) {
      const why = h.what === 'this' ? 'uses `this`' : `uses \`${h.what}\` (line ${h.node.loc.start.line})`;
      if (!f.reasons.includes(why)) f.reasons.push(why);
    }
  }
  for (const ref of scopes.manager.globalScope?.through ?? []) {
    const idNode = ref.identifier as unknown as AstNode;
    const f = flxOf(ownerOf.get(idNode));
    if (f === main) continue;
    if ((ref.isWrite() || isMutation(idNode, parentOf, 'module')) && !['module', 'exports', 'console'].includes(ref.identifier.name) && !writesEnvVariable(idNode, parentOf)) {
      const why = `writes the global \`${ref.identifier.name}\``;
      if (!f.reasons.includes(why)) f.reasons.push(why);
    }
  }
  for (const f of fluxions) {
    if (f === main) continue;
    const hasGroup = [...f.tags].some((t) => t.startsWith('grp_'));
    if (f.reasons.length === 0 && !f.stateful && !hasGroup && !f.tags.has('network')) f.tags.add('isolated');
  }
  return { fluxions, variables, ownership, splits };
}

const positions = new WeakMap<string[], Map<string, number>>();
/** Message variables in declaration order (`[req, next]`, as the paper lists them). */
function insertByDeclaration(vars: string[], name: string, at: number): void {
  const pos = positions.get(vars) ?? new Map<string, number>();
  positions.set(vars, pos);
  pos.set(name, at);
  vars.push(name);
  vars.sort((a, b) => pos.get(a)! - pos.get(b)!);
}

function draft(id: string, kind: FluxionDraft['kind'], node: AstNode): FluxionDraft {
  return { id, kind, node, parent: null, streams: [], arrive: 'post', tags: new Set(), context: new Map(), reasons: [], stateful: false };
}

/** The function's own name, or the name JavaScript infers for it (`const onReq = (req, res) => …`). */
export function functionName(fn: FunctionNode, parentOf: Map<AstNode, AstNode>): string | null {
  if (fn.id?.type === 'Identifier') return fn.id.name;
  const parent = parentOf.get(fn);
  if (!parent) return null;
  if (parent.type === 'VariableDeclarator' && parent.init === fn && parent.id.type === 'Identifier') return parent.id.name;
  if (parent.type === 'AssignmentExpression' && parent.right === fn && parent.left.type === 'Identifier') return parent.left.name;
  if ((parent.type === 'Property' || parent.type === 'MethodDefinition' || parent.type === 'PropertyDefinition') && !parent.computed && parent.key.type === 'Identifier') {
    return parent.key.name;
  }
  return null;
}

/** What a module binding holds. */
/** The reason of a read-only binding a known factory made (a logger, a schema): explain.ts words it so. */
export const MADE_AGAIN = 'made by a known factory from modules and literals (factories.ts)';
/** The reason's prefix of one a known factory made that a worker cannot make again (factories.ts unremadeReason follows). */
export const NOT_MADE_AGAIN = 'not made again: ';

export function holdsOf(v: Variable, callees: Callees, scopes: Scopes): VariableInfo['holds'] {
  const def = v.defs[0];
  if (def?.type === 'Variable' && isFunctionNamespace((def.node as unknown as AstNode).init)) return 'function';
  // a logger, a formatter, a wrapped function a factory made from modules (factories.ts): used as a module is
  if (def?.type === 'Variable' && v.defs.length === 1 && derivedFrom(def.node as unknown as AstNode, scopes) !== null) return 'module';
  // (and one the top level configures in a way a worker cannot do again: its calls do not write it either; it stays)
  if (def?.type === 'Variable' && v.defs.length === 1 && unremadeReason(def.node as unknown as AstNode, scopes) !== null) return 'module';
  const value = callees.variable(v, Infinity);
  switch (value.kind) {
    case 'module':
    case 'export':
      return 'module';
    case 'function':
      return 'function';
    case 'literal': {
      const def = v.defs[0];
      const init = def?.type === 'Variable' ? (def.node as unknown as AstNode).init : null;
      return init && (init.type === 'Literal' || (init.type === 'TemplateLiteral' && init.expressions.length === 0)) ? 'constant' : 'value';
    }
    case 'express-app':
    case 'express-router':
    case 'express-route':
    case 'server':
      return 'network';
    default:
      return v.defs[0]?.type === 'ClassName' ? 'function' : 'value';
  }
}

/** Parameters of a network listener (proven: express, http), or named like sockets (req, res, next…). */
function isNetworkParam(v: Variable, rps: FoundRupturePoint[]): boolean {
  const def = v.defs[0];
  if (def?.type !== 'Parameter') return false;
  if (NETWORK_NAMES.has(v.name)) return true;
  const fn = def.node as unknown as AstNode;
  return isFunction(fn) && rps.some((rp) => rp.server && rp.callbacks.some((cb) => cb.fn === fn));
}

/**
 * `x.a.b…` read from `x`: the outermost member expression (or the optional chain around it), what uses it, and the
 * member names on the way (null for a computed one); null when `x` is not the object of a member expression.
 */
export function memberUse(id: AstNode, parentOf: Map<AstNode, AstNode>): { node: AstNode; parent: AstNode; members: Array<string | null> } | null {
  let node = id;
  let parent = parentOf.get(node);
  const members: Array<string | null> = [];
  while (parent && parent.type === 'MemberExpression' && parent.object === node) {
    members.push(propertyName(parent));
    node = parent;
    parent = parentOf.get(node);
  }
  if (!parent || members.length === 0) return null;
  if (parent.type === 'ChainExpression') {
    node = parent;
    parent = parentOf.get(node);
    if (!parent) return null;
  }
  return { node, parent, members };
}

/**
 * `process.env.X = …`, `delete process.env.X`: one environment variable, which every thread shares (the runtime's
 * workers start with `env: SHARE_ENV`), not the global `process`.
 */
export function writesEnvVariable(id: AstNode, parentOf: Map<AstNode, AstNode>): boolean {
  if (id.name !== 'process') return false;
  const use = memberUse(id, parentOf);
  return !!use && use.members.length === 2 && use.members[0] === 'env' && isMutation(id, parentOf, 'module');
}

/** `x.a = …`, `x.a++`, `delete x.a`, `x.push(…)`: the object held by `x` is written. */
export function isMutation(id: AstNode, parentOf: Map<AstNode, AstNode>, holds: VariableInfo['holds'] | undefined): boolean {
  const use = memberUse(id, parentOf);
  if (!use) return false;
  const { node, parent, members } = use;
  if (parent.type === 'AssignmentExpression' && parent.left === node) return true;
  if (parent.type === 'UpdateExpression') return true;
  if (parent.type === 'UnaryExpression' && parent.operator === 'delete') return true;
  if ((parent.type === 'ForInStatement' || parent.type === 'ForOfStatement') && parent.left === node) return true;
  if (parent.type === 'CallExpression' && parent.callee === node && holds !== 'module' && holds !== 'function' && holds !== 'network') {
    const name = members[members.length - 1];
    return name == null || !PURE_METHODS.has(name);
  }
  return false;
}

