/**
 * Which fluxion's code each node belongs to. A callback found at a rupture point is a fluxion of its own;
 * everything else (nested helpers, closures that are not callbacks) belongs to the innermost enclosing
 * fluxion, or to `main` (the program).
 */
import { children, isFunction, type AstNode, type FunctionNode } from './ast';

export interface Owner {
  /** The fluxion node: a callback function, or the Program for main. */
  flx: AstNode;
  /** Inside main: the outermost function around the node (null for code that runs at load time). */
  topFn: FunctionNode | null;
  /** The innermost non-arrow function around the node (what `this` and `arguments` mean there). */
  thisFn: FunctionNode | null;
  /** The innermost function around the node inside its fluxion (null at the fluxion's own level). */
  fn: FunctionNode | null;
  /** The owner of the code around `fn`. */
  up: Owner | null;
}

export interface Ownership {
  ownerOf: Map<AstNode, Owner>;
  parentOf: Map<AstNode, AstNode>;
  /** Code that can't be analysed precisely, per fluxion node: `eval`, `with`, `this`. */
  hazards: Map<AstNode, Array<{ what: 'eval' | 'with' | 'this'; node: AstNode }>>;
}

export function computeOwnership(program: AstNode, fluxionNodes: Set<AstNode>): Ownership {
  const ownerOf = new Map<AstNode, Owner>();
  const parentOf = new Map<AstNode, AstNode>();
  const hazards = new Map<AstNode, Array<{ what: 'eval' | 'with' | 'this'; node: AstNode }>>();

  const visit = (node: AstNode, parent: AstNode | null, owner: Owner): void => {
    if (parent) parentOf.set(node, parent);
    ownerOf.set(node, owner);
    const flx = owner.flx;
    const note = (what: 'eval' | 'with' | 'this') => {
      if (!hazards.has(flx)) hazards.set(flx, []);
      hazards.get(flx)!.push({ what, node });
    };
    if (node.type === 'WithStatement') note('with');
    else if (node.type === 'CallExpression' && node.callee.type === 'Identifier' && node.callee.name === 'eval') note('eval');
    else if (node.type === 'ThisExpression' && flx !== program && owner.thisFn === flx) note('this');

    let inner = owner;
    if (isFunction(node)) {
      if (fluxionNodes.has(node)) inner = { flx: node, topFn: null, thisFn: node, fn: null, up: null };
      else {
        inner = {
          flx,
          topFn: flx === program ? owner.topFn ?? node : owner.topFn,
          thisFn: node.type === 'ArrowFunctionExpression' ? owner.thisFn : node,
          fn: node,
          up: owner,
        };
      }
    }
    for (const child of children(node)) {
      // A declaration's name belongs to the enclosing code, not to the function it names.
      visit(child, node, node.type === 'FunctionDeclaration' && child === node.id ? owner : inner);
    }
  };
  visit(program, null, { flx: program, topFn: null, thisFn: null, fn: null, up: null });
  return { ownerOf, parentOf, hazards };
}
