/** Scopes step: eslint-scope over meriyah's ESTree, with the lookups the later steps need. */
import { analyze } from 'eslint-scope';
import type { Reference, Scope, ScopeManager, Variable } from 'eslint-scope';
import type { AstNode } from './ast';

export type { Reference, Scope, Variable };

export interface Scopes {
  manager: ScopeManager;
  /** Identifier node → the reference it makes (reads, writes, calls). */
  referenceOf: Map<AstNode, Reference>;
  /** Identifier node → the variable it declares. */
  declarationOf: Map<AstNode, Variable>;
  /** Every reference of the program, in source order. */
  references: Reference[];
  /** The scope that holds the module's own bindings (CommonJS wrapper function or ES module scope). */
  moduleScope: Scope;
  /** Node → its parent (ast.ts indexAst), to tell what a reference does (`x.push(…)` writes `x`'s object). */
  parentOf: Map<AstNode, AstNode>;
}

export function analyzeScopes(ast: AstNode, sourceType: 'commonjs' | 'module', parentOf: Map<AstNode, AstNode>): Scopes {
  const manager = analyze(ast as never, {
    ecmaVersion: 2025,
    sourceType: sourceType === 'module' ? 'module' : 'commonjs',
    nodejsScope: sourceType === 'commonjs',
    fallback: 'iteration',
  });
  const referenceOf = new Map<AstNode, Reference>();
  const declarationOf = new Map<AstNode, Variable>();
  const references: Reference[] = [];
  for (const scope of manager.scopes) {
    for (const ref of scope.references) {
      referenceOf.set(ref.identifier as unknown as AstNode, ref);
      references.push(ref);
    }
    for (const variable of scope.variables) {
      for (const id of variable.identifiers) declarationOf.set(id as unknown as AstNode, variable);
    }
  }
  references.sort((a, b) => (a.identifier.range?.[0] ?? 0) - (b.identifier.range?.[0] ?? 0));
  const globalScope = manager.globalScope as Scope;
  const moduleScope = (globalScope.childScopes[0] && (globalScope.childScopes[0].block as unknown) === ast
    ? globalScope.childScopes[0]
    : globalScope) as Scope;
  return { manager, referenceOf, declarationOf, references, moduleScope, parentOf };
}

/** Writes other than the declaration's own initialiser. */
export function reassignments(variable: Variable): Reference[] {
  return variable.references.filter((r) => r.isWrite() && !r.init);
}
