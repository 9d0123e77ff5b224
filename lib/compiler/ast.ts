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

/** The child nodes of `node`, in source order. */
export function children(node: AstNode): AstNode[] {
  const out: AstNode[] = [];
  const keys = childKeys(node);
  for (let k = 0; k < keys.length; k++) {
    const value = node[keys[k]];
    if (value === null || typeof value !== 'object') continue;
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) {
        const child = value[i];
        if (child !== null && typeof child.type === 'string') out.push(child);
      }
    } else if (typeof value.type === 'string') out.push(value);
  }
  return out;
}

/** Depth-first walk with parent links. `enter` returning `false` skips the node's children. */
export function walk(
  root: AstNode,
  enter: (node: AstNode, parent: AstNode | null) => boolean | void,
  parent: AstNode | null = null,
): void {
  if (enter(root, parent) === false) return;
  for (const child of children(root)) walk(child, enter, root);
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
