/**
 * The registry of fluxions of this process: each rewritten module's static fluxions, the functions the
 * probes promoted at run time, and their live statistics (messages, CPU time per message).
 */
import { readFileSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import type { ModuleDescription, SiteEntry } from '../internal-types';
import { appGlobalReason, configuresByLoading, CONNECT_METHODS, globalsReason, stateReason, writtenElsewhere, type Configuration, type Required, type StartupWrite, type StateFacts } from '../specifiers';
import type { ForeignWrite, RuptureKind } from '../types';
import { debug, debugging, warnOnce } from '../debug';
import type * as DispatcherModule from './dispatcher';
import type * as BodyModule from './body';
import { AsyncClock, charged, closeSection, confirmAfter, enterOther, exitMessage, MADE_FIRST_SAMPLE, maySample, now, openSection, RESAMPLE_MESSAGES, RESAMPLE_MS, resampleAfter, sampling, startSample, startSyncSample } from './clock';
import { activeContexts, buildingUnit } from './contexts';
import type { Pending, Pool, Settle } from './pool';
import type { Replay, RunMessage, StartupValue } from './worker';
import type * as PoolModule from './pool';
import type * as SerializeModule from './serialize';
import type * as UnitsModule from './units';
import type { Factory } from './units';

/** Messages in a row that could not travel before a (stateless) fluxion stays on the main loop for good. */
const REFUSALS = 16;

/**
 * What only placed fluxions need (the dispatcher, the pool, serialization, code units) is loaded on the first
 * offload: an app whose fluxions all stay on the main loop never pays for it at start-up.
 */
let offloading: {
  prepare: typeof DispatcherModule.prepare;
  nextOf: typeof DispatcherModule.nextOf;
  readBodies: typeof DispatcherModule.readBodies;
  streamsText: typeof BodyModule.streamsText;
  NotTransferable: typeof SerializeModule.NotTransferable;
  encode: typeof SerializeModule.encode;
  decode: typeof SerializeModule.decode;
  refill: typeof SerializeModule.refill;
  Pool: typeof PoolModule.Pool;
  runOnMainLoop: typeof PoolModule.runOnMainLoop;
  settleRun: typeof PoolModule.settleRun;
  units: typeof UnitsModule;
  AsyncResource: typeof import('node:async_hooks').AsyncResource;
} | null = null;
function offloadModules(): NonNullable<typeof offloading> {
  if (!offloading) {
    // by their full path: this file is also part of register.bundle.js, one folder up (register.ts)
    const here = path.basename(__dirname) === 'runtime' ? __dirname : path.join(__dirname, 'runtime');
    const dispatcher = require(path.join(here, 'dispatcher.js')) as typeof DispatcherModule;
    const pool = require(path.join(here, 'pool.js')) as typeof PoolModule;
    const serialize = require(path.join(here, 'serialize.js')) as typeof SerializeModule;
    offloading = {
      prepare: dispatcher.prepare,
      nextOf: dispatcher.nextOf,
      readBodies: dispatcher.readBodies,
      streamsText: (require(path.join(here, 'body.js')) as typeof BodyModule).streamsText,
      NotTransferable: serialize.NotTransferable,
      encode: serialize.encode,
      decode: serialize.decode,
      refill: serialize.refill,
      Pool: pool.Pool,
      runOnMainLoop: pool.runOnMainLoop,
      settleRun: pool.settleRun,
      units: require(path.join(here, 'units.js')) as typeof UnitsModule,
      AsyncResource: (require('node:async_hooks') as typeof import('node:async_hooks')).AsyncResource,
    };
  }
  return offloading;
}

type AsyncResource = import('node:async_hooks').AsyncResource;

/** A message of a stateful fluxion waiting on the main loop for its turn (`ModuleRuntime.pump`). */
interface Waiting {
  ix: number;
  thisArg: unknown;
  args: unknown[];
  env: (() => Record<string, unknown>) | undefined;
  settle: Settle | null;
  /** The async context of the call: the message runs or leaves in it. */
  resource: AsyncResource;
  /** It cannot travel: it runs here once the worker has answered every earlier message of the file. */
  here: boolean;
}

/**
 * An arrow's arguments (the names it declares) and express's `next` when it came among the ones it does not name
 * (the rewrite's `...$flx$x`): a throw on the worker then reaches `next(err)` as Express's Layer would send it.
 */
function withNext(args: ArrayLike<unknown>, rest: unknown[]): ArrayLike<unknown> {
  const named = Array.from(args);
  const next = offloadModules().nextOf([...named, ...rest]);
  return next && !named.includes(next) ? [...named, next] : args;
}

/**
 * Whether a write another file makes to `target`'s exports writes data (a Map, an array, an object the file made at
 * load time), not a call of one of the file's own functions (`math.add(a, b)`, a function it put on its exports: its
 * own analysis says whether that writes anything). Read on the loaded module; one that is not at hand (an ES
 * module) counts as data.
 */
function writesData(target: string, [, , at, method]: ForeignWrite): boolean {
  // (connecting or initialising at start-up counts, whoever defines the method: the worker's copy would not be)
  if (method === null || CONNECT_METHODS.has(method)) return true;
  let value: unknown = require.cache[target]?.exports;
  for (const key of at) value = value == null ? undefined : (value as Record<string, unknown>)[key];
  if (value === null || (typeof value !== 'object' && typeof value !== 'function')) return true;
  return !(Object.prototype.hasOwnProperty.call(value, method) && typeof (value as Record<string, unknown>)[method] === 'function');
}

export type Placement = 'main' | 'replicated' | `worker:${number}`;

/** The variables an escaping function captured, by name, from its getter's `[name, value, …]` (instrument.ts environment). */
function captured(env: (() => unknown[]) | null): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (!env) return out;
  const pairs = env();
  for (let i = 0; i < pairs.length; i += 2) out[pairs[i] as string] = pairs[i + 1];
  return out;
}

export type StateSetter = (name: string, value: unknown, refill: (target: unknown, value: unknown) => void) => void;

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
  /** Messages it processed on a worker. */
  workerMessages: number;
  /** Messages that could not travel and ran on the main loop while it was placed on workers. */
  deopts: number;
  /** The last 16 CPU times (ms), for the JIT's median. */
  samples: Float64Array;
  /** The JIT's threshold for this fluxion (doubled each time a move did not pay off). */
  hotMs: number;
  /** Messages whose synchronous CPU time was measured, and the sum of it. */
  timed: number;
  cpuMs: number;
  /**
   * What its message starts in packages' own callbacks (clock.ts samples, on either loop: a worker samples async
   * messages), the lesser of its last two samples (clock.ts `charged`); added to each of its messages' time.
   */
  extraMs: number;
  /** Its last sample's figure (-1: none yet). */
  lastSampleMs: number;
  /** Its next message on the main loop is sampled from then on (`now()`), and once it has this many messages. */
  sampleAt: number;
  sampleAfter: number;
  /** The wait between its samples (ms; clock.ts resampleAfter). */
  sampleEvery: number;
  /**
   * A stateful fluxion's: the time its file's state took to travel (fetched from its worker: encoded there, decoded
   * and applied here; sent there again after the main loop ran one of the file's messages).
   */
  stateMs: number;
  /** `stateMs` and `workerMessages` when the JIT last weighed them (reconsider: the cost since then). */
  weighed: [stateMs: number, workerMessages: number];
  /** Found by a probe at run time rather than by the compiler. */
  dynamic: boolean;
  /**
   * A stateful fluxion kept on the main loop for good while its file's state lives on a worker (what it reads
   * cannot be copied there: stayForGood): its placement routes its messages after that worker's answers, and the
   * report says `main`, where they run.
   */
  home?: boolean;
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

/**
 * A fluxion's first sample on the main loop is of its second message: the first runs cold (V8 compiles its code,
 * packages set themselves up on their first call), and many run once, at start-up (`app.listen`'s callback, a
 * connection's): a sample turns async_hooks and V8's promise hooks on and reads the stack of every resource made
 * meanwhile (~1.5 M instructions of a Node 22 start for the listen callback alone).
 */
const FIRST_SAMPLE = 1;

/** A sample of the fluxion's messages read `extraMs`, on either loop. */
function sampleRead(record: FluxionRecord, extraMs: number): void {
  record.extraMs = charged(record.lastSampleMs, extraMs);
  record.lastSampleMs = extraMs;
  debug('sample', `${record.id}: a sample of message ${record.messages} read ${extraMs.toFixed(3)} ms in packages' callbacks; each message is charged ${record.extraMs.toFixed(3)} ms`);
}

/** Whether a message of the fluxion entering on the main loop at `t` is sampled (clock.ts): its second, then as spaced. */
function sampleDue(record: FluxionRecord, t: number): boolean {
  return t >= record.sampleAt && record.messages >= record.sampleAfter && maySample(t, record.sampleAt === 0);
}

/** What the generated `$flx$()` returns: the module's handle on the runtime. */
export class ModuleRuntime {
  /** The module's classes that travel as helpers, by name (serialize.ts: an error of one comes back as one). */
  classesOf: (() => Record<string, unknown>) | null = null;
  private classMap: Record<string, unknown> | null = null;
  get classes(): Record<string, unknown> {
    if (!this.classMap && this.classesOf) {
      try {
        this.classMap = this.classesOf();
      } catch {
        return {}; // still loading: not yet
      }
    }
    return this.classMap ?? {};
  }
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
    this.statics = description.fluxions.map((f) => {
      const record = registry.add({
        // the entry module's main is `main`; every other module's main is named after its file
        id: f.kind === 'main' && !registry.isEntry(file) ? `main@${registry.relative(file)}` : f.id,
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
    for (const record of this.statics) registry.placeNew(record);
  }

  /**
   * A message arrives: the start time; -1 when the function is not (yet) a fluxion; -2 when its fluxion is
   * placed on another event loop (the rewritten body then calls `offload`).
   */
  enter(ix: number): number {
    const record = this.records[ix];
    if (record === null) return -1;
    if (record.placement !== 'main' && !(record.placement === 'replicated' && this.registry.mainTakes())) return -2;
    const t = now();
    if (sampleDue(record, t)) startSyncSample(t, this.sampled(record, t));
    else if (sampling()) enterOther(t);
    openSection(t);
    return t;
  }

  exit(ix: number, start: number): void {
    if (start < 0) return;
    // (its own time: what another fluxion's message did inside it, `next()` running the route, is that one's)
    const ms = closeSection(start, now());
    if (sampling()) exitMessage(start);
    this.measured(ix, ms);
  }

  /** An async function's message: its clock (it runs between awaits); -1 or -2 as `enter`. */
  enterAsync(ix: number): number | AsyncClock {
    const record = this.records[ix];
    if (record === null) return -1;
    if (record.placement !== 'main' && !(record.placement === 'replicated' && this.registry.mainTakes())) return -2;
    return this.clockHere(record);
  }

  /** An async message of the fluxion runs on this loop: its clock. */
  clockHere(record: FluxionRecord): AsyncClock {
    const clock = new AsyncClock();
    const t = now();
    if (sampleDue(record, t)) clock.sample = startSample(t, this.sampled(record, t));
    return clock;
  }

  /** This message of the fluxion is sampled (clock.ts): what it starts in packages' callbacks becomes its `extraMs`. */
  private sampled(record: FluxionRecord, t: number): (extraMs: number) => void {
    const firstAt = record.lastSampleMs < 0 ? record.sampleAfter : -1;
    record.sampleAt = t + record.sampleEvery;
    record.sampleAfter = record.messages + RESAMPLE_MESSAGES;
    return (extraMs) => {
      sampleRead(record, extraMs);
      record.sampleEvery = resampleAfter(record.sampleEvery, extraMs);
      // (a sample that found more work than is charged: the next, to confirm it, comes soon, as a first one may:
      // beside others)
      const confirm = confirmAfter(extraMs, record.extraMs, firstAt);
      if (confirm !== null) {
        record.sampleAt = 0;
        record.sampleAfter = record.messages + confirm;
      }
    };
  }

  /** Before an `await` suspends the function (its operand evaluated): the clock stops. */
  pause<V>(clock: unknown, value: V): V {
    if (clock instanceof AsyncClock) clock.pause();
    return value;
  }

  /** The function resumed after an `await`: the clock runs again. */
  resume<V>(clock: unknown, value?: V): V | undefined {
    if (clock instanceof AsyncClock) clock.resume();
    return value;
  }

  exitAsync(ix: number, clock: unknown): void {
    if (!(clock instanceof AsyncClock)) return;
    clock.end();
    this.measured(ix, clock.cpu);
  }

  /** A message ran here: its own time (`ms`), and what it starts in packages' callbacks, as last sampled. */
  private measured(ix: number, ms: number): void {
    const record = this.records[ix]!;
    const extra = record.extraMs;
    record.messages++;
    record.cpuMs += ms + extra;
    record.samples[record.timed++ & 15] = ms + extra;
    if (this.registry.auto && (record.timed & 15) === 0) this.registry.consider(record);
  }

  /** What a worker needs to build this function's code unit (pool.ts sends it with its first message there). */
  unitMessage(ix: number): Pick<RunMessage, 'unit' | 'hash' | 'fileState' | 'startup' | 'constants'> {
    const message: Pick<RunMessage, 'unit' | 'hash' | 'fileState' | 'startup' | 'constants'> = { unit: this.description.fns[ix]!.unit!, hash: this.description.hash, fileState: this.fileState() };
    const startup = this.startupValues.get(ix);
    if (typeof startup === 'object') message.startup = startup;
    const constants = this.constantValues.get(ix);
    if (typeof constants === 'object') message.constants = constants;
    return message;
  }

  /** Per function: its module constants (CodeUnit.constants), encoded once for the workers; or why they cannot go. */
  private readonly constantValues = new Map<number, Record<string, unknown> | string>();

  /**
   * The function's module constants, encoded on its first message to a worker (start-up is over: nothing writes
   * them any more), for every worker it goes to; null, or why they cannot travel (a class's instance: the function
   * stays on the main loop for good, as for a start-up write that cannot be copied).
   */
  private constantsFor(ix: number, values: Record<string, unknown>, names: string[]): string | null {
    const known = this.constantValues.get(ix);
    if (known !== undefined) return typeof known === 'string' ? known : null;
    const { encode, NotTransferable } = offloadModules();
    const encoded: Record<string, unknown> = {};
    // (one map of what is encoded already: a constant that refers to another, `{ table: TABLE }`, still does there)
    const seen = new Map<object, unknown>();
    for (const name of names) {
      if (!(name in values)) continue;
      try {
        encoded[name] = encode(values[name], name, seen);
      } catch (error) {
        if (!(error instanceof NotTransferable)) throw error;
        this.constantValues.set(ix, error.message);
        return this.stayForGood(ix, error.message);
      }
    }
    this.constantValues.set(ix, encoded);
    return null;
  }

  /** Per function: the writes other files made at start-up to the exports of app files it calls into. */
  private readonly startupWrites = new Map<number, StartupWrite[]>();
  /**
   * Per function: what those writes left there, read once (after start-up) and encoded for the workers; or why
   * it cannot be.
   */
  private readonly startupValues = new Map<number, StartupValue[] | string>();

  /**
   * What the start-up writes of other files left in the exports this function's code reads (`config.mode` as
   * app.js set it), read on its first message to a worker, when start-up is over: the workers' copies of those
   * files get it before the code runs there (worker.ts applyStartup). A value that cannot travel (a function, a
   * class's instance) keeps the function on the main loop, for good: null then, with the reason noted.
   */
  private startupFor(ix: number): string | null {
    const writes = this.startupWrites.get(ix);
    if (!writes) return null;
    const known = this.startupValues.get(ix);
    if (known !== undefined) return typeof known === 'string' ? known : null;
    const { encode, NotTransferable } = offloadModules();
    const values: StartupValue[] = [];
    for (const [file, at, write] of writes) {
      const rel = file === null ? '' : path.relative(process.cwd(), file) || file;
      // (an ES module's exports are not in require.cache: its copy there cannot be given them)
      let parent: unknown = file === null ? globalThis : require.cache[file]?.exports;
      const why = (): string => (write === null ? appGlobalReason(at[0]!, null) : writtenElsewhere(rel, write[0], write[1], true));
      if (parent === undefined) return this.stayForGood(ix, why());
      for (const key of at.slice(0, -1)) parent = parent == null ? undefined : (parent as Record<string, unknown>)[key];
      const last = at[at.length - 1];
      const holder = parent !== null && (typeof parent === 'object' || typeof parent === 'function');
      const has = last === undefined || (holder && Object.prototype.hasOwnProperty.call(parent, last));
      try {
        if (last === undefined && file !== null && holder) {
          // somewhere in the file's exports (`data.find(1).done = true`): each of its data fields, as start-up left
          // them (filled in place there, so the file's own functions see them); its functions are the copy's own
          for (const key of Object.keys(parent as object)) {
            const value = (parent as Record<string, unknown>)[key];
            if (typeof value !== 'function') values.push([file, [key], true, encode(value, `module.exports.${key}`)]);
          }
          continue;
        }
        values.push(has ? [file, at, true, encode(last === undefined ? parent : (parent as Record<string, unknown>)[last], at.join('.') || 'module.exports')] : [file, at, false]);
      } catch (error) {
        if (!(error instanceof NotTransferable)) throw error;
        return this.stayForGood(ix, `${why()}${write === null ? '' : ', and what it wrote cannot be copied there'} (${error.path} is ${error.what})`);
      }
    }
    this.startupValues.set(ix, values);
    return null;
  }

  /**
   * The function stays on the main loop for good (what it reads of start-up, or a module constant, cannot be
   * copied): a stateless one is back there now; a stateful one's messages (its file's state lives on a worker) run
   * here each after that worker's answers (send: `waiting`).
   */
  private stayForGood(ix: number, reason: string): string {
    this.startupValues.set(ix, reason);
    this.stateful.set(ix, reason);
    const record = this.records[ix];
    if (record && !this.description.fns[ix].unit!.state.length) record.placement = 'main';
    else if (record) record.home = true;
    debug('placement', `${this.nameOf(ix)} (${path.relative(process.cwd(), this.file)}:${this.description.fns[ix].line}) stays on the main loop: ${reason}`);
    return reason;
  }


  private stateNames: string[] | null = null;
  /** The module state owned by its stateful fluxions (they all go to one worker). */
  fileState(): string[] {
    return (this.stateNames ??= [...new Set(this.description.fns.flatMap((f) => f.unit?.state ?? []))]);
  }

  private readonly stateful = new Map<number, string | null>();
  /** Writes the module's state variables (the rewritten module's trailer gives it; null: it has none). */
  setState: StateSetter | null = null;
  /** Its stateful fluxions coming back from their worker, once it has answered all their messages. */
  returning: FluxionRecord[] | null = null;
  /** They ran on the main loop since they were on a worker: that worker's copy of the state is old. */
  stateStale = false;

  /** Per function: the app files whose state it reads through exports that only read it (specifiers.ts `reads`). */
  private readonly reading = new Map<number, string[]>();
  /**
   * A file whose state other files' code reads on workers (description.reads): the version of that state, which
   * its functions that may change it bump as they start and as they end (`wb`/`we`, instrument.ts), and how many of
   * them are running (an async one until it settles): meanwhile every reader's message takes the state as it is.
   */
  private readVersion = 0;
  private writing = 0;
  readGetter: (() => Record<string, unknown>) | null = null;
  private readEncoded: { version: number; values: Record<string, unknown> } | null = null;
  wb(): void {
    this.readVersion++;
    this.writing++;
  }
  we(): void {
    this.readVersion++;
    if (this.writing > 0) this.writing--;
  }
  /** Whether the function reads another file's state (a copy goes with its messages). */
  readsState(ix: number): boolean {
    return this.reading.has(ix);
  }
  /** The rewritten module's trailer: the state its readers read, as it is now. */
  readable(getter: () => Record<string, unknown>): void {
    this.readGetter = getter;
  }
  /** The version a reader's message takes along now (a writer still running: a new one each time). */
  readsVersion(): number {
    if (this.writing > 0) this.readVersion++;
    return this.readVersion;
  }
  /** The state its readers read, encoded once per version (throws NotTransferable: the reader stays here). */
  readCopy(version: number): Record<string, unknown> {
    if (this.readEncoded?.version === version) return this.readEncoded.values;
    const values = this.readGetter!();
    const seen = new Map<object, unknown>();
    const out: Record<string, unknown> = {};
    for (const name of Object.keys(values)) out[name] = offloadModules().encode(values[name], `${path.relative(process.cwd(), this.file) || this.file}'s \`${name}\``, seen);
    this.readEncoded = { version, values: out };
    return out;
  }

  /** The state a worker sent back with an answer: the main loop's copy follows it. */
  applyState(values: Record<string, unknown>): void {
    const set = this.setState;
    if (!set) return;
    for (const name of Object.keys(values)) {
      try {
        set(name, values[name], offloadModules().refill);
      } catch (error) {
        warnOnce(`state-back:${this.file}:${name}`, `the state \`${name}\` of ${path.relative(process.cwd(), this.file)} could not be updated from its worker (${(error as Error).message})`);
      }
    }
  }
  /**
   * Whether this function's code can run on another event loop: its code unit has no blocker, and no app
   * file it calls into (required again there) keeps state in its module memory.
   */
  movable(ix: number): boolean {
    const entry = this.description.fns[ix];
    if (!entry || !entry.unit || entry.unit.blockers.length > 0) return false;
    let reason = this.stateful.get(ix);
    if (reason === undefined) {
      const startup: StartupWrite[] = [];
      const globals: string[] = [];
      const reads: string[] = [];
      reason = this.registry.statefulRequire(this.file, [...entry.unit.requires.map((r): Required => (r.members ? [r.specifier, r.members] : r.specifier)), ...(entry.unit.inline ?? [])], startup, reads) ?? this.registry.appGlobal(entry.unit.globals, globals);
      if (startup.length || globals.length) this.startupWrites.set(ix, [...startup, ...globals.map((name): StartupWrite => [null, [name], null])]);
      if (reads.length && reason === null) this.reading.set(ix, reads);
      this.stateful.set(ix, reason);
      if (reason) debug('placement', `${this.nameOf(ix)} (${path.relative(process.cwd(), this.file)}:${entry.line}) stays on the main loop: ${reason}`);
    }
    return reason === null;
  }

  /** The function's name in the log: its fluxion's id (as the report has it), or its own name. */
  private nameOf(ix: number): string {
    return this.records[ix]?.id ?? (this.description.fns[ix]!.name || 'a function');
  }

  /** What it may call into changed (a package configuration failed on a worker): the next `movable` asks again. */
  recheck(): void {
    for (const [ix, reason] of this.stateful) if (reason === null) this.stateful.delete(ix);
  }

  /** It does not move again (the JIT found its move did not pay off for a reason that will not change). */
  stayHome(ix: number, reason: string): void {
    this.stateful.set(ix, reason);
  }

  /** The message goes to a worker (-2), or, when it cannot travel, runs here: returns the start time. */
  offload(ix: number, thisArg: unknown, args: ArrayLike<unknown>, env?: () => Record<string, unknown>, rest?: unknown[]): number {
    return this.send(ix, thisArg, rest?.length ? withNext(args, rest) : args, env, null) ? -2 : now();
  }

  /**
   * An async function's message goes to a worker: the promise it returns here settles as the function's did
   * there (after its response calls are replayed and its `next` resumed), so Express 5 sees a rejection as
   * it would, and Express 4 leaves it unhandled as it would. When the message cannot travel: the clock, and
   * the body runs here.
   */
  offloadAsync(ix: number, thisArg: unknown, args: ArrayLike<unknown>, env?: () => Record<string, unknown>, rest?: unknown[], here?: () => unknown[]): Promise<unknown> | AsyncClock {
    let settle: Settle | null = null;
    const promise = new Promise<unknown>((resolve, reject) => (settle = { resolve, reject }));
    return this.send(ix, thisArg, rest?.length ? withNext(args, rest) : args, env, settle, here) ? promise : new AsyncClock();
  }

  /**
   * Messages of its stateful fluxions waiting on the main loop, in their order. The state of a file lives on
   * one worker while its fluxions are there, and the main loop's copy is the latest only once that worker has
   * answered every message of the file it holds and sent the state it left (asked for then: `stateOnWorker`):
   * so a message that cannot travel runs here after those answers and that state (not at once, with an old copy), and one that finds the worker's queue full waits for room there (it does
   * not run here meanwhile). A message that comes while others wait, waits behind them: none overtakes another.
   */
  readonly waiting: Waiting[] = [];

  /** `here`: the arguments the message runs with on the main loop if its worker fails, made then (a made handler's: madeWrapper). */
  private send(ix: number, thisArg: unknown, args: ArrayLike<unknown>, env: (() => Record<string, unknown>) | undefined, settle: Settle | null, here?: () => unknown[]): boolean {
    const record = this.records[ix]!;
    const stateful = this.description.fns[ix].unit!.state.length > 0;
    const resource = new (offloadModules().AsyncResource)('fluxion.message');
    // while the file's stateful fluxions come back (`returning`), a new message waits here for the worker's last
    // answers, then runs here: under a load that never lets that worker idle, it drains all the same
    if (stateful && (this.waiting.length > 0 || this.returning)) {
      this.wait({ ix, thisArg, args: Array.from(args), env, settle, resource, here: this.returning !== null });
      return true;
    }
    const outcome = this.trySend(ix, thisArg, args, env, settle, resource, here);
    if (outcome === 'sent') {
      this.refusals.delete(ix);
      return true;
    }
    if (stateful && outcome === 'full') {
      this.wait({ ix, thisArg, args: Array.from(args), env, settle, resource, here: false });
      return true;
    }
    const why = outcome === 'full' ? 'every worker has a full queue' : outcome.message;
    if (stateful && (this.registry.inFlightFor(this.file) > 0 || this.registry.stateOnWorker(this.file))) {
      // (or once the main loop has the file's state from its worker, where it lives)
      debug('placement', `${record.id}: ${why}; this message runs on the main loop once its worker has answered the file's earlier ones`);
      this.wait({ ix, thisArg, args: Array.from(args), env, settle, resource, here: true });
      return true;
    }
    // here and now: the main loop's copy of the state is the latest, and from now on the worker's is old
    record.deopts++;
    if (stateful) this.stateStale = true;
    debug('placement', `${record.id}: ${why}; this message runs on the main loop`);
    if (outcome !== 'full' && !stateful) this.refused(ix, why);
    return false;
  }

  /** Consecutive messages of a fluxion that could not travel (each tried, encoded part way, and ran here). */
  private readonly refusals = new Map<number, number>();

  /**
   * One more message that could not travel: after REFUSALS in a row (none went between), it is what this
   * fluxion's messages carry (a closure's captured schema, a client), not one odd value, and the fluxion stays on
   * the main loop for good rather than try every message.
   */
  private refused(ix: number, why: string): void {
    const count = (this.refusals.get(ix) ?? 0) + 1;
    this.refusals.set(ix, count);
    if (count < REFUSALS) return;
    this.refusals.delete(ix);
    const record = this.records[ix]!;
    this.stayHome(ix, `its messages cannot travel (${why})`);
    record.placement = 'main';
    debug('placement', `${record.id} (${path.relative(process.cwd(), this.file)}:${record.line}) stays on the main loop: ${REFUSALS} messages in a row could not travel (${why})`);
  }

  private wait(message: Waiting): void {
    this.waiting.push(message);
    this.registry.pumpAfterAnswers(this);
  }

  /**
   * The messages that wait go, in order, as far as the worker lets them: called after each batch of its
   * answers. One that cannot travel (or whose fluxion came back meanwhile) runs here once the worker holds none
   * of the file's messages; one that waits for room goes when there is some.
   */
  pump(): void {
    while (this.waiting.length > 0) {
      const w = this.waiting[0]!;
      if (!w.here) {
        if (this.records[w.ix]!.placement === 'main') w.here = true;
        else {
          let outcome: ReturnType<ModuleRuntime['trySend']>;
          try {
            outcome = this.trySend(w.ix, w.thisArg, w.args, w.env, w.settle, w.resource);
          } catch (error) {
            outcome = error as Error; // (called from a worker's answer: nothing above would catch it)
          }
          if (outcome === 'full') return;
          if (outcome === 'sent') {
            this.waiting.shift();
            continue;
          }
          debug('placement', `${this.records[w.ix]!.id}: ${outcome.message}; this message runs on the main loop once its worker has answered the file's earlier ones`);
          w.here = true;
        }
      }
      if (this.registry.inFlightFor(this.file) > 0) return;
      // the file's state lives on its worker: asked for, this waits for the answer (pumped again after it)
      if (this.registry.stateOnWorker(this.file)) return;
      this.waiting.shift();
      this.records[w.ix]!.deopts++;
      this.stateStale = true;
      const { runOnMainLoop, nextOf, settleRun } = offloadModules();
      // (a message of the fluxion, run here: counted; not timed — its time here is the state's coming and going
      // too, which the JIT weighs apart, `stateMs`)
      this.records[w.ix]!.messages++;
      // (what it throws goes where the function's throw would have gone; the messages behind it still go)
      settleRun(() => runOnMainLoop(w.resource, () => this.runHere(w.ix, w.thisArg, w.args, w.env, null, w.settle !== null), nextOf(w.args)), w.settle);
    }
  }

  /**
   * Runs a message here with the code unit built on the main loop (the message is not the function's call any
   * more: the function is not at hand). A stateless unit gets `values`, the captured variables when the call
   * was made; a stateful one the module's state as it is now, and what it changes goes back into the module (also
   * once an async function's promise settles).
   */
  private runHere(ix: number, thisArg: unknown, args: unknown[], env: (() => Record<string, unknown>) | undefined, values: Record<string, unknown> | null, async: boolean): unknown {
    const factory = this.registry.factory(this, ix);
    if (!this.description.fns[ix].unit!.state.length) return factory(values).apply(thisArg, args);
    const { units } = offloadModules();
    const before = env ? env() : {};
    const writeBack = (): void => {
      const after = units.stateOf(this.file);
      const changed: Record<string, unknown> = {};
      for (const name of Object.keys(after)) if (after[name] !== before[name]) changed[name] = after[name];
      this.applyState(changed);
    };
    units.resetState(this.file); // the unit's scope takes the module's state again
    let result: unknown;
    try {
      result = factory(before).apply(thisArg, args);
    } finally {
      writeBack();
    }
    if (async && result instanceof Promise) result.then(writeBack, writeBack);
    return result;
  }

  /** The message goes to a worker ('sent'), finds every queue full, or cannot travel (why). */
  private trySend(ix: number, thisArg: unknown, args: ArrayLike<unknown>, env: (() => Record<string, unknown>) | undefined, settle: Settle | null, resource: AsyncResource, here?: () => unknown[]): 'sent' | 'full' | Error {
    const record = this.records[ix]!;
    const stays = this.startupFor(ix);
    if (stays !== null) return new Error(stays);
    const values = env ? env() : null;
    const { prepare, NotTransferable } = offloadModules();
    const constants = this.description.fns[ix]!.unit!.constants;
    const stateNames = this.description.fns[ix]!.unit!.state;
    let perMessage = values;
    let state: ((again: boolean) => Record<string, unknown>) | undefined;
    if (values && (constants || stateNames.length)) {
      // the module's constants go once to each worker, with the unit (constantsFor), and the file's state when the
      // worker has none or an old copy (pool.ts send): not with every message
      if (constants) {
        const reason = this.constantsFor(ix, values, constants);
        if (reason !== null) return new Error(reason);
      }
      perMessage = null;
      for (const key of Object.keys(values)) if (!constants?.includes(key) && !stateNames.includes(key)) (perMessage ??= {})[key] = values[key];
      if (stateNames.length) {
        state = (again) => {
          const started = now();
          const seen = new Map<object, unknown>();
          const out: Record<string, unknown> = {};
          for (const name of stateNames) if (name in values) out[name] = offloadModules().encode(values[name], name, seen);
          // (carrying the state to and fro is what the JIT weighs, reconsider: not its first trip to the worker)
          if (again) record.stateMs += now() - started;
          return out;
        };
      }
    }
    const entry = this.description.fns[ix];
    const stateful = entry.unit!.state.length > 0;
    // the state of the files it reads, as it is now (pool.ts sends it to a worker whose copy is older)
    let reads: Pending['reads'];
    const reading = this.reading.get(ix);
    if (reading) {
      for (const file of reading) {
        const module = this.registry.moduleOf(file);
        if (!module?.description.reads || !module.readGetter) return new Error(`it reads the state of ${path.relative(process.cwd(), file) || file}, which is not loaded as fluxion rewrote it`);
        (reads ??= []).push({ file, version: module.readsVersion(), hash: module.description.hash, setter: module.description.reads.setter, copy: (version) => module.readCopy(version) });
      }
    }
    let prepared: ReturnType<typeof prepare>;
    let contexts: ReturnType<typeof activeContexts>;
    try {
      prepared = prepare(args, perMessage, this.description.fns[ix]?.unit?.uses, this.description.fns[ix]?.unit?.app, stateful);
      // the request's AsyncLocalStorage stores (and cls-hooked contexts): the code runs inside them there (one that
      // cannot travel as a stand-in the code must not read, when the message may run again here: not stateful)
      contexts = activeContexts(offloadModules(), !stateful);
    } catch (error) {
      if (!(error instanceof NotTransferable)) throw error;
      return error;
    }
    const realArgs = Array.from(args);
    const message: RunMessage = { type: 'run', id: 0, file: this.file, ix, args: prepared.args };
    if (prepared.env) message.env = prepared.env;
    if (contexts) message.contexts = contexts.carried;
    if (settle) message.async = true;
    if (stateful) message.returnState = true;
    if (stateful && this.stateStale) message.resetState = true;
    let sent: boolean;
    try {
      sent = this.registry.pool().send({
        message,
        state,
        reads,
        onReadCopy: (ms) => {
          record.stateMs += ms;
        },
        unit: this,
        settle,
        slot: record.placement.startsWith('worker:') ? Number(record.placement.slice(7)) - 1 : -1,
        held: prepared.held,
        contexts,
        resource,
        runHere: () => this.runHere(ix, thisArg, here ? here() : realArgs, env, values, settle !== null),
        onDone: (ownMs, extraMs) => {
          // (an async message: with what it starts in packages' callbacks, as last sampled; a synchronous one's time
          // there runs to its answer, which the work it started came before)
          if (extraMs !== undefined) sampleRead(record, extraMs);
          const cpuMs = ownMs + (settle ? record.extraMs : 0);
          record.messages++;
          record.workerMessages++;
          record.cpuMs += cpuMs;
          record.samples[record.timed++ & 15] = cpuMs;
          if (this.registry.auto && (record.timed & 15) === 0) this.registry.reconsider(record);
        },
        onState: (state, ms) => {
          const started = now();
          this.applyState(state);
          record.stateMs += ms + now() - started;
        },
        onNested: (nested) => {
          for (const [i, messages, cpuMs, timed] of nested) {
            const r = this.records[i];
            if (!r) continue; // a function that is not a fluxion (yet)
            r.messages += messages;
            r.workerMessages += messages;
            r.cpuMs += cpuMs;
            r.timed += timed;
          }
        },
        onUnavailable: (reason, again, transient) => {
          // it runs here now, with the unit built on the main loop (not the function, whose entry counts a message)
          record.messages++;
          record.deopts++;
          // (not the fluxion's doing: its next message goes, unless what the registry learnt keeps it here)
          if (transient) return debug('placement', `${record.id}: this message runs on the main loop (${reason})`);
          record.placement = 'main';
          debug('placement', `${record.id}: back on the main loop (${reason})`);
          if (!again) return;
          // for good: its answers hold what cannot travel back, and each time the work would be done twice
          this.stateful.set(ix, `it could not finish on a worker (${reason})`);
          warnOnce(`again:${record.id}`, `${record.id} (${path.relative(process.cwd(), this.file)}:${entry.line}) could not finish on a worker (${reason}): that request ran again on the main loop, where ${record.id} stays`);
        },
      });
    } catch (error) {
      if (!(error instanceof NotTransferable)) throw error;
      // the file's state it was to take along cannot go (a class's instance): it stays on the main loop for good,
      // where that state is (its worker never had it; the main loop's copy followed every answer before)
      this.stateful.set(ix, `its state cannot travel (${error.message})`);
      record.placement = 'main';
      debug('placement', `${record.id} (${path.relative(process.cwd(), this.file)}:${entry.line}) stays on the main loop: its state cannot travel (${error.message})`);
      return error;
    }
    if (!sent) return 'full';
    if (stateful) this.stateStale = false;
    return 'sent';
  }

  /**
   * Registers an escaping function with its static index and the getter of its captured variables;
   * returns it unchanged.
   */
  fn<F>(ix: number, fn: F, env?: () => unknown[]): F {
    if (typeof fn === 'function') this.registry.functions.set(fn, { module: this, ix, env: env ?? null });
    return fn;
  }

  /**
   * A dynamic site: look at the real argument (paper §4.3), return it unchanged; a handler a known package made
   * there of what a worker can make again (SiteEntry.made), in a wrapper that can send its messages there.
   */
  probe<V>(site: number, value: V, env?: () => Record<string, unknown>): V {
    const entry = this.description.sites[site];
    if (entry.made !== undefined && typeof value === 'function' && !this.registry.functions.has(value)) return this.madeHandler(entry, value as unknown as (...args: unknown[]) => unknown, env) as unknown as V;
    this.registry.observe(this, entry, value);
    return value;
  }

  /**
   * The handler a package made at a dynamic site (`createHandler({ schema, rootValue: root })`, graphql-http's), as
   * express gets it: a function of the same `length`, name and own properties, which is the fluxion: while it is
   * placed on the main loop it calls the handler (timed as the rewritten functions are), and once placed on workers
   * its messages go there, where its code unit made the same handler (compiler/units.ts madeHandlerUnit). A
   * request without what the handler needs there (`needs: 'body'`: a body no parser read, which the handler would
   * read from the socket) runs here.
   */
  private madeHandler(site: SiteEntry, handler: (...args: unknown[]) => unknown, env: (() => Record<string, unknown>) | undefined): (...args: unknown[]) => unknown {
    const ix = site.made!;
    let record = this.records[ix];
    if (record === null) {
      const entry = this.description.fns[ix];
      record = this.registry.add({ id: `${entry.name || 'handler'}@${entry.line}`, file: this.file, line: entry.line, kind: site.kind, tags: [], context: [], dynamic: true, module: this, fn: ix });
      // (its first sample, of the package's work after its awaits, once that code is warm: a sample of one of its
      // first messages reads V8 compiling graphql's execution, ~8 ms a message for a query that takes 0.3 ms)
      record.sampleAfter = MADE_FIRST_SAMPLE;
      this.records[ix] = record;
      this.registry.placeNew(record);
      if (debugging('probe')) debug('probe', `${path.relative(process.cwd(), this.file)}:${site.line} ${site.callee}: ${record.id}, a handler ${entry.name}() made, is a ${site.kind} fluxion (a worker makes it again)`);
    }
    const from = this.fluxionAt(site.enclosing, site.in);
    if (!this.registry.dynamicStreams.some((s) => s.from === from && s.to === record)) this.registry.dynamicStreams.push({ from, to: record, type: site.kind, vars: [] });
    return madeWrapper(this, ix, record, handler, env, site.needs === 'body');
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
  /** Escaping functions of rewritten code: where each is defined, and the getter of its captured variables (`[name, value, …]`, `captured`). */
  readonly functions = new WeakMap<object, { module: ModuleRuntime; ix: number; env: (() => unknown[]) | null }>();

  /** What the runtime knows of a function of rewritten code: where it is defined and what it captured. */
  closure(fn: object): { file: string; line: number; name: string; captured: Record<string, unknown> } | null {
    const where = this.functions.get(fn);
    if (!where) return null;
    const entry = where.module.description.fns[where.ix];
    return { file: where.module.file, line: entry.line, name: entry.name, captured: captured(where.env) };
  }
  /** Functions seen at dynamic sites that fluxion did not rewrite (node_modules): observed, never moved. */
  external = 0;
  private readonly ids = new Set<string>();
  /** Placement policy (register() sets it from the options). */
  mode: 'auto' | 'inline' | 'isolate' = 'inline';
  auto = false;
  hotMs = 1;
  threads: number | null = null;
  private workers: Pool | null = null;
  private readonly factories = new Map<string, Factory>();

  configure(options: { placement: 'auto' | 'inline' | 'isolate'; threads: number | null; hotMs?: number; idleMs?: number; scavengeMb?: number; maxInFlight?: number; statefulPackages?: string[] }): void {
    this.mode = options.placement;
    this.auto = options.placement === 'auto';
    this.threads = options.threads;
    if (options.hotMs !== undefined) this.hotMs = options.hotMs;
    if (options.idleMs !== undefined) this.idleMs = options.idleMs;
    if (options.scavengeMb !== undefined) this.scavengeMb = options.scavengeMb;
    if (options.maxInFlight !== undefined) this.maxInFlight = options.maxInFlight;
    if (options.statefulPackages !== undefined) this.statefulPackages = options.statefulPackages;
    this.nodeGlobals ??= new Set(Object.getOwnPropertyNames(globalThis));
  }

  /**
   * The globals there were when fluxion started (`-r fluxion/register`: before the app's first line): Node's. Any
   * other global a fluxion reads is the app's (or a package's), which a worker, with globals of its own, lacks.
   */
  private nodeGlobals: Set<string> | null = null;

  /** A class of a rewritten module that travels as a helper (`#Name` in serialize.ts's class locations), or undefined. */
  classOf(file: string, name: string): unknown {
    return this.byFile.get(file)?.classes[name];
  }

  /** Where a class of a rewritten module is, as serialize.ts names it ([file, `#Name`]), or null. */
  locateClass(ctor: unknown): [string, string] | null {
    for (const module of this.modules) {
      if (!module.classesOf) continue;
      for (const [name, value] of Object.entries(module.classes)) if (value === ctor) return [module.file, `#${name}`];
    }
    return null;
  }

  /**
   * Why code reading these globals cannot run on another event loop, or null (specifiers.ts globalsReason);
   * `startup` gets the app's globals it reads that are only written at start-up, which a worker must be given.
   */
  appGlobal(names: string[] | undefined, startup: string[] = []): string | null {
    if (!names) return null;
    this.nodeGlobals ??= new Set(Object.getOwnPropertyNames(globalThis));
    return globalsReason(names, this.nodeGlobals, this.laterGlobals, startup);
  }

  /** The globals the app's loaded files write after start-up (descriptions' `globalWrites`) → the first such file. */
  private readonly laterGlobals = new Map<string, string>();

  /** Packages whose module memory is state: a worker would require an unconnected, unconfigured copy. */
  statefulPackages: string[] = [];
  /** Packages the app's start-up code connects or initialises (descriptions' `connects`), with who and how. */
  private readonly connected = new Map<string, string>();
  /**
   * A file's name in fluxion's ids and lines: relative to the working directory. Once per file: the ids of the
   * functions of one name in several files (`anonymous_1000`, `index`, `list`) are made of it, and `path.relative` in
   * V8's interpreter, at start-up, cost a module with 37 fluxions ~2 M instructions when each asked it (Node 22).
   */
  relative(file: string): string {
    let rel = this.relatives.get(file);
    if (rel === undefined) this.relatives.set(file, (rel = path.relative(process.cwd(), file) || file));
    return rel;
  }
  private readonly relatives = new Map<string, string>();

  /** Whether a module is the app's entry (`require.main`, or `process.argv[1]`, resolved once). */
  isEntry(file: string): boolean {
    if (require.main?.filename === file) return true;
    this.argvEntry ??= process.argv[1] ? path.resolve(process.argv[1]) : '';
    return this.argvEntry === file;
  }
  private argvEntry: string | undefined;

  /** The app's entry file: `require.main`'s, or for an ES module entry, `process.argv[1]` as Node resolves it. */
  private entry(): string | null {
    if (require.main?.filename) return require.main.filename;
    const arg = process.argv[1];
    if (!arg) return null;
    try {
      return require('node:fs').realpathSync(path.resolve(arg)) as string;
    } catch {
      return path.resolve(arg);
    }
  }

  /** Packages files configure at their top level (descriptions' `configures`). */
  private readonly configured = new Map<string, Array<Configuration>>();
  /** The configuration each of the `replays` makes again (by Replay id). */
  private readonly replayed = new Map<number, Configuration>();
  /**
   * The scripts a worker runs before its first code unit to configure its copies of packages as the files' top
   * levels did here (`dayjs.extend(utc)`), in the order the files were loaded (pool.ts sends each worker each once).
   */
  readonly replays: Replay[] = [];

  /** How long a worker may stay idle before it stops (0: never). */
  idleMs = 30000;
  /** A worker scavenges once its external memory grew by this many MB (0: V8's own policy; worker.ts). */
  scavengeMb = 8;
  /** Messages in flight per worker; past it a stateless fluxion's message runs here, a stateful one's waits. */
  maxInFlight = 1024;

  pool(): Pool {
    if (!this.workers) {
      // with `auto`, the main loop is a replica too (Pool.mainMayTake); `isolate` keeps every message on the workers
      this.workers = new (offloadModules().Pool)(this.threads, this.maxInFlight, this.idleMs, this.auto, this.scavengeMb);
      this.workers.afterAnswers = () => this.answered();
      this.workers.onState = (file, state, ms) => this.stateCame(file, state, ms);
      this.workers.replays = this.replays;
      this.workers.onReplaysFailed = (failures) => this.replaysFailed(failures);
    }
    return this.workers;
  }

  /** Messages of this file sent to a worker and not answered yet. */
  inFlightFor(file: string): number {
    return this.workers ? this.workers.inFlightFor(file) : 0;
  }

  /**
   * A worker holds a newer copy of the file's state than the main loop (its stateful fluxions ran there since
   * the main loop last asked): it is asked for it, and the caller waits (pool.ts `requestState`).
   */
  stateOnWorker(file: string): boolean {
    return this.workers !== null && this.workers.requestState(file);
  }

  /** A file's state its worker answered: the module takes it, and its stateful fluxions count what carrying it took. */
  private stateCame(file: string, state: Record<string, unknown>, ms: number): void {
    const module = this.modules.find((m) => m.file === file);
    if (!module) return;
    module.applyState(state);
    const moved = module.statics.filter((r) => r.fn >= 0 && r.placement !== 'main' && (module.description.fns[r.fn]!.unit?.state.length ?? 0) > 0);
    for (const r of moved) r.stateMs += ms / moved.length;
  }

  /** Files with messages waiting for their worker's answers, or stateful fluxions coming back once it has none. */
  private readonly afterAnswers = new Set<ModuleRuntime>();
  pumpAfterAnswers(module: ModuleRuntime): void {
    this.afterAnswers.add(module);
  }

  /** After a batch of a worker's answers (their state applied, their responses replayed), or a lost worker. */
  private answered(): void {
    if (this.afterAnswers.size === 0) return;
    for (const module of this.afterAnswers) {
      if (module.returning) this.returnWhenDrained(module);
      module.pump();
      if (!module.returning && module.waiting.length === 0) this.afterAnswers.delete(module);
    }
  }

  /** A replicated fluxion's message runs on the main loop this time (its workers all have a backlog). */
  mainTakes(): boolean {
    return this.workers !== null && this.workers.mainMayTake();
  }

  /**
   * `unregister()`: every fluxion back on the main loop, workers stopped. A file's stateful fluxions whose state
   * lives on a worker come back as the JIT brings them back (`returning`): their new messages wait for the
   * worker's last answers and its state, then run here.
   */
  async close(): Promise<void> {
    this.mode = 'inline';
    this.auto = false;
    for (const module of this.modules) {
      const away = module.statics.filter((r) => r.fn >= 0 && r.placement !== 'main' && (module.description.fns[r.fn]!.unit?.state.length ?? 0) > 0);
      if (away.length === 0 || module.returning) continue;
      module.returning = away;
      this.returnWhenDrained(module);
      if (module.returning) this.pumpAfterAnswers(module);
    }
    for (const record of this.fluxions) if (!record.module.returning?.includes(record)) record.placement = 'main';
    await this.workers?.close();
    this.workers = null;
  }

  /** The code unit built on the main loop, to run a message here that could not run there. */
  factory(module: ModuleRuntime, ix: number): Factory {
    const key = `${module.file}#${ix}`;
    let f = this.factories.get(key);
    if (!f) {
      try {
        f = buildingUnit(module.file, () => offloadModules().units.buildFactory(module.file, module.description.hash, module.description.fns[ix].unit!, module.fileState()));
      } catch (error) {
        warnOnce(`factory:${key}`, `${path.relative(process.cwd(), module.file)}:${module.description.fns[ix].line}: a message could not be run again on the main loop (${(error as Error).message}); it fails through the error path`);
        throw error;
      }
      this.factories.set(key, f);
    }
    return f;
  }

  /**
   * A new fluxion: with `isolate`, every movable one goes to the workers at once — once the code running now is
   * done: a module is loaded at its first registered function (its first `app.get(…)`), and the files it requires
   * after that line must be loaded before the state check of its fluxions, whose verdict is kept.
   */
  placeNew(record: FluxionRecord): void {
    if (this.mode === 'isolate') process.nextTick(() => this.eligible(record) && this.place(record));
  }

  /** Code of node_modules (rewritten only when `include` names it) is observed, never moved. */
  private movableAlone(record: FluxionRecord): boolean {
    return record.fn >= 0 && !record.file.includes(`${path.sep}node_modules${path.sep}`) && record.module.movable(record.fn);
  }

  /** The fluxions of its share groups: the file's static fluxions whose state it shares. */
  private group(record: FluxionRecord): FluxionRecord[] {
    const shared = record.module.description.fns[record.fn]?.unit?.shared ?? [];
    if (!shared.length) return [record];
    return record.module.statics.filter((r) => r.fn >= 0 && (r.module.description.fns[r.fn].unit?.state ?? []).some((n) => shared.includes(n)));
  }

  /** Movable, and so is every fluxion it shares memory with (a share group moves together or not at all). */
  private eligible(record: FluxionRecord): boolean {
    return this.movableAlone(record) && this.group(record).every((r) => this.movableAlone(r));
  }

  /**
   * The JIT, every 16 messages: a movable fluxion whose median CPU time over the last 16 messages reaches
   * its threshold moves to the workers. The median, not the mean: a GC pause or a busy machine inflates a few
   * messages of a cheap handler, never half of them. The first 32 messages (V8's warm-up) do not count.
   */
  consider(record: FluxionRecord): void {
    if (record.placement !== 'main' || record.timed < 32 || median16(record.samples) < record.hotMs) return;
    if (this.eligible(record)) this.place(record);
  }

  /**
   * On the workers: if the work measured there is under half the threshold, the move did not pay off. A
   * stateful fluxion comes back with every stateful fluxion of its file (they share its state on that worker),
   * once all of them are that cheap, and once that worker has answered every message of the file it holds and
   * sent the file's state (returnWhenDrained asks for it): until then they keep going there, so no message
   * overtakes another and the main loop's copy of the state is the latest when they start running here. A
   * stateful fluxion still hot there whose state costs as much to carry, to and fro, as the work it moved (a
   * message of the file that could not travel every other time: the state comes here, and goes back with the
   * next) comes back the same way, for good.
   */
  reconsider(record: FluxionRecord): void {
    if (record.placement === 'main' || this.mode !== 'auto') return;
    const module = record.module;
    const stateful = (module.description.fns[record.fn].unit?.state.length ?? 0) > 0;
    const together = stateful ? this.together(record) : [];
    // still hot, but its file's state costs more to carry back than the work it moved (a large Map kept as module
    // state): the file's stateful fluxions come back for good (one that got cheap comes back below, and may move again)
    const work = median16(record.samples);
    // (since it last looked: a fluxion that ran well for an hour and now carries its state to and fro every other
    // message is weighed on the latter)
    const [stateMs, workerMessages] = record.weighed;
    const moved = record.workerMessages - workerMessages;
    let perMessage = 0;
    if (moved >= 8) {
      perMessage = (record.stateMs - stateMs) / moved;
      record.weighed = [record.stateMs, record.workerMessages];
    }
    if (stateful && work >= record.hotMs / 2 && perMessage > 0 && perMessage >= work) {
      const reason = `carrying its file's state back costs ${perMessage.toFixed(2)} ms a message, more than the ${work.toFixed(2)} ms of work it moved`;
      debug('placement', `${record.id} (${path.relative(process.cwd(), record.file)}:${record.line}): ${reason}; back on the main loop for good`);
      for (const r of together) module.stayHome(r.fn, reason);
      module.returning = together;
      this.returnWhenDrained(module);
      if (module.returning) this.pumpAfterAnswers(module);
      return;
    }
    // a reader of another file's state, still hot, whose copies (that file changes often) cost as much as its work
    if (!stateful && module.readsState(record.fn) && work >= record.hotMs / 2 && perMessage > 0 && perMessage >= work) {
      const reason = `the state it reads costs ${perMessage.toFixed(2)} ms a message to copy to the workers, more than the ${work.toFixed(2)} ms of work it moved`;
      debug('placement', `${record.id} (${path.relative(process.cwd(), record.file)}:${record.line}): ${reason}; back on the main loop for good`);
      module.stayHome(record.fn, reason);
      record.placement = 'main';
      return;
    }
    if (work >= record.hotMs / 2) return;
    if (!stateful) {
      this.bringBack(record);
      return;
    }
    if (together.some((r) => r.timed > 0 && median16(r.samples) >= r.hotMs / 2)) return;
    module.returning = together;
    this.returnWhenDrained(module);
    if (module.returning) this.pumpAfterAnswers(module);
  }

  /**
   * Package configurations a worker could not make again (its copy threw: a `configure()` that wants the main
   * thread): from now on they count as configurations no event loop can make again, so the code calling into those
   * packages stays on the main loop, and code that moved already comes back (a stateful fluxion with its file's,
   * once their worker has answered them). Until the pool tells that worker this ran, it refuses every message.
   */
  replaysFailed(failures: Array<[number, string]>): void {
    let changed = false;
    for (const [id, why] of failures) {
      const configuration = this.replayed.get(id);
      if (!configuration?.again) continue;
      configuration.again = false;
      configuration.failed = why;
      changed = true;
      warnOnce(`replay:${id}`, `${this.relative(configuration.file)}: \`${configuration.text}\` could not be done again on a worker (${why}): the code calling into that package stays on the main loop`);
    }
    if (!changed) return;
    for (const module of this.modules) module.recheck();
    for (const record of this.fluxions) {
      const module = record.module;
      if (record.placement === 'main' || record.fn < 0 || module.returning || module.movable(record.fn)) continue;
      if ((module.description.fns[record.fn].unit?.state.length ?? 0) === 0) {
        record.placement = 'main';
        debug('placement', `${record.id}: back on the main loop for good (a package it calls into could not be configured on a worker)`);
        continue;
      }
      module.returning = this.together(record);
      this.returnWhenDrained(module);
      if (module.returning) this.pumpAfterAnswers(module);
    }
  }

  /** The stateful fluxions of the file of a stateful one that are where it is (they share the file's state there). */
  private together(record: FluxionRecord): FluxionRecord[] {
    const module = record.module;
    return module.statics.filter((r) => r.placement === record.placement && r.fn >= 0 && (module.description.fns[r.fn].unit?.state.length ?? 0) > 0);
  }

  /** The stateful fluxions of a file that are coming back go once its worker holds none of its messages. */
  returnWhenDrained(module: ModuleRuntime): void {
    if (!module.returning || this.inFlightFor(module.file) > 0 || this.stateOnWorker(module.file)) return;
    for (const r of module.returning) this.bringBack(r);
    module.returning = null;
    module.stateStale = true;
  }

  private bringBack(record: FluxionRecord): void {
    record.placement = 'main';
    record.hotMs *= 2;
    debug('placement', `${record.id}: back on the main loop (${median16(record.samples).toFixed(3)} ms per message on a worker); threshold now ${record.hotMs} ms`);
  }

  private place(record: FluxionRecord): void {
    for (const member of this.group(record)) if (member !== record && member.placement === 'main') this.placeOne(member);
    if (record.placement === 'main') this.placeOne(record);
  }

  private placeOne(record: FluxionRecord): void {
    const unit = record.module.description.fns[record.fn].unit!;
    // stateless: on every worker; stateful: on one, the same for every stateful fluxion of the file
    record.placement = unit.state.length ? `worker:${this.positionOf(record.file) + 1}` : 'replicated';
    debug('placement', `${record.id} (${path.relative(process.cwd(), record.file)}:${record.line}) runs on ${record.placement === 'replicated' ? 'the workers' : record.placement} now${record.timed ? ` (${(record.cpuMs / record.timed).toFixed(2)} ms per message)` : ''}`);
  }

  /**
   * The worker of each file whose stateful fluxions moved: the one with the fewest such files when the file's
   * first one moves (a hash of its path put two hot files on one worker half the time, beside an idle one),
   * and the same one for good, across that worker's restarts.
   */
  private readonly statefulFiles = new Map<string, number>();
  private positionOf(file: string): number {
    let position = this.statefulFiles.get(file);
    if (position === undefined) {
      const files = new Array<number>(this.pool().size).fill(0);
      for (const p of this.statefulFiles.values()) files[p]!++;
      position = files.indexOf(Math.min(...files));
      this.statefulFiles.set(file, position);
    }
    return position;
  }

  private readonly byFile = new Map<string, ModuleRuntime>();

  /**
   * Why code of `file` that requires these specifiers cannot run on another event loop, or null (specifiers.ts
   * stateReason, the rule `fluxion explain` applies too, here on the modules loaded); `startup` gets the writes
   * other files made at start-up to the exports of the app files it calls into, which a worker's copies need.
   */
  statefulRequire(file: string, specifiers: Required[], startup: StartupWrite[] = [], reads: string[] = []): string | null {
    return stateReason({ ...this.facts, statefulPackages: this.statefulPackages, connected: this.connected, configured: this.configured }, file, specifiers, startup, reads);
  }

  /** The module of an app file fluxion rewrote, once loaded. */
  moduleOf(file: string): ModuleRuntime | undefined {
    return this.byFile.get(file);
  }

  private readonly facts: Omit<StateFacts, 'statefulPackages'> = {
    resolve: (from, specifier) => {
      try {
        return createRequire(from).resolve(specifier);
      } catch {
        return null; // not resolvable from here: not a file this code calls into
      }
    },
    describe: (file) => {
      const module = this.byFile.get(file);
      return module ? { state: module.description.state, requires: [...module.description.requires, ...(module.description.packages ?? [])], reach: module.description.reach, reads: module.description.reads?.exports, atLoad: module.description.atLoad, esm: module.description.esm === true } : null;
    },
    // a file fluxion left as it is (no functions: `module.exports = mongoose.model('User', schema)`): the packages
    // its text requires, read once
    packagesOf: (file) => (this.statefulPackages.length || this.connected.size || this.configured.size ? this.packagesOf(file) : []),
    writesOf: (file) => (this.writtenBy.get(file) ?? []).filter((w) => writesData(file, w)),
  };

  private readonly textRequires = new Map<string, string[]>();
  /**
   * The specifiers a file's text requires or imports, packages and app files (for a file the compiler did not
   * describe: one left as it is, or not loaded yet, `require('./tagged')` inside a handler).
   */
  private packagesOf(file: string): string[] {
    let found = this.textRequires.get(file);
    if (!found) {
      found = [];
      try {
        const text = readFileSync(file, 'utf8');
        for (const m of text.matchAll(/\brequire\s*\(\s*['"]([^'"]+)['"]\s*\)|\bfrom\s*['"]([^'"]+)['"]|\bimport\s*['"]([^'"]+)['"]/g)) found.push(m[1] ?? m[2] ?? m[3]!);
      } catch {
        // unreadable: nothing known
      }
      this.textRequires.set(file, found);
    }
    return found;
  }

  /** App files whose exports other files write (description.writes): [that file, the write, path, method, at start-up]. */
  private readonly writtenBy = new Map<string, ForeignWrite[]>();

  load(file: string, description: ModuleDescription, declarations: () => unknown[], setState?: StateSetter, classes?: () => Record<string, unknown>): ModuleRuntime {
    for (const name of description.globalWrites ?? []) if (!this.laterGlobals.has(name)) this.laterGlobals.set(name, this.relative(file));
    for (const [name, call] of description.connects ?? []) if (!this.connected.has(name)) this.connected.set(name, `${this.relative(file)} connects or initialises (\`${call}\`)`);
    // (another file's: loaded by a worker, once, when it does nothing else at load, specifiers.ts configuresByLoading)
    const entry = file === this.entry();
    const byLoading = !entry && configuresByLoading(description);
    for (const [name, text, script] of description.configures ?? []) {
      if (!this.configured.has(name)) this.configured.set(name, []);
      // (the entry file's statements: a worker never loads it, so it does them once)
      const again = (script !== null && entry) || byLoading;
      const configuration: Configuration = { file, text, again };
      this.configured.get(name)!.push(configuration);
      if (!again) continue;
      this.replayed.set(this.replays.length, configuration);
      this.replays.push({ id: this.replays.length, file, script: byLoading ? 'require(__filename);' : script! });
    }
    if (description.writes) {
      const resolve = createRequire(file).resolve;
      for (const [specifier, write, at, method, atLoad] of description.writes) {
        try {
          const target = resolve(specifier);
          let list = this.writtenBy.get(target);
          if (!list) this.writtenBy.set(target, (list = []));
          list.push([this.relative(file), write, at, method, atLoad === true]);
        } catch {
          // not resolvable: nothing this code calls into
        }
      }
    }
    const module = new ModuleRuntime(this, file, description);
    module.setState = setState ?? null;
    module.classesOf = classes ?? null;
    this.modules.push(module);
    this.byFile.set(file, module);
    const list = declarations();
    for (let i = 0; i + 1 < list.length; i += 2) module.fn(list[i] as number, list[i + 1]);
    return module;
  }

  add(fields: Omit<FluxionRecord, 'placement' | 'messages' | 'workerMessages' | 'deopts' | 'timed' | 'cpuMs' | 'extraMs' | 'lastSampleMs' | 'sampleAt' | 'sampleAfter' | 'sampleEvery' | 'stateMs' | 'weighed' | 'samples' | 'hotMs'>): FluxionRecord {
    let id = fields.id;
    if (this.ids.has(id)) id = `${fields.id}@${this.relative(fields.file)}`;
    for (let n = 2; this.ids.has(id); n++) id = `${fields.id}@${this.relative(fields.file)}#${n}`;
    this.ids.add(id);
    const record: FluxionRecord = { ...fields, id, placement: 'main', messages: 0, workerMessages: 0, deopts: 0, timed: 0, cpuMs: 0, extraMs: 0, lastSampleMs: -1, sampleAt: 0, sampleAfter: FIRST_SAMPLE, sampleEvery: RESAMPLE_MS, stateMs: 0, weighed: [0, 0], samples: new Float64Array(16), hotMs: this.hotMs };
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
      if (debugging('probe')) debug('probe', `${path.relative(process.cwd(), module.file)}:${site.line} ${site.callee}: ${value.name || 'a function'} is not rewritten code (observed, stays where it is)`);
      return;
    }
    const wrapper = where.module.description.fns[where.ix];
    if (site.kind === 'start' && wrapper.passes && where.env && where.module.records[where.ix] === null) {
      // a wrapper (`asyncHandler(fn)`'s closure) handing the request to the async function it wraps: that one is
      // the fluxion, offloaded when the wrapper calls it; the wrapper runs where it is called
      let inner: unknown;
      try {
        inner = captured(where.env)[wrapper.passes];
      } catch {
        inner = undefined; // (a binding not initialised yet)
      }
      // (an async one only: its promise, settled by the worker's answer, is what the wrapper gets; a synchronous
      // one moved would return nothing to a wrapper that uses what it returns)
      const wrapped = typeof inner === 'function' ? this.functions.get(inner) : undefined;
      if (wrapped && inner !== value && wrapped.module.description.fns[wrapped.ix]!.async) {
        if (debugging('probe')) debug('probe', `${path.relative(process.cwd(), module.file)}:${site.line} ${site.callee}: ${wrapper.name || `anonymous@${wrapper.line}`} (${path.relative(process.cwd(), where.module.file)}:${wrapper.line}) hands its arguments to the function it wraps`);
        this.observe(module, site, inner);
        return;
      }
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
      this.placeNew(to);
      if (debugging('probe')) debug('probe', `${path.relative(process.cwd(), module.file)}:${site.line} ${site.callee}: ${to.id} (${path.relative(process.cwd(), to.file)}:${to.line}) is a ${site.kind} fluxion`);
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

/**
 * The wrapper of a handler a package made (ModuleRuntime.madeHandler), timed as an async function's message: the
 * handler's own run and, when sampled, what its promises' reactions (the package's work after its awaits) take;
 * once placed on workers, its promise settles with the worker's answer. `needsBody`: a request whose body no parser
 * read (the handler would read it from the socket, `req.on('data')`) has it read here first, then goes with the text,
 * which the worker's request gives as its stream (body.ts), as the socket would have; where it cannot go after all,
 * or there is nothing to send, the handler runs here on a request that gives the text read (readBack).
 */
function madeWrapper(module: ModuleRuntime, ix: number, record: FluxionRecord, handler: (...args: unknown[]) => unknown, env: (() => Record<string, unknown>) | undefined, needsBody: boolean): (...args: unknown[]) => unknown {
  const run = (clock: number | AsyncClock, self: unknown, args: unknown[]): unknown => {
    let result: unknown;
    try {
      result = handler.apply(self, args);
    } catch (error) {
      module.exitAsync(ix, clock);
      throw error;
    }
    if (!(clock instanceof AsyncClock) || typeof (result as PromiseLike<unknown> | null)?.then !== 'function') {
      module.exitAsync(ix, clock);
      return result;
    }
    clock.pause();
    // (what the caller gets settles as the handler's promise did, after the clock stops: a rejection no one handles
    // is reported as it would be, one express 5 handles is handled)
    return (result as PromiseLike<unknown>).then(
      (value) => {
        module.exitAsync(ix, clock);
        return value;
      },
      (error: unknown) => {
        module.exitAsync(ix, clock);
        throw error;
      },
    );
  };
  const made = function (this: unknown, ...args: unknown[]): unknown {
    const clock = module.enterAsync(ix);
    if (clock !== -2) return run(clock, this, args);
    const req = args[0] as (Readable & { method?: string; body?: unknown; headers?: Record<string, string | undefined> }) | undefined;
    if (!needsBody || req?.body || req?.method === 'GET' || req?.method === 'HEAD') {
      const sent = module.offloadAsync(ix, this, args, env);
      return sent instanceof Promise ? sent : run(sent, this, args);
    }
    // (a body the socket still has, none of it read: a parser before the handler would have set req.body)
    const unread = !!req && typeof req.on === 'function' && !req.readableDidRead && !req.readableEnded && (Number(req.headers?.['content-length']) > 0 || req.headers?.['transfer-encoding'] !== undefined);
    if (!unread) return run(module.clockHere(record), this, args);
    return new Promise<unknown>((resolve, reject) => {
      const chunks: Buffer[] = [];
      // (in the request's async context, as express called the handler: its AsyncLocalStorage stores go with it)
      const go = offloadModules().AsyncResource.bind(() => {
        const text = Buffer.concat(chunks).toString('utf8');
        try {
          if (text !== '') {
            // (the text goes with the request, whose stream gives it there: `readBodies`)
            const { readBodies } = offloadModules();
            readBodies.set(req, text);
            let sent: Promise<unknown> | AsyncClock;
            // (where its worker fails, the message runs here again: on the request that gives the text again)
            const again = () => [readBack(req, text), ...args.slice(1)];
            try {
              sent = module.offloadAsync(ix, this, args, env, undefined, again);
            } finally {
              readBodies.delete(req);
            }
            if (sent instanceof Promise) return resolve(sent);
            return resolve(run(sent, this, again()));
          }
          resolve(run(module.clockHere(record), this, [readBack(req, text), ...args.slice(1)]));
        } catch (error) {
          reject(error);
        }
      });
      req.on('data', (chunk: Buffer | string) => chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk));
      req.on('end', go);
      // (a client that went away: the handler would have waited for an end that never comes, as it does here)
      req.on('error', () => {});
    });
  };
  Object.defineProperty(made, 'length', { value: handler.length });
  Object.defineProperty(made, 'name', { value: handler.name });
  for (const key of Reflect.ownKeys(handler)) {
    if (key === 'length' || key === 'name' || key === 'prototype') continue;
    Object.defineProperty(made, key, Object.getOwnPropertyDescriptor(handler, key)!);
  }
  return made;
}

/**
 * The request as a handler that reads its body sees it once the body was read here (madeWrapper): the request
 * itself for all else, and a stream of the text read for its body (`setEncoding`, `on('data')`, `on('end')`).
 */
function readBack(req: Readable, text: string): Readable {
  const view = Object.create(req) as Readable;
  offloadModules().streamsText(view, text);
  return view;
}

function median16(samples: Float64Array): number {
  const sorted = Float64Array.from(samples).sort();
  return (sorted[7] + sorted[8]) / 2;
}

