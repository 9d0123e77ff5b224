/**
 * Scavenges (V8 minor GCs) that free the dead array buffers of the messages an event loop ran, for the workers
 * (worker.ts, after a message) and for the main loop when it runs replicated fluxions' messages itself (pool.ts,
 * at the end of such a turn).
 *
 * Why a worker needs them: the dead buffers of the messages it ran (the pixels a kernel allocated and dropped)
 * are freed by a scavenge, and V8 scavenges for them only once 32 MB of them are young (2 × its largest
 * semi-space, a constant: `resourceLimits` do not move it). A worker that only runs kernels makes little other
 * young garbage, so it holds up to 32 MB of dead buffers, and glibc's arena for the thread keeps the most they
 * ever took (41 MB on the CPU sample: the worker's share of peak RSS).
 *
 * Why the main loop needs them when it is a replica: V8 counts the array buffers allocated since its last
 * mark-compact against the old generation's room, and once the old generation is past its 8 MB activation
 * threshold (fluxion's runtime adds ~1.2 MB to a small app's, and most real apps are past it anyway) it starts
 * a full, incremental mark-compact as soon as that room is smaller than the young generation: a main loop
 * running kernels that allocate ~0.5 MB of buffers each then marked and compacted every ~100 ms (40–48 per 6 s
 * on the CPU sample, against 11 for plain node below the threshold), its GC threads' CPU per request doubled.
 * A scavenge frees those buffers for ~1 ms and gives the room back: 2–16 mark-compacts per 6 s, and the GC threads'
 * CPU per request 0.30 ms instead of 0.50 on the 2-core VM (plain node 0.25–0.28).
 *
 * The rule: scavenge once external memory has grown by `bytes` over the lowest it was since the last scavenge
 * (memory the app keeps raises that floor and starts none). A scavenge costs ~0.2 ms alone, ~1 ms on busy cores;
 * a budget of 5% of the thread's time (up to 100 ms saved) bounds them whatever the messages allocate, and lets
 * a slow one pass without holding the next back.
 */
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import { now } from './clock';
import { debug } from '../debug';

type MinorGc = (options: { type: 'minor' }) => void;

export class Scavenger {
  /** undefined: not made yet (gcFunction); null: not available here. */
  private gc: MinorGc | null | undefined;
  private lowExternal = Infinity;
  private budgetMs = 100;
  private budgetAt = 0;
  private cheapSinceCheck = 0;
  /** Scavenges made (the first one is a debug line: `fluxion:pool`). */
  count = 0;

  /**
   * `bytes`: the growth that starts one (0: never); `lock`: held while V8's process-wide --expose-gc is on
   * (shared by the pool with every worker); `where`: names the thread in debug lines.
   */
  constructor(
    private readonly bytes: number,
    private readonly lock: Int32Array | null,
    private readonly where: string,
  ) {}

  /**
   * Whether to scavenge now, after a message that started at `started` (`now()`; -Infinity: check whatever it
   * took). `getHeapStatistics()` executes ~7 k instructions, 2% of a small message's cost on a worker: after a
   * message that took 50 µs or more it is read every time (a message that allocates megabytes takes that long,
   * zeroing them), after a quicker one every 16th.
   */
  due(started: number): boolean {
    if (this.bytes === 0 || this.gc === null) return false;
    const at = now();
    if (at - started < 0.05 && ++this.cheapSinceCheck < 16) return false;
    this.cheapSinceCheck = 0;
    const external = v8.getHeapStatistics().external_memory;
    if (external < this.lowExternal) this.lowExternal = external;
    if (external - this.lowExternal < this.bytes) return false;
    this.budgetMs = Math.min(100, this.budgetMs + (at - this.budgetAt) * 0.05);
    this.budgetAt = at;
    return this.budgetMs > 0;
  }

  /** Scavenges (once `due` said so). */
  scavenge(): void {
    if (this.gc === undefined && (this.gc = gcFunction(this.lock, this.where)) === null) return;
    const started = now();
    this.gc!({ type: 'minor' });
    this.budgetAt = now();
    this.budgetMs -= this.budgetAt - started;
    this.count++;
    if (this.count === 1) debug('pool', `${this.where} scavenged for the dead array buffers of the messages it ran`);
    // the sweeper frees the buffers concurrently: the floor is what the next checks see
    this.lowExternal = Infinity;
  }
}

/**
 * V8's `gc()`: the process's own when it runs with --expose-gc, else from a context made while that flag is on.
 * V8's flags are the process's, so the flag is on only for the instant that context is made (other threads
 * wait on `lock`); a context another thread of the app made in that instant would have a `gc` too.
 */
function gcFunction(lock: Int32Array | null, where: string): MinorGc | null {
  const own = (globalThis as { gc?: unknown }).gc;
  // (V8's, not a `gc` of the app's own)
  if (typeof own === 'function' && /\{ \[native code\] \}$/.test(Function.prototype.toString.call(own))) return own as MinorGc;
  // a worker terminated while it held the lock never gives it back: wait a second at most, then do without
  let held = !lock;
  for (let tries = 0; !held && tries < 100; tries++) {
    held = Atomics.compareExchange(lock!, 0, 0, 1) === 0;
    if (!held) Atomics.wait(lock!, 0, 1, 10);
  }
  if (!held) {
    debug('pool', `${where} does not scavenge: another thread held the lock on --expose-gc for a second`);
    return null;
  }
  try {
    v8.setFlagsFromString('--expose-gc');
    try {
      const gc: unknown = vm.runInNewContext('typeof gc === "function" ? gc : null');
      return typeof gc === 'function' ? (gc as MinorGc) : null;
    } finally {
      v8.setFlagsFromString('--no-expose-gc');
    }
  } catch (error) {
    debug('pool', `${where} does not scavenge: no gc() (${(error as Error).message})`);
    return null;
  } finally {
    if (lock) {
      Atomics.store(lock, 0, 0);
      Atomics.notify(lock, 0);
    }
  }
}
