import { inWorkerThread } from '../threads';

/**
 * Milliseconds on a monotonic clock, as `performance.now()` but without it: the global `performance` loads
 * perf_hooks and seven internal modules on its first use (~7 M instructions on a bare Node 24 start, ~4 M on
 * Node 20; less in an Express app, whose `http` loads part of them), and `process.hrtime()` is there from the
 * start (and ~25% cheaper per call).
 */
export function now(): number {
  const t = process.hrtime();
  return t[0] * 1e3 + t[1] / 1e6;
}

/*
 * A message's own time leaves out the messages of other fluxions that ran inside it: a middleware calling `next()`
 * runs the route (and what follows) before it returns, and its section of the clock holds the route's. That work
 * is the route's (measured there), and does not move with the middleware: on a worker, its `next` is a call the
 * main loop makes. Measured sections (a synchronous message's run, an async message's segment) nest: each closes
 * with its length less the sections that closed inside it (`nestedMs`), and adds its length to its parent's.
 */
let nestedMs = 0;
const sectionStarts: number[] = [];
const sectionNested: number[] = [];

/** A measured section begins at `start` (a message's `enter`, an async segment). */
export function openSection(start: number): void {
  // (a section never closed — a suspension no splice saw — leaves an entry: a deep stack is one such leak too many)
  if (sectionStarts.length > 4096) {
    sectionStarts.length = 0;
    sectionNested.length = 0;
  }
  sectionStarts.push(start);
  sectionNested.push(nestedMs);
  nestedMs = 0;
}

/** The section begun at `start` ends at `end`: its own time (less the sections nested in it). */
export function closeSection(start: number, end: number): number {
  const n = sectionStarts.length;
  if (n === 0 || sectionStarts[n - 1] !== start) return end - start;
  sectionStarts.length = n - 1;
  const inner = nestedMs;
  const outer = sectionNested.pop()!;
  // (its length counts in the section around it; at the top, there is none to count it)
  nestedMs = n > 1 ? outer + (end - start) : 0;
  return Math.max(0, end - start - inner);
}

/*
 * Sampling what a message starts in packages' own callbacks. bcryptjs's `await bcrypt.hash(pw, 10)` (25 ms of
 * JavaScript in `setImmediate` chunks, none of it in the handler's segments between awaits), or its callback form
 * in a synchronous handler (`bcrypt.hash(pw, 10, (err, hash) => …)`), is work no fluxion's own time counts: the
 * JIT would never see such a handler as hot. Now and then a message is *sampled* (a fluxion's first message on a
 * thread; then one a second and one in 1024 at most — less often while they find nothing —, one at a time, and
 * the hooks on for no more than a tenth of the thread's time), and while it and what it started run:
 *  - every async resource made while the message's own code runs (its synchronous run, an async function's
 *    segments between awaits: `own`), or in a callback of a resource it owns (the resource's trigger), is the
 *    message's: its timers, immediates, ticks, promises, requests, and what their callbacks make in turn
 *    (an `async_hooks` init hook);
 *  - the time its immediates' and timers' callbacks (`timed`) and promise reactions (V8's promise hooks) run
 *    outside its own code, the package's chunks, is its `extraMs`. Not async_hooks' before/after: with those on,
 *    Node calls every native callback (a file read's, a socket's) through `callbackTrampoline`, a frame that
 *    would show in the stack of any error thrown there meanwhile; nor a wrapper around the callback (its frame
 *    would too). A tick's or a native callback's own time is not counted (what it makes is owned);
 *  - another fluxion's message entered meanwhile (`next()` into a route, a callback that is a fluxion of its own)
 *    is that one's (`blocked`): what it makes is not the message's; nor is what the response's methods make (a
 *    session saved before the answer leaves, compression: `throughResponse`), nor the socket's writes (NOT_WORK);
 *  - the sample ends once the message has ended (returned, or settled) and every one-shot request it owns (a
 *    timer, an immediate, a tick, a file system or crypto request: ONE_SHOT) is done, or a second after it
 *    began: what it saw so far counts.
 * Other requests' work runs in their own resources and is never charged: a loaded server's samples say as much as
 * an idle one's (the clean-window measure before this could only read an async handler whose messages came one at
 * a time, and never a callback-style one). First samples may be in flight at once (each resource has one owner).
 * The sampler's own work (its hooks', Node's async_hooks bookkeeping for each resource) is left out (`exclude`).
 * The registry keeps the lesser of the last two figures per fluxion (`charged`) and adds it to each of its
 * messages' time, on either loop (a worker samples its async messages: DoneMessage `extraMs`).
 */

/** The longest a sample lasts (ms). */
const CAP_MS = 1000;
/** Resamples start only while the hooks were on for no more than this share of the thread's time. */
const DUTY = 0.1;
/**
 * A fluxion is sampled again this long after its last sample began (ms), and this many messages after: a sample
 * costs ~0.7 ms on a hello-world route and, counted by callgrind, some 20 M instructions of the main thread's (the
 * hooks turned on and off, V8's promise hooks with them, the code that ran meanwhile), ~20 k a message at most at
 * this count. A fluxion whose samples find nothing is sampled half as often each time, down to once a minute
 * (`resampleAfter`): most never start such work.
 */
export const RESAMPLE_MS = 1000;
export const RESAMPLE_MESSAGES = 1024;
const RESAMPLE_MAX_MS = 64_000;

/**
 * A handler a package made (registry.ts madeHandler, worker.ts madeUnits): its first sample, on either loop, is of
 * this message, once V8 has compiled the package's code (one of its first messages read 8 ms for a 0.3 ms query).
 */
export const MADE_FIRST_SAMPLE = 64;

/** A sample reading less than this (ms) found nothing. */
const FOUND_MS = 0.05;

/** The next wait before a fluxion's resample, from the last one and what its sample found (ms). */
export function resampleAfter(lastWait: number, extraMs: number): number {
  return extraMs < FOUND_MS ? Math.min(lastWait * 2, RESAMPLE_MAX_MS) : RESAMPLE_MS;
}

/**
 * What a fluxion's messages are charged for the work they start in packages' callbacks: the lesser of its last two
 * samples (`previous` < 0: none before `latest`, nothing charged yet). One sample can read what is not the
 * message's: V8 compiling the package's code (graphql-http's handler read 0.9–1.3 ms at its 64th message and
 * 0.35 ms from then on), a GC pause, a busy machine. A sample that found more work than is charged (a first one)
 * is confirmed soon (`confirmAfter`), so that a fluxion doing real work there (bcryptjs: 25 ms) is charged it within
 * a few dozen messages, before the JIT's first look at message 32; less work is charged at once; one that does such
 * work only now and then is charged the lesser figure, and stays where it is: moving a cheap fluxion costs more than
 * leaving a hot one home.
 */
export function charged(previous: number, latest: number): number {
  return previous < 0 ? 0 : Math.min(previous, latest);
}

/**
 * After a sample that read `extraMs` where its fluxion is now charged `chargedMs` (`charged`): the messages until the
 * next sample, which then comes without waiting for the resample's second, when this one found work well above what
 * is charged (its first that found work, or a jump: the lesser of the two would hide it until the next resample, a
 * second away, or a minute after samples that found nothing); null: the next comes as usual. `firstAt`: the message a
 * first sample was of (a made handler's 64th: the next as many messages later, V8 still compiling), else -1.
 */
export function confirmAfter(extraMs: number, chargedMs: number, firstAt = -1): number | null {
  return extraMs < FOUND_MS || extraMs <= chargedMs * 1.5 ? null : Math.max(16, firstAt);
}
/** Samples in flight at once, at most. */
const MAX_SAMPLES = 8;

/** What runs now, as the sampler sees it (saved and restored around code that changes it). */
interface Frame {
  owner: Sample | null;
  charging: boolean;
  blocked: boolean;
  /** (a frame from before the hooks went off and on again is stale) */
  epoch: number;
}

/** One sampled message: what it started and ran in callbacks outside its own code, `extraMs`, once done. */
export class Sample {
  extraMs = 0;
  ended = false;
  finished = false;
  /** Its one-shot requests not yet done. */
  pending = 0;
  /** What ran when its own code began (restored when its own code stops: an await, its return). */
  private saved: Frame | null = null;
  readonly cap: ReturnType<typeof setTimeout>;

  constructor(
    /** The `now()` its message entered at (a synchronous message's `exit` gets it back). */
    readonly start: number,
    private readonly report: (extraMs: number) => void,
  ) {
    this.cap = setTimeout(() => this.finish(), CAP_MS);
    this.cap.unref();
  }

  /** Its own code runs (its message entered, an async function resumed). */
  own(): void {
    if (this.finished) return;
    this.saved = here();
    blocked = false;
    to(this, false);
  }

  /** Its own code stopped (an await, its return). */
  leave(): void {
    if (this.finished || owner !== this || charging || this.saved === null) return;
    back(this.saved);
    this.saved = null;
  }

  /** Its message ended (returned, or its promise settled): the sample ends once what it started is done. */
  end(): void {
    this.leave();
    this.ended = true;
    if (this.pending === 0) this.finish();
  }

  /** One of its one-shot requests is done. */
  done(): void {
    if (--this.pending === 0 && this.ended) this.finish();
  }

  finish(): void {
    if (this.finished) return;
    if (owner === this) to(null, false);
    this.finished = true;
    clearTimeout(this.cap);
    if (--live === 0) off();
    this.report(this.extraMs);
  }
}

/**
 * The resources a sample waits for: requests that run once and are done then. Not handles that live on (a socket,
 * a server, an interval: a keep-alive connection the message opened would hold the sample to its cap), nor promises
 * (destroyed when collected, if ever), nor packages' own AsyncResources (destroyed when they say so).
 */
const ONE_SHOT = new Set(['Immediate', 'TickObject', 'Timeout', 'Microtask', 'FSREQCALLBACK', 'FSREQPROMISE', 'CONNECTWRAP', 'GETADDRINFOREQWRAP', 'GETNAMEINFOREQWRAP', 'QUERYWRAP', 'PBKDF2REQUEST', 'RANDOMBYTESREQUEST', 'RANDOMPRIMEREQUEST', 'SCRYPTREQUEST', 'KEYGENREQUEST', 'HKDFREQUEST', 'SIGNREQUEST', 'VERIFYREQUEST', 'CIPHERREQUEST', 'DERIVEBITSREQUEST', 'HASHREQUEST', 'CHECKPRIMEREQUEST']);

/**
 * Resources no sample owns: a socket's writes and shutdown (what their completion runs is the connection's: the
 * response's, which the main loop does in either placement), zlib's streams (compression's, the response's too);
 * nor timers made unref'd (`init`).
 */
const NOT_WORK = new Set(['WRITEWRAP', 'SHUTDOWNWRAP', 'ZLIB']);

/** The sample whose code or callback runs now (null: code no sample owns), and whether it is a callback of its. */
let owner: Sample | null = null;
let charging = false;
/** Another fluxion's message runs: what it makes is its own, whatever resource's callback it runs in. */
let blocked = false;
/** When `charging` last became true. */
let since = 0;
/** Samples in flight; the hooks' turn (`Frame.epoch`). */
let live = 0;
let epoch = 0;
/** Each resource a sample owns (asyncId → its sample), its promises, and the one-shot requests it waits for. */
const owned = new Map<number, Sample>();
let ownedPromises = new WeakMap<object, Sample>();
const waited = new Set<number>();
/** Synchronous messages sampled now, by their `start`. */
const syncSamples = new Map<number, Sample>();
/** Other fluxions' synchronous messages entered while samples are in flight: their `start`, and what to restore. */
const otherStarts: number[] = [];
const otherFrames: Frame[] = [];
/** What promise reactions replaced, innermost last. */
const reactions: (Frame | undefined)[] = [];
let hook: import('node:async_hooks').AsyncHook | null = null;
let stopPromiseHooks: (() => void) | null = null;
/** The hooks went on (live 0 → 1); no resample begins before `nextAt` (the duty cycle). */
let onAt = 0;
let nextAt = 0;

function to(nextOwner: Sample | null, nextCharging: boolean): void {
  if (charging || nextCharging) {
    const t = now();
    if (charging) owner!.extraMs += t - since;
    since = t;
  }
  owner = nextOwner;
  charging = nextCharging;
}

function here(): Frame {
  return { owner, charging, blocked, epoch };
}

function back(frame: Frame | undefined): void {
  if (frame === undefined || frame.epoch !== epoch) {
    blocked = false;
    return to(null, false);
  }
  blocked = frame.blocked;
  if (frame.owner === null || frame.owner.finished) to(null, false);
  else to(frame.owner, frame.charging);
}

/** The owned immediate's or timer's callback running now: its stop. */
let timing: (() => void) | null = null;

/**
 * The time an owned immediate's or timer's callback runs, without a frame of fluxion's around it (a wrapper's
 * would show in the stack of an error thrown there): Node's timers read `immediate._argv` (`timer._timerArgs`)
 * right before they call it, and `immediate._idleNext` (`timer._repeat`) first thing after it, in Node 20 to 24;
 * those fields become accessors of the resource that start and stop its sample's charge there (and data fields
 * again after). Ticks are not timed (Node reads nothing of theirs after the call); what they make is owned.
 */
function timed(sample: Sample, resource: Record<string, unknown>, before: string, after: string): void {
  let beforeValue = resource[before];
  let afterValue = resource[after];
  let frame: Frame | null = null;
  let ran = false;
  const stop = (): void => {
    if (timing === stop) timing = null;
    if (frame !== null) back(frame);
    frame = null;
    Object.defineProperty(resource, before, { value: beforeValue, writable: true, enumerable: true, configurable: true });
    Object.defineProperty(resource, after, { value: afterValue, writable: true, enumerable: true, configurable: true });
  };
  const immediate = before === '_argv';
  Object.defineProperty(resource, before, {
    get() {
      // (read as it is about to run: an immediate taken from its queue, its callback still there; a timer out of its
      // list and not cleared)
      if (!ran && (immediate ? resource._destroyed === true && typeof resource._onImmediate === 'function' : resource._idlePrev === null && resource._destroyed !== true)) {
        ran = true;
        // (one runs at a time: another one's stop not seen is its end)
        timing?.();
        if (!sample.finished && live > 0) {
          frame = here();
          blocked = false;
          to(sample, true);
        }
        timing = stop;
      }
      return beforeValue;
    },
    set(value) {
      beforeValue = value;
    },
    enumerable: true,
    configurable: true,
  });
  Object.defineProperty(resource, after, {
    get() {
      if (ran && timing === stop) stop();
      return afterValue;
    },
    set(value) {
      afterValue = value;
    },
    enumerable: true,
    configurable: true,
  });
}

function on(t: number): void {
  onAt = t;
  epoch++;
  hook ??= hooks();
  hook.enable();
  const { promiseHooks } = require('node:v8') as typeof import('node:v8');
  stopPromiseHooks = promiseHooks.createHook({
    init(promise) {
      if (promise === excludedFor) exclude();
    },
    before(promise) {
      reactions.push(here());
      const s = ownedPromises.get(promise);
      blocked = false;
      if (s !== undefined && !s.finished) to(s, true);
      else to(null, false);
    },
    after() {
      back(reactions.pop());
    },
  }) as () => void;
}

function off(): void {
  hook!.disable();
  stopPromiseHooks!();
  stopPromiseHooks = null;
  to(null, false);
  blocked = false;
  owned.clear();
  ownedPromises = new WeakMap();
  waited.clear();
  syncSamples.clear();
  otherStarts.length = 0;
  otherFrames.length = 0;
  reactions.length = 0;
  timing = null;
  const t = now();
  nextAt = t + (t - onAt) * (1 / DUTY - 1);
}

function hooks(): import('node:async_hooks').AsyncHook {
  const { createHook } = require('node:async_hooks') as typeof import('node:async_hooks');
  return createHook({
    init(id, type, trigger, resource) {
      // (the hooks' own time is not the message's: see `excluded`)
      if (charging) {
        excludedFrom = now();
        excludedFor = type === 'PROMISE' ? resource : null;
      }
      if (!NOT_WORK.has(type)) own(id, type, trigger, resource as Record<string, unknown>);
      if (charging && excludedFor === null) exclude();
    },
    destroy(id) {
      const s = owned.get(id);
      if (s === undefined) return;
      owned.delete(id);
      if (waited.delete(id)) s.done();
    },
  });
}

/**
 * The sampler's own cost is not the message's: with the hooks on, each promise made costs Node's async_hooks
 * bookkeeping (an async id, and a weak handle to emit its `destroy`: ~1–2 µs, several times what making the promise
 * costs) and this file's `init` (its stack read, `throughResponse`: 8–14 µs). A sampled chain of 3000 awaits read
 * 95–99% of its wall time with the hooks on, ~200 times what it costs without them; graphql-http's `{ ping }` read
 * 0.6–1.7 ms for ~0.3 ms of work. While a callback is charged, the
 * time from `init`'s start to the end of Node's sequence for that resource is left out of its charge: for a promise,
 * until this file's V8 init hook runs (registered after Node's, it runs once Node's init and destroy tracking are
 * done); for other resources, to the end of `init`.
 */
let excludedFrom = 0;
let excludedFor: object | null = null;

function exclude(): void {
  // (one marked before this charge began is stale: Node's hook ran after this file's, an order an app's own hook can make)
  if (excludedFrom > 0 && excludedFrom >= since) since += now() - excludedFrom;
  excludedFrom = 0;
  excludedFor = null;
}

/** A resource made now (async_hooks' `init`): its sample's, if code or a callback of a sample makes it. */
function own(id: number, type: string, trigger: number, r: Record<string, unknown>): void {
  const s = owner ?? (blocked ? undefined : owned.get(trigger));
  if (s === undefined || s.finished) return;
  // (a timer made unref'd is Node's housekeeping — a socket's idle timeout, the Date header's cache —, no work)
  if (type === 'Timeout' && typeof r.hasRef === 'function' && !(r.hasRef as () => boolean).call(r)) return;
  if (throughResponse()) return;
  owned.set(id, s);
  switch (type) {
    case 'PROMISE':
      ownedPromises.set(r, s);
      return;
    case 'Immediate':
      timed(s, r, '_argv', '_idleNext');
      break;
    case 'Timeout':
      if (r._repeat) return; // (an interval lives on: not waited for, and not timed)
      timed(s, r, '_timerArgs', '_repeat');
      break;
  }
  if (ONE_SHOT.has(type)) {
    waited.add(id);
    s.pending++;
  }
}

/** Whether this is the main thread (threads.ts: without loading node:worker_threads at the app's start). */
let mainThread: boolean | undefined;

/**
 * Whether the code making a resource now runs inside a method of the response (`res.json` → express-session's
 * `res.end`, which saves the session first and ends the response in its store's callback; compression's): that is
 * the response's work, which the main loop does in either placement (a worker's response calls are replayed
 * there), not the message's. Read from the stack's call sites (V8's API, for this one capture); on the main thread
 * only (a worker's response is a recorder).
 */
function throughResponse(): boolean {
  mainThread ??= !inWorkerThread();
  if (!mainThread) return false;
  for (const site of callSites(32, throughResponse)) if (site.getTypeName() === 'ServerResponse') return true;
  return false;
}

/**
 * The stack's call sites below `above` (V8's structured stack API, for this one capture), `limit` of them at most.
 * Error's settings are put back by assignment: a `delete` would leave Error's own properties in dictionary mode for
 * good, and every later read of `Error.stackTraceLimit` slower.
 */
export function callSites(limit: number, above: (...args: never[]) => unknown): NodeJS.CallSite[] {
  const prepare = Error.prepareStackTrace;
  const stackLimit = Error.stackTraceLimit;
  try {
    Error.prepareStackTrace = (_error, sites) => sites;
    Error.stackTraceLimit = limit;
    const holder: { stack?: unknown } = {};
    Error.captureStackTrace(holder, above);
    return Array.isArray(holder.stack) ? (holder.stack as NodeJS.CallSite[]) : [];
  } finally {
    Error.prepareStackTrace = prepare;
    Error.stackTraceLimit = stackLimit;
  }
}

/** Whether a message entering at `t` may be sampled: a first sample; a resample when the duty cycle allows it. */
export function maySample(t: number, first: boolean): boolean {
  // (resamples one at a time, the hooks off long enough since: samples that kept overlapping would keep them on)
  return first ? live < MAX_SAMPLES : live === 0 && t >= nextAt;
}

/** Samples the message entering now (at `t`): `report` gets its `extraMs` once the sample ends. */
export function startSample(t: number, report: (extraMs: number) => void): Sample {
  // (its cap's timer owned by none: another sample's code may be running)
  const frame = here();
  blocked = true;
  to(null, false);
  const s = new Sample(t, report);
  back(frame);
  if (live++ === 0) on(t);
  s.own();
  return s;
}

/** Samples the synchronous message entering now (at `t`); its `exit` calls exitMessage(t). */
export function startSyncSample(t: number, report: (extraMs: number) => void): void {
  syncSamples.set(t, startSample(t, report));
}

/** Whether a sample is in flight on this thread (the registry then notes other fluxions' messages). */
export function sampling(): boolean {
  return live > 0;
}

/** Another fluxion's synchronous message enters at `start` (samples in flight): its time and resources are its own. */
export function enterOther(start: number): void {
  otherStarts.push(start);
  otherFrames.push(here());
  blocked = true;
  to(null, false);
}

/** A synchronous message that entered at `start` exits: a sampled one's end, or another's. */
export function exitMessage(start: number): void {
  const s = syncSamples.get(start);
  if (s !== undefined) {
    syncSamples.delete(start);
    return s.end();
  }
  const n = otherStarts.length;
  if (n > 0 && otherStarts[n - 1] === start) {
    otherStarts.length = n - 1;
    back(otherFrames.pop());
  }
}

/**
 * The CPU time of an async function's message: the sum of its synchronous segments, between awaits (each less the
 * other fluxions' messages that ran inside it: sections).
 */
export class AsyncClock {
  cpu = 0;
  private start = now();
  private running = true;
  /** This message is sampled. */
  sample: Sample | null = null;
  /** Samples in flight when it entered: what ran then, restored at its first await (its own code is its own). */
  private restore: Frame | null = null;

  constructor() {
    openSection(this.start);
    if (live > 0) {
      this.restore = here();
      blocked = true;
      to(null, false);
    }
  }

  pause(): void {
    if (!this.running) return;
    this.cpu += closeSection(this.start, now());
    this.running = false;
    this.sample?.leave();
    if (this.restore !== null) {
      back(this.restore);
      this.restore = null;
    }
  }

  resume(): void {
    if (this.running) return;
    this.start = now();
    openSection(this.start);
    this.running = true;
    this.sample?.own();
  }

  /** At the message's end (its promise settles, its body's last line ran): the clock stops, a sample may end. */
  end(): void {
    this.pause();
    this.sample?.end();
  }
}
