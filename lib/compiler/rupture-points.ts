/**
 * Rupture-point step (paper §3.1): calls of asynchronous callees with a callback. The callee is matched
 * against the catalogue by what it holds (see callees.ts), not by its spelling; each callback argument is
 * either proven (a function of this file) or recorded as a dynamic site for the JIT.
 */
import { calleeText, isFunction, propertyName, requireSpecifier, type AstIndex, type AstNode, type FunctionNode } from './ast';
import { Catalogue, EXPRESS_APP_METHODS } from './catalogue';
import { isNetworkValue, type Callees } from './callees';
import type { CalleeSpec, RuptureKind } from '../types';

export interface Callback {
  arg: AstNode;
  index: number;
  fn: FunctionNode;
}

export interface DynamicArgument {
  arg: AstNode;
  index: number;
  reason: string;
}

export interface FoundRupturePoint {
  id: number;
  kind: RuptureKind;
  call: AstNode;
  callee: string;
  matched: string;
  /** The callbacks are listeners of a network server (express, http): their parameters are sockets. */
  server: boolean;
  callbacks: Callback[];
  dynamic: DynamicArgument[];
}

interface Match {
  spec: CalleeSpec;
  matched: string;
  server: boolean;
  /** Untyped receivers (method-name entries) need a proven callback: no dynamic sites for them. */
  proofNeeded: boolean;
}

/** The few express verbs recognised on receivers the compiler cannot type (`module.exports = app => app.get(…)`). */
const EXPRESS_LIKE = new Set(['get', 'post', 'put', 'delete', 'patch', 'all', 'use', 'head', 'options']);

export interface Found {
  rupturePoints: FoundRupturePoint[];
  /** Calls that open the network without a callback (`server.listen(port)`): their fluxion is `network`. */
  networkCalls: AstNode[];
}

export function findRupturePoints(index: AstIndex, source: string, callees: Callees, catalogue: Catalogue): Found {
  const rupturePoints: FoundRupturePoint[] = [];
  const networkCalls: AstNode[] = [];
  for (const node of index.ofType('CallExpression')) {
    const match = matchCallee(node, callees, catalogue);
    if (!match) continue;
    if (match.server || match.matched.endsWith('.listen')) networkCalls.push(node);
    const rp = collectCallbacks(node, match, source, callees);
    if (rp.callbacks.length === 0 && rp.dynamic.length === 0) continue;
    rupturePoints.push({ ...rp, id: rupturePoints.length + 1 });
  }
  return { rupturePoints, networkCalls };
}

function matchCallee(call: AstNode, callees: Callees, catalogue: Catalogue): Match | null {
  const callee = call.callee.type === 'ChainExpression' ? call.callee.expression : call.callee;
  if (callee.type === 'Identifier') {
    const value = callees.valueOf(callee);
    if (value.kind === 'export') return withSpec(catalogue.moduleExport(value.module, value.name), `${value.module}.${value.name}`);
    if (value.kind === 'module') return withSpec(catalogue.moduleExport(value.module, 'default'), `${value.module}()`);
    if (value.kind === 'global') return withSpec(catalogue.global(value.name), value.name);
    return null;
  }
  if (callee.type !== 'MemberExpression') return null;
  const name = propertyName(callee);
  if (name === null) return null;
  const specifier = requireSpecifier(callee.object);
  const object = specifier !== null ? { kind: 'module' as const, module: specifier } : callees.valueOf(callee.object);
  switch (object.kind) {
    case 'module': {
      const match = withSpec(catalogue.moduleExport(object.module, name), `${object.module}.${name}`);
      if (match) return match;
      break; // a module the catalogue does not know: its methods are matched by name below
    }
    case 'global': {
      const match = withSpec(catalogue.global(`${object.name}.${name}`), `${object.name}.${name}`);
      if (match) return match;
      break;
    }
    case 'express-app':
    case 'express-router':
    case 'express-route': {
      const owner = object.kind === 'express-app' ? 'app' : object.kind === 'express-router' ? 'router' : 'route';
      if (EXPRESS_APP_METHODS.has(name)) {
        return { spec: { kind: 'start', callbacks: 'all' }, matched: `express ${owner}.${name}`, server: true, proofNeeded: false };
      }
      if (name === 'listen') return { spec: { kind: 'post' }, matched: `express ${owner}.listen`, server: false, proofNeeded: false };
      return null;
    }
    default:
      break;
  }
  if (object.kind === 'server' && name === 'listen') {
    return { spec: { kind: 'post' }, matched: 'server.listen', server: false, proofNeeded: false };
  }
  if (isNetworkValue(object) && (name === 'on' || name === 'once' || name === 'addListener')) {
    return { spec: { kind: 'start', callbacks: 'last' }, matched: `server.${name}`, server: true, proofNeeded: false };
  }
  if (EXPRESS_LIKE.has(name) && call.arguments.length >= 2 && isRoutePath(call.arguments[0])) {
    return { spec: { kind: 'start', callbacks: 'all' }, matched: `express-like .${name}`, server: true, proofNeeded: false };
  }
  const spec = catalogue.method(name);
  if (!spec || call.arguments.length < (spec.minArgs ?? 1)) return null;
  return { spec, matched: `method .${name}`, server: false, proofNeeded: true };
}

function withSpec(spec: CalleeSpec | undefined, matched: string): Match | null {
  if (!spec) return null;
  const server = spec.kind === 'start' && /^(http|https|http2|net|tls)\.create(Secure)?Server$/.test(matched);
  return { spec, matched, server, proofNeeded: false };
}

function isRoutePath(node: AstNode): boolean {
  if (node.type === 'Literal') return typeof node.value === 'string' ? node.value.startsWith('/') || node.value === '*' : !!node.regex;
  if (node.type === 'TemplateLiteral') return true;
  if (node.type === 'ArrayExpression') return node.elements.length > 0 && node.elements.every((e: AstNode | null) => !!e && isRoutePath(e));
  return false;
}

/** Arguments that can never be callbacks. */
function isData(node: AstNode): boolean {
  return ['Literal', 'TemplateLiteral', 'ArrayExpression', 'ObjectExpression', 'BinaryExpression', 'UnaryExpression', 'UpdateExpression', 'ClassExpression', 'NewExpression'].includes(node.type);
}

function collectCallbacks(call: AstNode, match: Match, source: string, callees: Callees): Omit<FoundRupturePoint, 'id'> {
  const args: AstNode[] = call.arguments;
  const all = args.map((arg, index) => ({ arg, index }));
  const mode = match.spec.callbacks ?? 'last';
  const candidates = mode === 'all' ? all : mode === 'first' ? all.slice(0, 1) : all.slice(-1);
  const callbacks: Callback[] = [];
  const dynamic: DynamicArgument[] = [];
  for (const { arg, index } of candidates) {
    if (isData(arg)) continue;
    const fn = callees.functionOf(arg, call.start);
    if (fn) {
      callbacks.push({ arg, index, fn });
      continue;
    }
    // a handler a known package wraps (`asyncHandler(async (req, res) => …)`): the wrapper calls it with its own
    // arguments, so it is the callback (its rewritten body moves when the wrapper calls it)
    const wrapped = match.spec.kind === 'start' ? wrappedHandler(arg, callees, call.start) : null;
    if (wrapped) {
      callbacks.push({ arg: wrapped.arg, index, fn: wrapped.fn });
      continue;
    }
    if (match.proofNeeded) continue;
    const reason = dynamicReason(arg, callees, call.start);
    if (reason !== null) dynamic.push({ arg, index, reason });
  }
  return {
    kind: match.spec.kind,
    call,
    callee: calleeText(call.callee, source),
    matched: match.matched,
    server: match.server,
    callbacks,
    dynamic,
  };
}

/**
 * Packages whose default export wraps a request handler and calls it with the request's own arguments
 * (`asyncHandler(fn)` → `(...args) => Promise.resolve(fn(...args)).catch(next)`). An app's own wrapper of that
 * shape is seen at run time (instrument.ts `passes`, Registry.observe).
 */
const HANDLER_WRAPPERS = new Set(['express-async-handler', 'express-async-wrap']);

/** `asyncHandler(async (req, res) => …)` with a package of HANDLER_WRAPPERS: the wrapped function. */
function wrappedHandler(arg: AstNode, callees: Callees, at: number): { arg: AstNode; fn: FunctionNode } | null {
  if (arg.type !== 'CallExpression' || arg.arguments.length !== 1) return null;
  const wrapper = callees.valueOf(arg.callee, at);
  if (wrapper.kind !== 'module' || !HANDLER_WRAPPERS.has(wrapper.module)) return null;
  const inner = arg.arguments[0] as AstNode;
  const fn = callees.functionOf(inner, at);
  return fn ? { arg: inner, fn } : null;
}

/** Why an argument is only known at run time; null when it is provably not a function. */
function dynamicReason(arg: AstNode, callees: Callees, at: number): string | null {
  switch (arg.type) {
    case 'Identifier': {
      const value = callees.valueOf(arg, at);
      if (value.kind === 'literal') return null;
      if (value.kind === 'global') return `\`${arg.name}\` is not declared in this file`;
      const ref = callees.variableOf(arg);
      if (ref?.defs[0]?.type === 'Parameter') return `\`${arg.name}\` is a parameter: its value is known when the call runs`;
      if (ref?.defs[0]?.type === 'ImportBinding') return `\`${arg.name}\` is imported: its value is known when the call runs`;
      return `\`${arg.name}\` does not hold a function the compiler can prove`;
    }
    case 'CallExpression':
      return 'a call result: the function it returns is known when the call runs';
    case 'MemberExpression':
      return 'a property: the function it holds is known when the call runs';
    case 'SpreadElement':
      return 'spread arguments are known when the call runs';
    default:
      return isFunction(arg) ? null : 'an expression: its value is known when the call runs';
  }
}

