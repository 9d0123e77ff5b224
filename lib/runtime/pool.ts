/**
 * The pool of isolated event loops (worker threads), and the messages in flight between them and the main
 * loop. Started lazily on the first message, sized by `threads` (default: the machine's parallelism), named,
 * `unref`'d so they never keep the process alive. A worker that dies is replaced; the messages it held are
 * re-run on the main loop (a plain callback, or any message of a stateless fluxion it had not started) or fail
 * through Express's error path (a request it had started, or a stateful fluxion's): none hangs.
 * Queues are bounded: past `maxInFlight` per worker, a message runs on the main loop.
 */
import * as os from 'node:os';
import * as path from 'node:path';
import { AsyncResource } from 'node:async_hooks';
import { SHARE_ENV, Worker } from 'node:worker_threads';
import { now } from './clock';
import { Scavenger } from './scavenge';
import { debug, debugging } from '../debug';
import { mergeRequest, replay, type Held } from './dispatcher';
import { applyContexts, noCopyOnWorkers, resumeInContexts, type CarriedContext } from './contexts';
import { decode, encode, refill } from './serialize';
import type { DoneMessage, ProcessMessage, ReadCopy, Replay, ReplaysChecked, RunMessage, StateAnswer, StateRequest } from './worker';

/** An async function's promise on the main loop, settled when its message is done on a worker. */
export interface Settle {
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

export interface Pending {
  message: RunMessage;
  held: Held;
  resource: AsyncResource;
  /** Runs the message on the main loop instead (the unit built here, with the real objects). */
  runHere: () => unknown;
  /** The async context's stores it carried (contexts.ts), and the main loop's objects to write their changes into. */
  contexts: { carried: CarriedContext[]; stores: unknown[] } | null;
  /** An async function's message: its promise here. */
  settle: Settle | null;
  /** Its own CPU time there, and (a sampled async message's, clock.ts) what it started in packages' callbacks. */
  onDone: (cpuMs: number, extraMs: number | undefined) => void;
  /** The file's state an `unavailable` answer of a stateful fluxion's brought (decoded), and the ms decoding took. */
  onState: (state: Record<string, unknown>, ms: number) => void;
  /**
   * A stateful fluxion's: the file's state as it is here, encoded (throws NotTransferable), which goes with the
   * message only when the worker has none (the unit goes along) or an old copy (`resetState`).
   */
  state?: (again: boolean) => Record<string, unknown>;
  /**
   * The app files whose state it reads (Registry `reading`), each at the version its message takes along: the state
   * goes with it when the worker's copy is another version (encoded by `copy`; throws NotTransferable), the
   * file's text and the setter appended to it when the worker has no copy of the file yet.
   */
  reads?: Array<{ file: string; version: number; hash: string; setter: string; copy: (version: number) => Record<string, unknown> }>;
  /** The ms a state it reads took to encode for a worker that had an older copy, and to decode there (what the JIT weighs). */
  onReadCopy?: (ms: number) => void;
  /** The counts of the file's nested functions that ran on the worker. */
  onNested: (nested: Array<[number, number, number, number]>) => void;
  /** The worker could not run it (`again`: it ran until a response call could not travel back): it runs here. */
  onUnavailable: (reason: string, again: boolean, transient: boolean) => void;
  /** Its place among the messages posted to its worker (unset: not posted yet): the worker has started it once its count passed it. */
  seq?: number;
}

/** Where a message's code unit comes from, for a worker that does not have it yet. */
export interface UnitSource {
  unitMessage(ix: number): Pick<RunMessage, 'unit' | 'hash' | 'fileState' | 'startup' | 'constants'>;
}

interface Slot {
  /** Its place in the pool: a stateful fluxion is pinned to it, across restarts. */
  position: number;
  worker: Worker;
  index: number;
  inFlight: Map<number, Pending>;
  /** Code units this worker has: later messages of the same fluxion go without theirs. */
  units: Set<string>;
  /** The version of each file's state that its readers' messages left here (Pending `reads`). */
  reads: Map<string, number>;
  /** `close()` waits for the messages in flight: called when there are none left. */
  drained?: () => void;
  /** Stops the worker after `idleMs` with nothing in flight. */
  idle?: NodeJS.Timeout;
  /** Called once the states asked for by `fetchStates` (retirement, `close()`) are all here. */
  fetched?: () => void;
  /** Stopped for being idle: its exit is not a crash. */
  retired?: boolean;
  /** Messages sent during this turn of the event loop: one postMessage for all of them, at its end. */
  outbox: Array<RunMessage | StateRequest | ReplaysChecked>;
  /** Files whose state this worker must take again from their next message (one that should have could not go). */
  resetState: Set<string>;
  /** How many of the pool's `replays` went to this worker. */
  replayed: number;
  /** Files whose state here is newer than the main loop's copy (a stateful message went since it last asked). */
  newer: Set<string>;
  /** The state requests in flight: id → file. */
  asked: Map<number, string>;
  /** Asks for the state of the `newer` files a while after a stateful message went (STATE_BACKUP_MS). */
  backup?: NodeJS.Timeout;
  /** Messages posted to it, and (shared with it) how many of them it has started: the difference is its queue. */
  posted: number;
  started: Int32Array;
}

const WORKER_FILE = path.join(__dirname, 'worker.js');

/**
 * How long the main loop's copy of a file's state may be older than its worker's while messages go there: what a
 * worker that dies loses at most (its messages in flight fail with a 500, as a crash without fluxion would).
 */
const STATE_BACKUP_MS = 1000;

/**
 * Runs a message on the main loop after all, in its async context. A throw there goes where express's Layer
 * would have sent it, had the function thrown when express called it: to `next`; without one, it is thrown, as
 * the function's own.
 */
export function runOnMainLoop(resource: AsyncResource, run: () => unknown, next: ((...args: unknown[]) => unknown) | null): unknown {
  try {
    return resource.runInAsyncScope(run);
  } catch (error) {
    if (!next) throw error;
    resource.runInAsyncScope(() => next(error));
    return undefined;
  }
}

/**
 * A message run on the main loop instead of on its worker, inside a loop handing out others (a dead worker's queue,
 * a batch of answers, the messages that waited): its promise settles with what `run` gives. What it throws goes
 * where the function's throw would have gone: an async function's promise rejects; a plain callback's error (no
 * `next` took it, runOnMainLoop) is the process's uncaught exception, in a tick of its own, and the loop goes on.
 */
export function settleRun(run: () => unknown, settle: Settle | null): void {
  let result: unknown;
  try {
    result = run();
  } catch (error) {
    if (settle) settle.reject(error);
    else {
      process.nextTick(() => {
        throw error;
      });
    }
    return;
  }
  // (not `settle?.resolve(run())`: without a promise to settle, that would not run it at all)
  settle?.resolve(result);
}

/** The request's `next`, called as the worker's code called it: with its arguments, inside its stores (contexts.ts). */
function resumeNext(held: Held, done: DoneMessage): void {
  if (!held.next) return;
  const next = held.next;
  const args = decode(done.next) as unknown[];
  if (done.nextContexts) resumeInContexts({ encode, decode, refill }, done.nextContexts, () => next(...args));
  else next(...args);
}

/**
 * One worker per core, or one per core but one when the main loop is a replica too (`auto` placement: it takes
 * messages itself when the workers have a backlog, see `mainMayTake`); one in a `node:cluster` worker process,
 * whose siblings already take a core each: cores × cores isolates would oversubscribe the machine and its memory.
 */
export function defaultThreads(mainIsReplica = false): number {
  if ((require('node:cluster') as { isWorker: boolean }).isWorker) return 1;
  return Math.max(1, os.availableParallelism() - (mainIsReplica ? 1 : 0));
}

/**
 * What the app's code did on a worker that is the process's (worker.ts forwardToMain), done here: the exception
 * thrown again (the app's 'uncaughtException' listeners, or Node's default: the stack, exit code 1), the rejection
 * made again (its 'unhandledRejection' listeners, or Node's default), `process.exit(code)`.
 */
function raiseHere(message: ProcessMessage): void {
  if (message.type === 'exit') process.exit(message.code ?? undefined);
  const value = decode(message.value);
  if (message.type === 'uncaught') {
    process.nextTick(() => {
      throw value; // the app's own uncaught exception, thrown on a fluxion worker thread and again here on the main thread: its stack follows
    });
  } else void Promise.reject(value);
}

export class Pool {
  private readonly slots: Array<Slot | undefined> = [];
  private nextId = 1;
  private started = 0;
  readonly size: number;

  constructor(
    threads: number | null,
    private readonly maxInFlight = 1024,
    /** A worker idle this long stops and gives its memory back (its state is on the main loop too); 0: never. */
    private readonly idleMs = 0,
    /** The main loop takes a share of the replicated fluxions' messages (`mainMayTake`). */
    private readonly mainIsReplica = false,
    /** A worker scavenges once its external memory grew by this many MB (worker.ts `shouldScavenge`); 0: never. */
    private readonly scavengeMb = 0,
  ) {
    this.size = threads ?? defaultThreads(mainIsReplica);
    this.mainScavenger = mainIsReplica && scavengeMb > 0 ? new Scavenger(scavengeMb * 1024 * 1024, this.gcLock, 'the main loop') : null;
  }

  /** Called after each batch of answers a worker sent, and after a worker was lost: messages may wait for them. */
  afterAnswers: (() => void) | null = null;

  /** The package configurations each worker runs once, before its first code unit (Registry.replays). */
  replays: Replay[] = [];

  /** The ids of the `replays` a worker could not make (they go to no other worker). */
  private readonly failedReplays = new Set<number>();

  /**
   * Configurations a worker could not make again, [Replay id, why]: the registry keeps the code calling into those
   * packages on the main loop (Registry.replaysFailed) before that worker runs messages again.
   */
  onReplaysFailed: ((failures: Array<[number, string]>) => void) | null = null;

  /** A file's state a worker answered (decoded), and the ms it took on both threads (Registry.stateCame). */
  onState: ((file: string, state: Record<string, unknown>, ms: number) => void) | null = null;

  /** Held by a worker while it turns V8's process-wide --expose-gc on and off (worker.ts `gcFunction`). */
  private readonly gcLock = new Int32Array(new SharedArrayBuffer(4));

  private tookThisTurn = false;
  private readonly endTurn = (): void => {
    this.tookThisTurn = false;
    // the buffers the message it ran dropped, freed as a worker frees its own (scavenge.ts: else V8 marks and
    // compacts the whole heap every ~100 ms for them once the old generation is past 8 MB)
    if (this.mainScavenger?.due(-Infinity)) this.mainScavenger.scavenge();
  };
  /** The main loop's scavenges, when it is a replica (it runs kernels as a worker does). */
  private readonly mainScavenger: Scavenger | null;

  /**
   * The main loop is one more replica of the stateless fluxions (paper: any event loop may run them): it runs a
   * message itself, as if the fluxion had never moved, when every worker has a queue, at most once per turn of
   * its event loop (it goes back to reading requests and replaying answers in between). A worker has a queue
   * when a message posted to it in an earlier turn has not started there yet (a counter the worker bumps as it
   * starts each one, in shared memory): not the messages in flight, which also count the answers waiting for
   * the main loop itself, so a main loop that is the bottleneck (parsing HTTP for many workers) takes none.
   * With N cores this is N − 1 workers and the main loop rather than N workers beside it: no thread fights
   * another for a core, and one isolate less.
   */
  mainMayTake(): boolean {
    if (!this.mainIsReplica || this.tookThisTurn) return false;
    for (let i = 0; i < this.size; i++) {
      const slot = this.slots[i];
      if (!slot || slot.posted - Atomics.load(slot.started, 0) < 1) return false;
    }
    this.tookThisTurn = true;
    setImmediate(this.endTurn);
    return true;
  }

  /**
   * Sends a message (its `id` is set here); false when every worker's queue is full (the caller runs it on the
   * main loop). The fluxion's code unit goes along when this worker does not have it yet.
   */
  send(pending: Pending & { slot: number; unit: UnitSource }): boolean {
    const slot = pending.slot >= 0 ? this.at(pending.slot % this.size) : this.pick();
    if (!slot) return false;
    const message = pending.message;
    const key = `${message.file}#${message.ix}`;
    if (pending.state && (!slot.units.has(key) || message.resetState || (message.returnState && slot.resetState.has(message.file)))) {
      // (before anything changes here: a state that cannot travel throws, and the message runs on the main loop)
      // (again: the worker had it, the main loop ran one of the file's messages since; not its first copy there)
      const state = pending.state(slot.units.has(key) || slot.resetState.has(message.file));
      message.env = message.env ? Object.assign(message.env, state) : state;
    }
    let reads: ReadCopy[] | undefined;
    if (pending.reads) {
      // (before anything changes here too)
      reads = [];
      for (const r of pending.reads) {
        const had = slot.reads.get(r.file);
        const copy: ReadCopy = { file: r.file, version: r.version };
        if (had === undefined) Object.assign(copy, { hash: r.hash, setter: r.setter });
        if (had !== r.version) {
          const started = now();
          copy.state = r.copy(r.version);
          if (had !== undefined) pending.onReadCopy?.(now() - started);
        }
        reads.push(copy);
      }
      message.reads = reads;
      for (const copy of reads) slot.reads.set(copy.file, copy.version);
    }
    const id = (message.id = this.nextId++);
    if (!slot.units.has(key)) {
      slot.units.add(key);
      Object.assign(message, pending.unit.unitMessage(message.ix));
      if (this.replays.length > slot.replayed) {
        const replays = this.replays.slice(slot.replayed).filter((r) => !this.failedReplays.has(r.id));
        if (replays.length) message.replays = replays;
        slot.replayed = this.replays.length;
      }
    }
    if (message.returnState && slot.resetState.delete(message.file)) message.resetState = true;
    if (message.returnState) {
      // the file's state lives on this worker now: the main loop asks for it when it needs it (requestState), and
      // a while later in any case, to bound what a crash of this worker would lose
      slot.newer.add(message.file);
      if (!slot.backup) {
        slot.backup = setTimeout(() => {
          slot.backup = undefined;
          for (const file of slot.newer) this.ask(slot, file);
        }, STATE_BACKUP_MS);
        slot.backup.unref();
      }
    }
    slot.inFlight.set(id, pending);
    if (slot.idle) {
      clearTimeout(slot.idle);
      slot.idle = undefined;
    }
    if (slot.inFlight.size === 1) slot.worker.ref();
    if (slot.outbox.push(message) === 1) setImmediate(() => this.flush(slot));
    return true;
  }

  /**
   * The main loop needs its copy of a file's state to be the latest (it is to run one of the file's messages, or
   * the file's fluxions come back): false when it is; true when a worker holds a newer one, which it is asked for
   * (once: a request already in flight is waited for) — the caller waits for it (`afterAnswers` follows).
   */
  requestState(file: string): boolean {
    for (const slot of this.slots) {
      if (!slot || !slot.newer.has(file)) continue;
      this.ask(slot, file);
      return true;
    }
    return false;
  }

  private ask(slot: Slot, file: string): void {
    for (const asked of slot.asked.values()) if (asked === file) return;
    const id = this.nextId++;
    slot.asked.set(id, file);
    slot.worker.ref(); // (the answer is awaited: a message or a worker's retirement waits for it)
    if (slot.outbox.push({ type: 'state', id, file }) === 1) setImmediate(() => this.flush(slot));
  }

  private stateAnswered(slot: Slot, answer: StateAnswer): void {
    const file = slot.asked.get(answer.id);
    if (file === undefined) return;
    slot.asked.delete(answer.id);
    if (slot.inFlight.size === 0 && slot.asked.size === 0) slot.worker.unref();
    // it came in order with the messages: with none of the file's left in flight here, it is the latest
    if (this.inFlightAt(slot, file) === 0) slot.newer.delete(file);
    if (answer.state === undefined) {
      debug('pool', `${file}: its state on worker ${slot.index} cannot travel; the main loop keeps its copy`);
      return;
    }
    const started = now();
    const state = decode(answer.state) as Record<string, unknown>;
    this.onState?.(file, state, answer.stateMs + now() - started);
  }

  /** Asks for every state a worker holds that is newer than the main loop's; calls `then` once all are here. */
  private fetchStates(slot: Slot, then: () => void): void {
    if (slot.newer.size === 0) return then();
    for (const file of slot.newer) this.ask(slot, file);
    slot.fetched = then;
  }

  private inFlightAt(slot: Slot, file: string): number {
    let n = 0;
    for (const pending of slot.inFlight.values()) if (pending.message.file === file) n++;
    return n;
  }

  /** Messages of this file sent to a worker and not answered yet. */
  inFlightFor(file: string): number {
    let n = 0;
    for (const slot of this.slots) {
      if (!slot) continue;
      for (const pending of slot.inFlight.values()) if (pending.message.file === file) n++;
    }
    return n;
  }

  /**
   * The messages of one turn of the event loop go in one postMessage: under load the main loop sends several
   * per turn, and each postMessage costs a wake-up of the worker. A message that cannot be cloned after all
   * runs here instead (the others still go).
   */
  private flush(slot: Slot): void {
    const messages = slot.outbox.splice(0);
    if (messages.length === 0) return;
    try {
      slot.worker.postMessage(messages.length === 1 ? messages[0] : { type: 'batch', messages });
      for (const message of messages) if (message.type === 'run') this.posted(slot, message);
      if (messages.length > 1 && debugging('pool')) debug('pool', `${messages.length} messages to worker ${slot.index} in one postMessage`);
      return;
    } catch {
      // one of them cannot travel: each on its own
    }
    for (const message of messages) {
      if (message.type !== 'run') {
        slot.worker.postMessage(message);
        continue;
      }
      try {
        slot.worker.postMessage(message);
        this.posted(slot, message);
      } catch (error) {
        const pending = this.release(slot, message.id);
        if (!pending) continue;
        if (message.unit) slot.units.delete(`${message.file}#${message.ix}`);
        if (message.replays) slot.replayed = 0; // (the worker runs each once: they all go again with the next unit)
        // it was to give the worker the main loop's state: the file's next message to this worker does
        if (message.resetState) slot.resetState.add(message.file);
        debug('pool', `a message to worker ${slot.index} could not be sent (${(error as Error).message}): it runs on the main loop`);
        this.rerun(pending);
      }
    }
  }

  /** A message went to the worker: its place in the worker's queue. */
  private posted(slot: Slot, message: RunMessage): void {
    const pending = slot.inFlight.get(message.id);
    if (pending) pending.seq = slot.posted;
    slot.posted++;
  }

  private at(position: number): Slot | null {
    const slot = (this.slots[position] ??= this.start(position));
    return slot.inFlight.size < this.maxInFlight ? slot : null;
  }

  private pick(): Slot | null {
    let best: Slot | null = null;
    for (let i = 0; i < this.size; i++) {
      const slot = (this.slots[i] ??= this.start(i));
      if (!best || slot.inFlight.size < best.inFlight.size) best = slot;
    }
    return best && best.inFlight.size < this.maxInFlight ? best : null;
  }

  private start(position: number): Slot {
    const index = ++this.started;
    const started = new Int32Array(new SharedArrayBuffer(4));
    // env: SHARE_ENV: one process.env for every thread, as without workers (a route that sets a variable, another that reads it)
    // (argv and the main module's file: the worker shows the app's, not its own: worker.ts mirrorMain)
    const main = require.main?.filename ?? null;
    const worker = new Worker(WORKER_FILE, { name: `fluxion-${index}`, env: SHARE_ENV, workerData: { fluxion: true, started, scavengeMb: this.scavengeMb, gcLock: this.gcLock, argv: process.argv, main } });
    const slot: Slot = { worker, index, position, inFlight: new Map(), units: new Set(), reads: new Map(), outbox: [], resetState: new Set(), newer: new Set(), asked: new Map(), replayed: 0, posted: 0, started };
    worker.on('message', (done: DoneMessage | { type: 'batch'; answers: DoneMessage[] } | StateAnswer | ProcessMessage) => {
      if (done.type === 'batch') for (const one of done.answers) this.done(slot, one);
      else if (done.type === 'done') this.done(slot, done);
      else if (done.type === 'state') {
        this.stateAnswered(slot, done);
        if (slot.asked.size === 0 && slot.fetched) {
          const then = slot.fetched;
          slot.fetched = undefined;
          then();
        }
      } else raiseHere(done);
      this.afterAnswers?.();
    });
    worker.on('error', (error) => debug('pool', `worker ${index} failed: ${error.message}`));
    worker.on('exit', (code) => this.lost(slot, code));
    // after the listeners: adding a 'message' listener refs the worker's port again
    worker.unref();
    debug('pool', `started worker ${index} (thread ${worker.threadId})`);
    return slot;
  }

  /** The message is no longer the worker's: when it was its last, the worker may idle (and `close()` go on). */
  private release(slot: Slot, id: number): Pending | undefined {
    const pending = slot.inFlight.get(id);
    if (!pending) return undefined;
    slot.inFlight.delete(id);
    if (slot.inFlight.size === 0) {
      slot.worker.unref();
      slot.drained?.();
      if (this.idleMs > 0 && !slot.drained) {
        slot.idle = setTimeout(() => this.retire(slot), this.idleMs);
        slot.idle.unref();
      }
    }
    return pending;
  }

  private done(slot: Slot, done: DoneMessage): void {
    const pending = this.release(slot, done.id);
    if (!pending) return;
    if (done.unavailable !== undefined) {
      // (its next message to this worker brings the unit again)
      if (done.unbuilt) slot.units.delete(`${pending.message.file}#${pending.message.ix}`);
      // (and the files whose state it read, in full: this worker may not hold what the message brought)
      for (const r of pending.message.reads ?? []) slot.reads.delete(r.file);
      // (stores of instances the workers lack: the messages holding them stay here from now on)
      if (done.noCopy) noCopyOnWorkers(done.noCopy);
      if (done.replayFailed) {
        for (const [id] of done.replayFailed) this.failedReplays.add(id);
        this.onReplaysFailed?.(done.replayFailed);
        // (after the registry's decisions: the messages posted from now on are for code that may run there)
        if (slot.outbox.push({ type: 'checked' }) === 1) setImmediate(() => this.flush(slot));
      }
      if (done.state) {
        // the worker's latest, as the message runs here now
        const started = now();
        const state = decode(done.state) as Record<string, unknown>;
        if (this.inFlightAt(slot, pending.message.file) === 0) slot.newer.delete(pending.message.file);
        pending.onState(state, now() - started);
      }
      pending.onUnavailable(done.unavailable, done.again === true, done.transient === true);
      this.rerun(pending);
      return;
    }
    pending.onDone(done.cpuMs, done.extraMs);
    if (done.readMs) pending.onReadCopy?.(done.readMs);
    if (done.nested) pending.onNested(done.nested);
    // what the code changed in the request's AsyncLocalStorage stores, before what follows on this loop reads them
    if (done.contexts && pending.contexts) applyContexts({ encode, decode, refill }, pending.contexts.stores, pending.contexts.carried, done.contexts);
    pending.resource.runInAsyncScope(() => {
      const { held, settle } = pending;
      mergeRequest(held, done.req);
      try {
        replay(held, done.ops);
      } catch (error) {
        // a response call that throws here and did not there: it throws in the function, as without fluxion:
        // Express's Layer hands that to next(err), an async function's promise rejects with it
        if (settle) settle.reject(error);
        else if (held.next) held.next(error);
        else process.nextTick(() => {
          throw error;
        });
        return;
      }
      if (settle) {
        // as the async function did: its `next` call, then its promise settles
        if (done.next) resumeNext(held, done);
        if (done.error != null) settle.reject(decode(done.error));
        else settle.resolve(done.valueIs === 'res' ? held.res : done.valueIs === 'req' ? held.req : decode(done.value));
        return;
      }
      if (done.error != null) {
        const error = decode(done.error);
        if (held.next) held.next(error);
        else process.nextTick(() => {
          throw error; // what the function's throw would have done on the main loop
        });
        return;
      }
      if (done.next) resumeNext(held, done);
    });
  }

  /** Runs a message on the main loop and settles its promise (settleRun). */
  private rerun(pending: Pending): void {
    settleRun(() => this.runHere(pending), pending.settle);
  }

  private runHere(pending: Pending): unknown {
    return runOnMainLoop(pending.resource, pending.runHere, pending.held.next);
  }

  /**
   * Idle for `idleMs`: the worker stops; the next message for its place starts a new one. The states it holds
   * come to the main loop first (the next worker gets them from there).
   */
  private retire(slot: Slot): void {
    slot.idle = undefined;
    if (slot.inFlight.size > 0 || this.slots[slot.position] !== slot) return;
    if (slot.newer.size > 0) {
      this.fetchStates(slot, () => {
        if (slot.inFlight.size === 0 && !slot.idle) {
          slot.idle = setTimeout(() => this.retire(slot), this.idleMs);
          slot.idle.unref();
        }
      });
      return;
    }
    this.slots[slot.position] = undefined;
    slot.retired = true;
    debug('pool', `worker ${slot.index} retired after ${this.idleMs} ms idle`);
    void slot.worker.terminate();
  }

  private lost(slot: Slot, code: number): void {
    if (slot.retired) return;
    if (this.slots[slot.position] === slot) this.slots[slot.position] = undefined; // restarted on the next message
    // the states it held: the main loop's copies (its last request's answers) are what is left
    if (slot.newer.size && debugging('pool')) debug('pool', `worker ${slot.index} lost the state of ${[...slot.newer].map((f) => path.relative(process.cwd(), f)).join(', ')} since the main loop last asked for it`);
    if (slot.backup) clearTimeout(slot.backup);
    slot.newer.clear();
    slot.asked.clear();
    const fetched = slot.fetched;
    slot.fetched = undefined;
    fetched?.();
    // (the messages it had not started yet: it started them in the order they were posted, counting each)
    const started = Atomics.load(slot.started, 0);
    if (debugging('pool')) debug('pool', `worker ${slot.index} exited (${code}); ${slot.inFlight.size} message(s) in flight, ${[...slot.inFlight.values()].filter((p) => p.seq === undefined || p.seq >= started).length} of them not started`);
    for (const pending of slot.inFlight.values()) {
      pending.resource.runInAsyncScope(() => {
        const { held, settle } = pending;
        // one it never started, of a stateless fluxion, runs here as if it had never left: nothing of it ran (a
        // stateful one's state died with the worker, and its request fails below)
        if ((pending.seq === undefined || pending.seq >= started) && !pending.message.returnState && !pending.state) {
          // (counted as a message that could not go: this one only, not the fluxion's next ones)
          pending.onUnavailable(`its worker ${slot.index} stopped before it started it`, false, true);
          this.rerun(pending);
          return;
        }
        if (held.next) held.next(Object.assign(new Error('fluxion: the worker running this request stopped'), { status: 500 }));
        else if (held.res) {
          held.res.statusCode = 500;
          held.res.end();
        } else {
          // a plain callback: run it here, as if it had never left
          this.rerun(pending);
          return;
        }
        settle?.resolve(undefined);
      });
    }
    slot.inFlight.clear();
    slot.drained?.();
    this.afterAnswers?.();
  }

  /**
   * Stops every worker once the messages in flight are done (their answers still arrive) and the states they
   * hold have come to the main loop: `unregister()`. New messages must not be sent meanwhile (every fluxion is back on main).
   */
  async close(): Promise<void> {
    // they stay in `slots` until they are drained: `inFlightFor` counts their messages meanwhile
    const slots = this.slots.filter((s): s is Slot => s !== undefined);
    await Promise.all(slots.map((s) => (s.inFlight.size ? new Promise<void>((resolve) => (s.drained = resolve)) : undefined)));
    // and the states they hold come to the main loop, where the fluxions are now
    await Promise.all(slots.map((s) => new Promise<void>((resolve) => this.fetchStates(s, resolve))));
    for (const slot of slots) if (slot.backup) clearTimeout(slot.backup);
    this.slots.length = 0;
    for (const slot of slots) slot.retired = true; // its exit is not a crash
    await Promise.all(slots.map((s) => s.worker.terminate()));
  }
}
