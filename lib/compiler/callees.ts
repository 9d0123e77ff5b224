/**
 * Callee step: what a callee expression or callback argument holds, as far as the source proves it.
 * Tracks aliases through bindings that are never reassigned:
 *   var ex = require('express'); var app = ex()          → an express app
 *   const { readFile } = require('node:fs')              → fs.readFile
 *   import * as fsp from 'fs'; var r = fsp.readFile      → fs.readFile
 */
import { isFunction, propertyName, requireSpecifier, moduleName, type AstNode, type FunctionNode } from './ast';
import { EXPRESS_APP_METHODS } from './catalogue';
import { reassignments, type Scopes, type Variable } from './scopes';

export type Value =
  | { kind: 'module'; module: string }
  | { kind: 'export'; module: string; name: string }
  | { kind: 'express-app' }
  | { kind: 'express-router' }
  | { kind: 'express-route' }
  | { kind: 'server' }
  | { kind: 'function'; node: FunctionNode }
  | { kind: 'literal' }
  | { kind: 'global'; name: string }
  | { kind: 'unknown' };

const UNKNOWN: Value = { kind: 'unknown' };
const LITERAL: Value = { kind: 'literal' };

/** Packages whose objects are servers or sockets of their own (socket.io's `Server`, ws's `WebSocketServer`, `WebSocket`). */
const SOCKET_PACKAGES = /^(socket\.io|ws|engine\.io|sockjs|faye-websocket)$/;

export class Callees {
  private readonly cache = new Map<AstNode, Value>();
  private readonly active = new Set<AstNode>();

  constructor(private readonly scopes: Scopes) {}

  /** The value of an expression; `at` (a source offset) picks the last assignment before it. */
  valueOf(node: AstNode | null | undefined, at?: number): Value {
    if (!node) return UNKNOWN;
    if (at === undefined && this.cache.has(node)) return this.cache.get(node)!;
    if (this.active.has(node)) return UNKNOWN; // a cycle of aliases
    this.active.add(node);
    try {
      const value = this.compute(node, at);
      if (at === undefined) this.cache.set(node, value);
      return value;
    } finally {
      this.active.delete(node);
    }
  }

  private compute(node: AstNode, at: number | undefined): Value {
    switch (node.type) {
      case 'FunctionExpression':
      case 'ArrowFunctionExpression':
      case 'FunctionDeclaration':
        return { kind: 'function', node: node as FunctionNode };
      case 'Literal':
      case 'TemplateLiteral':
      case 'ArrayExpression':
      case 'ObjectExpression':
        return LITERAL;
      case 'ChainExpression':
      case 'ParenthesizedExpression':
        return this.valueOf(node.expression, at);
      case 'Identifier':
        return this.identifier(node, at);
      case 'MemberExpression':
        return this.member(node);
      case 'CallExpression':
        return this.call(node);
      case 'NewExpression':
        return this.construct(node);
      case 'AwaitExpression':
        return this.valueOf(node.argument, at);
      case 'AssignmentExpression':
        // `var app = module.exports = express()`: the value assigned
        return node.operator === '=' ? this.valueOf(node.right, at) : UNKNOWN;
      case 'SequenceExpression':
        return this.valueOf(node.expressions[node.expressions.length - 1], at);
      default:
        return UNKNOWN;
    }
  }

  private identifier(node: AstNode, at: number | undefined): Value {
    const ref = this.scopes.referenceOf.get(node);
    if (!ref) return UNKNOWN;
    if (!ref.resolved) return { kind: 'global', name: node.name };
    return this.variable(ref.resolved, at ?? node.start);
  }

  /** The value a variable holds at offset `at`: its only definition, or its last function assignment. */
  variable(variable: Variable, at: number): Value {
    const def = variable.defs[0];
    if (!def) return UNKNOWN;
    const writes = reassignments(variable);
    if (writes.length > 0 || variable.defs.length > 1) return this.lastAssigned(variable, at);
    switch (def.type) {
      case 'FunctionName':
        return { kind: 'function', node: def.node as unknown as FunctionNode };
      case 'Variable': {
        const declarator = def.node as unknown as AstNode;
        if (declarator.id.type === 'Identifier') return this.valueOf(declarator.init);
        return this.destructured(declarator.id, def.name as unknown as AstNode, declarator.init);
      }
      case 'ImportBinding': {
        const spec = def.node as unknown as AstNode;
        const from = moduleName(String((def.parent as unknown as AstNode).source.value));
        if (spec.type === 'ImportSpecifier') {
          const name = spec.imported.type === 'Identifier' ? spec.imported.name : String(spec.imported.value);
          return name === 'default' ? { kind: 'module', module: from } : { kind: 'export', module: from, name };
        }
        return { kind: 'module', module: from };
      }
      default:
        return UNKNOWN;
    }
  }

  /** `var f = a; … f = function(){}`: the last function assigned before `at` (paper §3.1.2). */
  private lastAssigned(variable: Variable, at: number): Value {
    let best: Value = UNKNOWN;
    let bestAt = -1;
    for (const def of variable.defs) {
      if (def.type === 'FunctionName') {
        const node = def.node as unknown as FunctionNode;
        // function declarations are hoisted: they hold before any assignment
        if (bestAt < 0) best = { kind: 'function', node };
      }
    }
    for (const ref of variable.references) {
      if (!ref.isWrite()) continue;
      const pos = ref.identifier.range?.[0] ?? 0;
      if (pos > at || pos < bestAt) continue;
      const written = ref.writeExpr as unknown as AstNode | null;
      // A write of anything but a function (or a compound assignment) makes it unprovable.
      const assigned = written ? this.valueOf(written) : UNKNOWN;
      best = assigned.kind === 'function' ? assigned : UNKNOWN;
      bestAt = pos;
    }
    return best;
  }

  private destructured(pattern: AstNode, id: AstNode, init: AstNode | null): Value {
    if (pattern.type !== 'ObjectPattern' || !init) return UNKNOWN;
    const source = this.valueOf(init);
    for (const prop of pattern.properties) {
      if (prop.type !== 'Property' || prop.computed) continue;
      const target = prop.value.type === 'AssignmentPattern' ? prop.value.left : prop.value;
      if (target !== id) continue;
      const key = prop.key.type === 'Identifier' ? prop.key.name : String(prop.key.value);
      if (source.kind === 'module') return { kind: 'export', module: source.module, name: key };
      return UNKNOWN;
    }
    return UNKNOWN;
  }

  private member(node: AstNode): Value {
    const specifier = requireSpecifier(node.object);
    const object = specifier !== null ? ({ kind: 'module', module: specifier } as Value) : this.valueOf(node.object);
    const name = propertyName(node);
    if (name === null) return UNKNOWN;
    if (object.kind === 'module') {
      if (name === 'default') return object;
      return { kind: 'export', module: object.module, name };
    }
    if (object.kind === 'global') return { kind: 'global', name: `${object.name}.${name}` };
    if (object.kind === 'literal') return this.literalProperty(node.object, name);
    return UNKNOWN;
  }

  /** `handlers.index` where `var handlers = { index: function … }` is never reassigned. */
  private literalProperty(objectNode: AstNode, name: string): Value {
    if (objectNode.type !== 'Identifier') return UNKNOWN;
    const variable = this.variableOf(objectNode);
    const def = variable?.defs[0];
    if (!variable || variable.defs.length !== 1 || def?.type !== 'Variable' || reassignments(variable).length) return UNKNOWN;
    const init = (def.node as unknown as AstNode).init as AstNode | null;
    if (init?.type !== 'ObjectExpression') return UNKNOWN;
    for (const prop of init.properties as AstNode[]) {
      if (prop.type !== 'Property' || prop.computed || prop.kind !== 'init') continue;
      const key = prop.key.type === 'Identifier' ? prop.key.name : String(prop.key.value);
      if (key === name) return this.valueOf(prop.value);
    }
    return UNKNOWN;
  }

  /**
   * `new Server(httpServer)` of socket.io, `new WebSocketServer({ server })` of ws: a server of sockets, held by the
   * main loop as an http server is (SOCKET_PACKAGES); any other `new` is unknown.
   */
  private construct(node: AstNode): Value {
    const callee = this.valueOf(node.callee);
    return (callee.kind === 'module' || callee.kind === 'export') && SOCKET_PACKAGES.test(callee.module) ? { kind: 'server' } : UNKNOWN;
  }

  private call(node: AstNode): Value {
    const specifier = requireSpecifier(node);
    if (specifier !== null) return { kind: 'module', module: specifier };
    const callee = node.callee.type === 'MemberExpression' ? null : this.valueOf(node.callee);
    if (callee) {
      // `require('socket.io')(server)`: socket.io's server
      if ((callee.kind === 'module' || callee.kind === 'export') && SOCKET_PACKAGES.test(callee.module)) return { kind: 'server' };
      if (callee.kind === 'module' && callee.module === 'express') return { kind: 'express-app' };
      if (callee.kind === 'module' && callee.module === 'router') return { kind: 'express-router' };
      if (callee.kind === 'export' && callee.module === 'express' && callee.name === 'Router') return { kind: 'express-router' };
      if (callee.kind === 'export' && /^(http|https|http2|net|tls)$/.test(callee.module) && /^create(Secure)?Server$/.test(callee.name)) {
        return { kind: 'server' };
      }
      return UNKNOWN;
    }
    const member = node.callee;
    const name = propertyName(member);
    if (name === null) return UNKNOWN;
    const object = this.valueOf(member.object);
    if (object.kind === 'module' && object.module === 'express' && name === 'Router') return { kind: 'express-router' };
    if (object.kind === 'module' && /^(http|https|http2|net|tls)$/.test(object.module) && /^create(Secure)?Server$/.test(name)) {
      return { kind: 'server' };
    }
    if (object.kind === 'express-app' || object.kind === 'express-router') {
      if (name === 'route') return { kind: 'express-route' };
      if (name === 'listen') return { kind: 'server' };
      if (EXPRESS_APP_METHODS.has(name)) return object; // app.get(…).post(…) chains
    }
    if (object.kind === 'express-route' && EXPRESS_APP_METHODS.has(name)) return object;
    return UNKNOWN;
  }

  /** The variable an identifier refers to (null for globals). */
  variableOf(node: AstNode): Variable | null {
    return this.scopes.referenceOf.get(node)?.resolved ?? null;
  }

  /** The function a callback argument holds, when the source proves it. */
  functionOf(node: AstNode, at: number): FunctionNode | null {
    if (isFunction(node)) return node;
    const value = this.valueOf(node, node.type === 'Identifier' ? at : undefined);
    return value.kind === 'function' ? value.node : null;
  }
}

/** Values that hold network resources (sockets, the express app, routers, servers). */
export function isNetworkValue(value: Value): boolean {
  return value.kind === 'express-app' || value.kind === 'express-router' || value.kind === 'express-route' || value.kind === 'server';
}
