/**
 * What the instrumenter embeds in a rewritten module for the runtime: a compact description of the
 * module's instrumented functions, its static fluxions and its dynamic sites. Indexes are stable within
 * one rewrite (the cache key includes fluxion's version).
 */
import type { RuptureKind } from './types';

export interface FunctionEntry {
  /** Function name or inferred name ('' when anonymous). */
  name: string;
  line: number;
  column: number;
  /** Index into `fluxions` when the compiler proved it a fluxion, else -1 (a candidate for the probes). */
  fluxion: number;
  /** Innermost instrumented function around this one (-1: module code). */
  enclosing: number;
  async: boolean;
}

export interface StaticFluxion {
  id: string;
  kind: 'main' | 'start' | 'post';
  tags: string[];
  context: string[];
  line: number;
  parent: string | null;
  /** Its function's index in `fns` (-1 for main). */
  fn: number;
  /**
   * The innermost instrumented function around the call that feeds it, inside its parent's code
   * (-1: the parent's own code). When the probes promote that function to a fluxion, it becomes the parent.
   */
  via: number;
  /** The kind of the rupture point that feeds it. */
  rpKind: RuptureKind;
  streams: Array<{ to: string; type: RuptureKind; vars: string[] }>;
}

export interface SiteEntry {
  kind: RuptureKind;
  callee: string;
  line: number;
  column: number;
  argument: number;
  /** The static fluxion whose code makes the call. */
  in: string;
  /** Innermost instrumented function around the call inside that fluxion (-1: the fluxion's own code). */
  enclosing: number;
}

export interface ModuleDescription {
  fns: FunctionEntry[];
  fluxions: StaticFluxion[];
  sites: SiteEntry[];
}
