/**
 * The registry of fluxions of this process: each rewritten module's static fluxions, the functions the
 * probes promoted at run time, and their live statistics (messages, CPU time per message).
 */
import * as path from 'node:path';
import type { ModuleDescription, SiteEntry } from '../internal-types';
import type { RuptureKind } from '../types';
import { debug } from '../debug';

export type Placement = 'main' | 'replicated' | `worker:${number}`;

export interface FluxionRecord {
  /** Unique in the process: the compiler's id, or `id@file` when two modules use the same one. */
  id: string;
  file: string;
  line: number;
  kind: 'main' | 'start' | 'post';
  tags: string[];
  context: string[];
  placement: Placement;
  messages: number;
  /** Messages whose synchronous CPU time was measured, and the sum of it. */
  timed: number;
  cpuMs: number;
  /** Found by a probe at run time rather than by the compiler. */
  dynamic: boolean;
  module: ModuleRuntime;
  /** Index of its function in the module's description (-1 for main). */
  fn: number;
}

export interface StreamRecord {
  from: FluxionRecord;
  to: FluxionRecord;
  type: RuptureKind;
  vars: string[];
}

/** What the generated `$flx$()` returns: the module's handle on the runtime. */
export class ModuleRuntime {
  /** Per instrumented function: its fluxion record, or null while it is not a fluxion. */
  readonly records: Array<FluxionRecord | null>;
  readonly main: FluxionRecord;
  readonly statics: FluxionRecord[];

  constructor(
    readonly registry: Registry,
    readonly file: string,
    readonly description: ModuleDescription,
  ) {
    this.records = description.fns.map(() => null);
    const entry = require.main?.filename === file || (!!process.argv[1] && path.resolve(process.argv[1]) === file);
    this.statics = description.fluxions.map((f) => {
      const record = registry.add({
        // the entry module's main is `main`; every other module's main is named after its file
        id: f.kind === 'main' && !entry ? `main@${path.relative(process.cwd(), file) || file}` : f.id,
        file,
        line: f.line,
        kind: f.kind,
        tags: f.tags,
        context: f.context,
        dynamic: false,
        module: this,
        fn: f.fn,
      });
      if (f.fn >= 0) this.records[f.fn] = record;
      return record;
    });
    this.main = this.statics[0];
    this.main.messages = 1;
  }

  /** A message arrives: returns the start time, or -1 when the function is not (yet) a fluxion. */
  enter(ix: number): number {
    return this.records[ix] === null ? -1 : performance.now();
  }

  exit(ix: number, start: number): void {
    if (start < 0) return;
    const record = this.records[ix]!;
    record.messages++;
    record.timed++;
    record.cpuMs += performance.now() - start;
  }

  /** Async functions: the message is counted, its CPU time is not measured yet. */
  count(ix: number): void {
    const record = this.records[ix];
    if (record !== null) record.messages++;
  }

  /**
   * Registers an escaping function with its static index and the getter of its captured variables;
   * returns it unchanged.
   */
  fn<F>(ix: number, fn: F, env?: () => Record<string, unknown>): F {
    if (typeof fn === 'function') this.registry.functions.set(fn, { module: this, ix, env: env ?? null });
    return fn;
  }

  /** A dynamic site: look at the real argument (paper §4.3), return it unchanged. */
  probe<V>(site: number, value: V): V {
    this.registry.observe(this, this.description.sites[site], value);
    return value;
  }

  /** The fluxion whose code runs at `enclosing` (an instrumented function index) in static fluxion `inId`. */
  fluxionAt(enclosing: number, inId: string): FluxionRecord {
    for (let ix = enclosing; ix >= 0; ix = this.description.fns[ix].enclosing) {
      const record = this.records[ix];
      if (record !== null) return record;
    }
    const i = this.description.fluxions.findIndex((f) => f.id === inId);
    return i >= 0 ? this.statics[i] : this.main;
  }
}

export class Registry {
  readonly fluxions: FluxionRecord[] = [];
  readonly modules: ModuleRuntime[] = [];
  readonly dynamicStreams: StreamRecord[] = [];
  /** Escaping functions of rewritten code → where they are defined. */
  readonly functions = new WeakMap<object, { module: ModuleRuntime; ix: number; env: (() => Record<string, unknown>) | null }>();

  /** What the runtime knows of a function of rewritten code: where it is defined and what it captured. */
  closure(fn: object): { file: string; line: number; name: string; captured: Record<string, unknown> } | null {
    const where = this.functions.get(fn);
    if (!where) return null;
    const entry = where.module.description.fns[where.ix];
    return { file: where.module.file, line: entry.line, name: entry.name, captured: where.env ? where.env() : {} };
  }
  /** Functions seen at dynamic sites that fluxion did not rewrite (node_modules): observed, never moved. */
  external = 0;
  private readonly ids = new Set<string>();

  load(file: string, description: ModuleDescription, declarations: () => unknown[]): ModuleRuntime {
    const module = new ModuleRuntime(this, file, description);
    this.modules.push(module);
    const list = declarations();
    for (let i = 0; i + 1 < list.length; i += 2) module.fn(list[i] as number, list[i + 1]);
    return module;
  }

  add(fields: Omit<FluxionRecord, 'placement' | 'messages' | 'timed' | 'cpuMs'>): FluxionRecord {
    let id = fields.id;
    if (this.ids.has(id)) id = `${fields.id}@${path.relative(process.cwd(), fields.file) || fields.file}`;
    for (let n = 2; this.ids.has(id); n++) id = `${fields.id}@${path.relative(process.cwd(), fields.file)}#${n}`;
    this.ids.add(id);
    const record: FluxionRecord = { ...fields, id, placement: 'main', messages: 0, timed: 0, cpuMs: 0 };
    this.fluxions.push(record);
    return record;
  }

  observe(module: ModuleRuntime, site: SiteEntry, value: unknown): void {
    if (Array.isArray(value)) {
      for (const item of value) this.observe(module, site, item);
      return;
    }
    if (typeof value !== 'function') return;
    const from = module.fluxionAt(site.enclosing, site.in);
    const where = this.functions.get(value);
    if (!where) {
      this.external++;
      debug('probe', `${path.relative(process.cwd(), module.file)}:${site.line} ${site.callee}: ${value.name || 'a function'} is not rewritten code (observed, stays where it is)`);
      return;
    }
    let to = where.module.records[where.ix];
    if (to === null) {
      const entry = where.module.description.fns[where.ix];
      to = this.add({
        id: entry.name || `anonymous@${entry.line}`,
        file: where.module.file,
        line: entry.line,
        kind: site.kind,
        tags: [],
        context: [],
        dynamic: true,
        module: where.module,
        fn: where.ix,
      });
      where.module.records[where.ix] = to;
      debug('probe', `${path.relative(process.cwd(), module.file)}:${site.line} ${site.callee}: ${to.id} (${path.relative(process.cwd(), to.file)}:${to.line}) is a ${site.kind} fluxion`);
    }
    if (!this.dynamicStreams.some((s) => s.from === from && s.to === to)) {
      this.dynamicStreams.push({ from, to, type: site.kind, vars: [] });
    }
  }

  /** Every stream: the compiler's, re-parented under fluxions the probes found, and the probes' own. */
  streams(): StreamRecord[] {
    const out: StreamRecord[] = [];
    for (const module of this.modules) {
      module.description.fluxions.forEach((f, i) => {
        const from = module.statics[i];
        for (const s of f.streams) {
          const index = module.description.fluxions.findIndex((x) => x.id === s.to);
          const to = module.statics[index];
          const target = module.description.fluxions[index];
          // the call that feeds it sits in a function a probe promoted: that fluxion is upstream now
          const real = target.via >= 0 ? module.fluxionAt(target.via, f.id) : from;
          out.push({ from: real, to, type: real === from ? s.type : target.rpKind, vars: s.vars });
        }
      });
    }
    return [...out, ...this.dynamicStreams];
  }
}
