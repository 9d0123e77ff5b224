/**
 * The fluxional compiler (paper Fig. 3): parse → scopes → rupture points → pipeliner → fluxional program.
 * Pure: no file system, no runtime. `fluxion compile` and the require hook share it.
 */
import { indexAst, span, type AstIndex, type AstNode, type FunctionNode } from './ast';
import { exportsReach, loadTimeWork } from './exports';
import { exportsRead } from './readers';
import { appRequires, codeUnit, foreignWrites, madeHandlerUnit, laterGlobalWrites, moduleState, ownFunctions, packageRequires, startupConfigures, startupConnects } from './units';
import { isLocal } from '../specifiers';
import { madeHandler } from './factories';
import { Callees } from './callees';
import { Catalogue } from './catalogue';
import { fluxionCode } from './fluxional';
import { parse } from './parse';
import { pipeline, type Pipeline } from './pipeliner';
import { findRupturePoints, type Found } from './rupture-points';
import { analyzeScopes, type Scopes } from './scopes';
import type { CompileOptions, DynamicSite, Fluxion, FluxionalProgram, RupturePoint } from '../types';

const IGNORE = /\bfluxion\s+ignore\b/;

/** The compiler's result with the internals the instrumenter needs. */
export interface Analysis {
  program: FluxionalProgram;
  ast: AstNode;
  /** Every node once, with parents and per-type lists (one pass; the later steps loop over it). */
  index: AstIndex;
  /** The source as parsed (without a byte-order mark). */
  text: string;
  found: Found;
  pipeline: Pipeline;
  scopes: Scopes;
  /** What a binding or an expression holds (a package's export, a module, a function…). */
  callees: Callees;
  /** `/* fluxion ignore *\/` at the top: the file is left alone. */
  ignored: boolean;
}

export function compile(source: string, options: CompileOptions = {}): FluxionalProgram {
  return analyze(source, options).program;
}

export function analyze(source: string, options: CompileOptions = {}): Analysis {
  const file = options.filename ?? '<input>';
  const parsed = parse(source, file, options.sourceType);
  const text = source.charCodeAt(0) === 0xfeff ? source.slice(1) : source;
  const ast = parsed.ast;
  const notes: string[] = [];
  const firstStatement = ast.body[0] as AstNode | undefined;
  if (!firstStatement) notes.push('the module is empty: one `main` fluxion and nothing to split');
  const fileIgnored = parsed.comments.some((c) => IGNORE.test(c.value) && (!firstStatement || c.end <= firstStatement.start));
  if (fileIgnored) notes.push('`/* fluxion ignore */` at the top of the file: it is left as one `main` fluxion');

  const index = indexAst(ast);
  const scopes = analyzeScopes(ast, parsed.sourceType, index.parentOf);
  const callees = new Callees(scopes);
  const catalogue = catalogueFor(options.rupturePoints);
  const found = fileIgnored ? { rupturePoints: [], networkCalls: [] } : findRupturePoints(index, text, callees, catalogue);
  const rps = found.rupturePoints;

  // `/* fluxion ignore */` right before a callback keeps it inside its caller's fluxion.
  const ignored = new Set<AstNode>();
  const markers = parsed.comments.filter((c) => IGNORE.test(c.value));
  for (const rp of rps) {
    for (const cb of rp.callbacks) {
      if (markers.some((c) => c.end <= cb.fn.start && /^[\s(]*(async\s*)?$/.test(text.slice(c.end, cb.fn.start)))) ignored.add(cb.fn);
    }
  }
  const result = pipeline(index, scopes, callees, found, ignored);
  const mainHazards = result.ownership.hazards.get(ast) ?? [];
  for (const h of mainHazards) {
    if (h.what !== 'this') notes.push(`\`${h.what}\` at line ${h.node.loc.start.line}: the variables it can reach are not analysed precisely`);
  }

  const idOf = new Map(result.fluxions.map((f) => [f.node, f.id]));
  const rupturePoints: RupturePoint[] = rps.map((rp) => ({
    id: rp.id,
    kind: rp.kind,
    callee: rp.callee,
    matched: rp.matched,
    loc: span(rp.call),
    in: idOf.get(result.ownership.ownerOf.get(rp.call)?.flx ?? ast) ?? 'main',
    to: rp.callbacks.map((cb) => idOf.get(cb.fn)).filter((id): id is string => id !== undefined),
    dynamic: rp.dynamic.map((d) => d.index),
  }));
  const dynamicSites: DynamicSite[] = rps.flatMap((rp) =>
    rp.dynamic.map((d) => ({
      rupturePoint: rp.id,
      callee: rp.callee,
      argument: d.index,
      expression: text.slice(d.arg.start, d.arg.end),
      loc: span(d.arg),
      reason: d.reason + madeVerdict(rp.kind, d.arg, scopes, options.withCode !== false ? { ast, index, text, scopes, callees, pipeline: result } : null),
    })),
  );
  const fluxions: Fluxion[] = result.fluxions.map((f) => {
    const tags = [...f.tags].sort((a, b) => tagRank(a) - tagRank(b));
    return {
      id: f.id,
      kind: f.kind,
      tags,
      context: [...f.context].sort((a, b) => a[1] - b[1]).map(([v]) => v.name),
      streams: f.streams,
      parent: f.parent ? f.parent.id : null,
      params: f.kind === 'main' ? [] : (f.node.params as AstNode[]).map((p) => text.slice(p.start, p.end)),
      loc: span(f.node),
      isolatable: f.kind !== 'main' && f.reasons.length === 0,
      reasons: f.kind === 'main' ? ['main is the program itself: it runs once, at start-up, on the main loop'] : f.reasons,
      // the require hook does not print the program: what it needs of code units, instrument computes
      offload: options.withCode === false ? { movable: false, blockers: [], state: [], shared: [], requires: [] } : offloadOf(f.node, f.kind, { ast, index, text, scopes, callees, pipeline: result }),
      code: options.withCode === false ? '' : fluxionCode(f, text, result),
    };
  });
  const program: FluxionalProgram = {
    file,
    sourceType: parsed.sourceType,
    fluxions,
    rupturePoints,
    dynamicSites,
    state: [],
    requires: [],
    variables: result.variables.sort((a, b) => (a.declaredAt?.line ?? 0) - (b.declaredAt?.line ?? 0) || (a.declaredAt?.column ?? 0) - (b.declaredAt?.column ?? 0)),
    notes,
  };
  const analysis: Analysis = { program, ast, index, text, found, pipeline: result, scopes, callees, ignored: fileIgnored };
  program.state = moduleState(analysis);
  program.requires = appRequires(analysis);
  program.packages = packageRequires(analysis);
  const writes = foreignWrites(analysis);
  if (writes.length) program.writes = writes;
  const globalWrites = laterGlobalWrites(analysis);
  if (globalWrites.length) program.globalWrites = globalWrites;
  const connects = startupConnects(analysis);
  if (connects.length) program.connects = connects;
  const configures = startupConfigures(analysis);
  if (configures.length) program.configures = configures;
  const atLoad = loadTimeWork(analysis);
  if (atLoad) program.atLoad = atLoad;
  const reach = exportsReach(analysis);
  if (reach) program.reach = reach;
  const reads = exportsRead(analysis);
  if (reads) program.reads = { exports: reads.exports, state: reads.state };
  // (for `fluxion explain`; the require hook's runtime reads the loaded module instead)
  const functions = options.withCode === false ? [] : ownFunctions(analysis);
  if (functions.length) program.functions = functions;
  return analysis;
}

let lastCatalogue: { extra: CompileOptions['rupturePoints']; catalogue: Catalogue } | null = null;
/** The catalogue is rebuilt only when the extra callees change (the hook compiles every file with the same). */
function catalogueFor(extra: CompileOptions['rupturePoints']): Catalogue {
  if (!lastCatalogue || lastCatalogue.extra !== extra) lastCatalogue = { extra, catalogue: new Catalogue(extra) };
  return lastCatalogue.catalogue;
}

/**
 * What becomes of a handler a known package makes at a dynamic site (factories.ts madeHandler): made again on a
 * worker, or why not; '' for any other site.
 */
function madeVerdict(kind: string, arg: AstNode, scopes: Scopes, analysis: Pick<Analysis, 'ast' | 'index' | 'text' | 'scopes' | 'callees' | 'pipeline'> | null): string {
  if (kind !== 'start') return '';
  const made = madeHandler(arg, scopes);
  if (made === null) return '';
  if ('refused' in made) return `; a handler ${made.name}() makes, not made again on a worker: ${made.refused}`;
  if (analysis === null) return '';
  const unit = madeHandlerUnit(arg, made.used, analysis as Analysis);
  const blockers = [...unit.blockers, ...unit.state.map((n) => `it writes \`${n}\`, module memory`)];
  if (blockers.length) return `; a handler ${made.name}() makes: it stays on the main loop: ${blockers.join('; ')}`;
  const body = made.needs === 'body' ? ' (a request whose body no parser read has it read on the main loop first: it goes with the message)' : '';
  return `; a handler ${made.name}() makes, which a worker makes again from the same arguments: it can run on another event loop when hot${body}`;
}

function offloadOf(node: AstNode, kind: Fluxion['kind'], analysis: Pick<Analysis, 'ast' | 'index' | 'text' | 'scopes' | 'callees' | 'pipeline'>): Fluxion['offload'] {
  const none = { state: [], shared: [], requires: [] };
  if (kind === 'main') return { movable: false, blockers: ['main is the program itself'], ...none };
  const unit = codeUnit(node as FunctionNode, analysis as Analysis);
  if (!unit) return { movable: false, blockers: ['a generator'], ...none };
  const specifiers = [...unit.requires.map((r) => r.specifier), ...(unit.inline ?? [])];
  const requires = specifiers.filter(isLocal);
  const packages = specifiers.filter((s) => !isLocal(s));
  const offload: Fluxion['offload'] = { movable: unit.blockers.length === 0, blockers: unit.blockers, state: unit.state, shared: unit.shared, requires, packages };
  if (unit.globals) offload.globals = unit.globals;
  // (per file: the exports its bindings reach by name; none when one of them reaches it otherwise)
  const members: Record<string, string[]> = {};
  for (const r of unit.requires.filter((x) => isLocal(x.specifier))) {
    if (!r.members || (r.specifier in members && !members[r.specifier]!.length)) members[r.specifier] = [];
    else members[r.specifier] = [...new Set([...(members[r.specifier] ?? []), ...r.members])];
  }
  for (const [specifier, names] of Object.entries(members)) if (names.length) (offload.members ??= {})[specifier] = names;
  // (a handler's first parameter is Express's request; units.ts usesOf: `log!` without `log`, called only)
  const first = (node as FunctionNode).params[0];
  const used = unit.uses?.params[0];
  if ((node as FunctionNode).params.length >= 2 && first?.type === 'Identifier' && used) {
    const called = used.filter((u) => u.endsWith('!') && !used.includes(u.slice(0, -1))).map((u) => `${(first as unknown as { name: string }).name}.${u.slice(0, -1)}`);
    if (called.length) offload.called = called;
  }
  return offload;
}

function tagRank(tag: string): number {
  return tag === 'network' ? 0 : tag === 'isolated' ? 1 : 2;
}

export { formatFlx, formatJson, formatDot } from './fluxional';
export { explain } from './explain';
export { BUILTIN_CATALOGUE, validateCalleeSpecs } from './catalogue';
