/** The few ESTree helpers the compiler steps share. */
import { KEYS as VisitorKeys } from 'eslint-visitor-keys';
import type { Position, SourceSpan } from '../types';

/** An ESTree node as meriyah produces it (with `range` and `loc`). */
export interface AstNode {
  type: string;
  start: number;
  end: number;
  range: [number, number];
  loc: { start: Position; end: Position };
  // ESTree nodes are heterogeneous; each step reads the fields of the node types it handles.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  [field: string]: any;
}

export type FunctionNode = AstNode & { params: AstNode[]; body: AstNode };

const FUNCTION_TYPES = new Set(['FunctionDeclaration', 'FunctionExpression', 'ArrowFunctionExpression']);

export function isFunction(node: AstNode | null | undefined): node is FunctionNode {
  return !!node && FUNCTION_TYPES.has(node.type);
}

/**
 * `{ slug(s) {…}, hash: (s) => … }`: an object literal whose every property is a function under a plain key, a
 * namespace of functions: calling them does not write it (as calling a module's functions does not).
 */
export function isFunctionNamespace(node: AstNode | null | undefined): boolean {
  if (!node || node.type !== 'ObjectExpression' || node.properties.length === 0) return false;
  return (node.properties as AstNode[]).every((p) => p.type === 'Property' && !p.computed && p.kind === 'init' && isFunction(p.value) && !p.value.generator) && !writesThis(node);
}

/** `this.n = …`, `this.n++`, `delete this.k`, `this.list.push(…)` anywhere under `node` (its functions' state). */
function writesThis(node: AstNode): boolean {
  const rootedAtThis = (m: AstNode): boolean => {
    let o = m;
    while (o && o.type === 'MemberExpression') o = o.object;
    return !!o && o.type === 'ThisExpression';
  };
  let found = false;
  const visit = (n: AstNode): void => {
    if (found || !n || typeof n.type !== 'string') return;
    if ((n.type === 'AssignmentExpression' && n.left.type === 'MemberExpression' && rootedAtThis(n.left)) || (n.type === 'UpdateExpression' && n.argument.type === 'MemberExpression' && rootedAtThis(n.argument)) || (n.type === 'UnaryExpression' && n.operator === 'delete' && n.argument.type === 'MemberExpression' && rootedAtThis(n.argument)) || (n.type === 'CallExpression' && n.callee.type === 'MemberExpression' && n.callee.object.type === 'MemberExpression' && rootedAtThis(n.callee.object))) {
      found = true;
      return;
    }
    for (const key of Object.keys(n)) {
      if (key === 'loc' || key === 'range') continue;
      const child = (n as Record<string, unknown>)[key];
      if (Array.isArray(child)) for (const c of child) visit(c as AstNode);
      else if (child && typeof child === 'object') visit(child as AstNode);
    }
  };
  visit(node);
  return found;
}

export function span(node: AstNode): SourceSpan {
  return {
    start: { line: node.loc.start.line, column: node.loc.start.column },
    end: { line: node.loc.end.line, column: node.loc.end.column },
  };
}

const KEYS = VisitorKeys as Record<string, readonly string[]>;
const fallbackKeys = new Map<string, readonly string[]>();

function childKeys(node: AstNode): readonly string[] {
  const keys = KEYS[node.type];
  if (keys) return keys;
  let found = fallbackKeys.get(node.type);
  if (!found) {
    found = Object.keys(node).filter((k) => k !== 'loc' && k !== 'range' && k !== 'type' && k !== 'start' && k !== 'end');
    fallbackKeys.set(node.type, found);
  }
  return found;
}

/**
 * Every node of a tree once, in source order (depth first, parents before children), with parent links and
 * per-type lists: built in one pass after parsing, so that the steps after it (rupture points, ownership,
 * instrumentation, code units) loop over the nodes they need instead of walking the whole tree again.
 */
export interface AstIndex {
  root: AstNode;
  /** Pre-order: a node comes after its parent and after every node that starts before it. */
  nodes: AstNode[];
  parentOf: Map<AstNode, AstNode>;
  /** The nodes of one type, in `nodes` order (an empty list for none). */
  ofType(type: string): readonly AstNode[];
}

const NONE: readonly AstNode[] = [];

export function indexAst(root: AstNode): AstIndex {
  const nodes: AstNode[] = [];
  const parentOf = new Map<AstNode, AstNode>();
  const byType = new Map<string, AstNode[]>();
  const stack: AstNode[] = [root];
  while (stack.length) {
    const node = stack.pop()!;
    nodes.push(node);
    const list = byType.get(node.type);
    if (list) list.push(node);
    else byType.set(node.type, [node]);
    // children pushed last-first, so that they pop in source order
    const keys = childKeys(node);
    for (let k = keys.length - 1; k >= 0; k--) {
      const value = node[keys[k]];
      if (value === null || typeof value !== 'object') continue;
      if (Array.isArray(value)) {
        for (let i = value.length - 1; i >= 0; i--) {
          const child = value[i];
          if (child !== null && typeof child.type === 'string') {
            parentOf.set(child, node);
            stack.push(child);
          }
        }
      } else if (typeof value.type === 'string') {
        parentOf.set(value, node);
        stack.push(value);
      }
    }
  }
  return { root, nodes, parentOf, ofType: (type) => byType.get(type) ?? NONE };
}

/** The name of a module given to `require('x')` / `import … from 'x'`, without Node's `node:` prefix. */
export function moduleName(specifier: string): string {
  return specifier.startsWith('node:') ? specifier.slice(5) : specifier;
}

/** `require('x')` with a literal string → 'x'. */
export function requireSpecifier(node: AstNode | null | undefined): string | null {
  if (
    node?.type === 'CallExpression' &&
    node.callee.type === 'Identifier' &&
    node.callee.name === 'require' &&
    node.arguments.length === 1 &&
    node.arguments[0].type === 'Literal' &&
    typeof node.arguments[0].value === 'string'
  ) {
    return moduleName(node.arguments[0].value);
  }
  return null;
}

/**
 * `a.b.c` → its root (`a`) and the names of its members (`['b', 'c']`); null when one of them is computed. Any
 * other node is its own root, with no members.
 */
export function memberPath(node: AstNode): { root: AstNode; members: string[] } | null {
  const members: string[] = [];
  let root = node;
  while (root.type === 'MemberExpression') {
    const name = propertyName(root);
    if (name === null) return null;
    members.unshift(name);
    root = root.object;
  }
  return { root, members };
}

/** The static name of a member property (`a.b`, `a['b']`), or null when computed. */
export function propertyName(member: AstNode): string | null {
  if (!member.computed && member.property.type === 'Identifier') return member.property.name;
  if (member.property.type === 'Literal' && typeof member.property.value === 'string') return member.property.value;
  return null;
}

/** A short, printable form of a callee: `fs.readFile`, `app.route(...).get`. */
export function calleeText(node: AstNode, source: string): string {
  if (node.type === 'Identifier') return node.name;
  if (node.type === 'MemberExpression') {
    const prop = propertyName(node);
    const object = calleeText(node.object, source);
    return prop === null ? `${object}[…]` : `${object}.${prop}`;
  }
  if (node.type === 'CallExpression') return `${calleeText(node.callee, source)}(…)`;
  if (node.type === 'ChainExpression') return calleeText(node.expression, source);
  const text = source.slice(node.start, node.end);
  return text.length > 40 ? text.slice(0, 39) + '…' : text;
}

/** `var fs = require('fs')`, `var readFile = require('fs').readFile`, `const { a: b } = require('x')`. */
export function requiredFrom(declarator: AstNode, id: AstNode): { specifier: string; path: string[] } | null {
  let init: AstNode | null = declarator.init;
  const path: string[] = [];
  while (init && init.type === 'MemberExpression') {
    const prop = propertyName(init);
    if (prop === null) return null;
    path.unshift(prop);
    init = init.object;
  }
  const specifier = requireSpecifier(init);
  if (specifier === null) return null;
  if (declarator.id.type === 'Identifier') return { specifier, path };
  if (declarator.id.type === 'ObjectPattern') {
    for (const prop of declarator.id.properties as AstNode[]) {
      if (prop.type !== 'Property' || prop.computed) continue;
      const target = prop.value.type === 'AssignmentPattern' ? prop.value.left : prop.value;
      if (target === id) return { specifier, path: [...path, prop.key.type === 'Identifier' ? prop.key.name : String(prop.key.value)] };
    }
  }
  return null;
}
