/**
 * Which fluxion's code each node belongs to. A callback found at a rupture point is a fluxion of its own;
 * everything else (nested helpers, closures that are not callbacks) belongs to the innermost enclosing
 * fluxion, or to `main` (the program).
 */
import { isFunction, type AstIndex, type AstNode, type FunctionNode } from './ast';

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

export function computeOwnership(index: AstIndex, fluxionNodes: Set<AstNode>): Ownership {
  const program = index.root;
  const ownerOf = new Map<AstNode, Owner>();
  const { parentOf } = index;
  const hazards = new Map<AstNode, Array<{ what: 'eval' | 'with' | 'this'; node: AstNode }>>();
  /** The owner of the code inside a function (its body, its parameters). */
  const innerOf = new Map<AstNode, Owner>();
  const root: Owner = { flx: program, topFn: null, thisFn: null, fn: null, up: null };

  // pre-order: a node's parent has its owner already
  for (const node of index.nodes) {
    const parent = parentOf.get(node);
    // A declaration's name belongs to the enclosing code, not to the function it names.
    const owner = !parent ? root : parent.type === 'FunctionDeclaration' && parent.id === node ? ownerOf.get(parent)! : innerOf.get(parent) ?? ownerOf.get(parent)!;
    ownerOf.set(node, owner);
    const flx = owner.flx;
    const type = node.type;
    const what = type === 'WithStatement' ? 'with'
      : type === 'CallExpression' && node.callee.type === 'Identifier' && node.callee.name === 'eval' ? 'eval'
      : type === 'ThisExpression' && flx !== program && owner.thisFn === flx ? 'this'
      : null;
    if (what) {
      if (!hazards.has(flx)) hazards.set(flx, []);
      hazards.get(flx)!.push({ what, node });
    }
    if (!isFunction(node)) continue;
    innerOf.set(
      node,
      fluxionNodes.has(node)
        ? { flx: node, topFn: null, thisFn: node, fn: null, up: null }
        : {
            flx,
            topFn: flx === program ? owner.topFn ?? node : owner.topFn,
            thisFn: node.type === 'ArrowFunctionExpression' ? owner.thisFn : node,
            fn: node,
            up: owner,
          },
    );
  }
  return { ownerOf, parentOf, hazards };
}
