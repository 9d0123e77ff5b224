/**
 * What the instrumenter embeds in a rewritten module for the runtime: a compact description of the
 * module's instrumented functions, its static fluxions and its dynamic sites. Indexes are stable within
 * one rewrite (the cache key includes fluxion's version).
 */
import type { ForeignWrite, RuptureKind } from './types';

/** The name a handler a package made has in its code unit (compiler/units.ts madeHandlerUnit): its unit's `prefix`. */
export const MADE_HANDLER = '$flx$made';

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
  /** What another event loop needs to run it (null: generators and the like, never moved). */
  unit: CodeUnit | null;
  /**
   * A wrapper handing its own arguments to a function it captured (`(req, res, next) => fn(req, res, next)`
   * made by `asyncHandler(fn)`): the captured name. Observed at a listener's site, the function it wraps is the
   * fluxion (Registry.observe); the wrapper stays where it is called.
   */
  passes?: string;
}

/**
 * A code unit (DESIGN §5): the function's own source plus what it reads. `requires` are required again from
 * the original file; `helpers` are the module's functions it calls (source); `captured` are read through the
 * closure's environment getter at send time (enclosing functions' variables, module constants and values).
 * Non-empty `blockers` keep the function on the main loop, each a reason for `explain` and the debug log.
 */
export interface CodeUnit {
  /** [start, end) of the function's text in the original source (read again from the file, hash-checked). */
  range: [number, number];
  /** Text to put before it (`function ` for a method's text). */
  prefix: string;
  /** Strict code where it is (an ES module, a class, under 'use strict'): so it runs on a worker too. */
  strict?: true;
  /** No function written in it and not async: nothing of it runs after it returns. */
  leaf?: true;
  /** What its functions require where they run (`require('./store')` in a handler): checked for state too. */
  inline?: string[];
  /** A function of an ES module (`.mjs`, or `.js` under `"type": "module"`): its stack frames name the file's URL. */
  esm?: true;
  captured: string[];
  /**
   * The captured names that are module bindings nothing writes after start-up (read-only module memory: a
   * dataset, a table, options): one value for every message, which goes to a worker once, with the unit, instead
   * of with each message (a 20,000-item array cloned per message made a 2 ms route 150 ms).
   */
  constants?: string[];
  /**
   * What its own text reads of the express app through the request, by name (`req.app.get('title')`,
   * `req.app.locals.brand`): the values go with each message (settings can change at run time), and the worker's
   * `req.app` answers them.
   */
  app?: { settings: string[]; locals: string[] };
  /** `import` marks an ES module import: required there too (Node's require of ES modules), `default` unwrapped. */
  requires: Array<{
    name: string;
    specifier: string;
    path: string[];
    import?: 'default' | 'named' | 'namespace';
    /** The exports of it the code reaches, where it reaches them by name only (`todos.score(…)`, `{ score }`). */
    members?: string[];
  }>;
  /**
   * `once`: a module constant a known factory made (factories.ts), made again on a worker once for every unit of
   * its file there (`make`), and the top-level statements configuring it, done with that one making (`configure`).
   */
  helpers: Array<{ name: string; range: [number, number]; prefix: string; once?: 'make' | 'configure' }>;
  /**
   * Module memory that only this function's text reads and writes (after start-up): its context, paper §3.2's
   * scope. The fluxion moves with it to one worker (every stateful fluxion of a file to the same one), which
   * keeps it from then on.
   */
  state: string[];
  /**
   * The part of `state` that other fluxions of the file read or write too (a share group, `grp_<var>`): they
   * all move together, to the same worker, or none of them does.
   */
  shared: string[];
  blockers: string[];
  /**
   * Global variables it reads (`APP_NAME`, `globalThis.db`), its helpers' too, other than Node's usual ones: each
   * thread has its own globals, so a global the app sets (any file, any time) is not there on a worker. The runtime
   * keeps it on the main loop when one of them is not a global of Node's (not there when fluxion started).
   */
  globals?: string[];
  /**
   * The fields the function's own text reads or writes on each parameter and captured variable
   * (`req.params`, `req.query`; `req.get()` counts as `headers`), or null where the value escapes (passed
   * along, stored, reassigned, read by a computed key). express_dispatcher snapshots a request with those
   * fields only: the getters nobody reads (`req.ip`, `req.fresh`, …) are not computed for every message.
   * A method called on a field is listed too, as `session.regenerate()`: a field that travels as the data of a
   * class instance has no methods on the worker, so such a message stays on the main loop. A field used only
   * through such calls made as statements (`req.log.info(…);`, their results unused) is listed as `log!`
   * instead of `log`: its calls can be recorded there and made here (dispatcher.ts `calledOnly`).
   */
  uses?: { params: Array<string[] | null>; captured: Record<string, string[] | null> };
  /**
   * What a worker adds to the text before running it, as [file offset, order, text]: an async function's
   * clock at its own awaits, and the counting of the instrumented functions nested in it (compiler: instrument.ts).
   */
  splices?: Array<[number, number, string]>;
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
  /**
   * A handler a known package makes there of what a worker can make again (`createHandler({ schema })`): the index
   * in `fns` of its code unit, which makes it on a worker (compiler/units.ts madeHandlerUnit). The probe gives
   * express a wrapper that sends its messages there once it is placed there (Registry.madeHandler).
   */
  made?: number;
  /** What it needs of a request to run on a worker: `body`, read already (by a parser), unless a GET or HEAD. */
  needs?: 'body';
}

export interface ModuleDescription {
  /** sha1 of the original source: code units are read from the file again only if it still matches. */
  hash: string;
  fns: FunctionEntry[];
  fluxions: StaticFluxion[];
  sites: SiteEntry[];
  /**
   * What the module keeps in its memory after start-up: module variables its functions write, and `this`
   * when methods write the objects it makes at load time. Another event loop that requires the module again
   * gets a copy of none of it: code that calls into such a module cannot move (runtime: Registry).
   */
  state: string[];
  /** The app files it requires (relative or absolute specifiers, as written), for that check. */
  requires: string[];
  /** With `state`: its exports that reach none of it, with the specifiers they reach (FluxionalProgram.reach). */
  reach?: Record<string, string[]>;
  /**
   * With `state`: its exports that only read it (FluxionalProgram.reads), and `setter`, the text a worker appends
   * to its copy of the file to give it the main loop's state (`module[Symbol.for('fluxion.readState')]`).
   */
  reads?: { exports: Record<string, string[]>; state: string[]; setter: string };
  /** What its top level does that a worker's copy would do again (FluxionalProgram.atLoad). */
  atLoad?: string;
  /** An ES module. */
  esm?: true;
  /** The packages it requires (bare specifiers): one named in `statefulPackages` is state too. */
  packages?: string[];
  /** The app files whose exports it writes, at start-up or after (FluxionalProgram.writes): state too. */
  writes?: ForeignWrite[];
  /** The globals it writes after start-up (FluxionalProgram.globalWrites). */
  globalWrites?: string[];
  /** The packages its start-up code connects (FluxionalProgram.connects). */
  connects?: Array<[string, string]>;
  /** Its top-level statements configuring packages (FluxionalProgram.configures). */
  configures?: Array<[string, string, string | null]>;
}
