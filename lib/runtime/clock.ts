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

/**
 * What an async message starts in packages' own callbacks (bcryptjs's `await bcrypt.hash(pw, 10)`: 25 ms of
 * JavaScript in `setImmediate` chunks, none of it in the handler's segments between awaits) is work no fluxion's
 * time counts. A message's window (its start to its end, awaits included) tells it when nothing else ran in it: no
 * other fluxion's message (`attributed` unchanged but for its own segments) and no other async window open. Then
 * what the event loop did in the window (`performance.eventLoopUtilization()`, loaded at the first async message,
 * and no more than the process's CPU time then) less its own segments is that work, when it kept the loop busy most of the time the message waited (`BUSY`: an
 * I/O wait leaves it idle but for the loop's own turns): `extra`. The
 * registry keeps the last such figure per fluxion and adds it to every message's time, so the JIT sees such a
 * handler as hot, and a worker's measure keeps it so. Windows shared with other work say nothing (under load, an
 * I/O-bound handler's window holds every other request's parsing and routing): they leave the figure as it was.
 */
let activeTime: (() => number) | null = null;
/** The fluxions' own measured time on this thread (sync messages, async segments), ms. */
let attributedMs = 0;
/** Async windows open now, and windows opened so far. */
let open = 0;
let opened = 0;

/** A fluxion's own time on this thread, measured (a sync message, an async message's segments). */
export function attributed(ms: number): void {
  attributedMs += ms;
}

/** The process's CPU time, ms (a window's: not the time a busy machine kept this thread waiting for a core). */
function cpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

function activeMs(): number {
  if (!activeTime) {
    const { performance } = require('node:perf_hooks') as typeof import('node:perf_hooks');
    activeTime = () => performance.eventLoopUtilization().active;
  }
  return activeTime();
}

/** How busy the loop must have been while an async message waited for that to be work it started (extra). */
const BUSY = 0.75;

/** The CPU time of an async function's message: the sum of its synchronous segments, between awaits. */
export class AsyncClock {
  cpu = 0;
  private start = now();
  private running = true;
  private readonly opened = this.start;
  private readonly attributed = attributedMs;
  /** (`opened` when this one opened: another opening meanwhile makes the window shared) */
  private readonly serial = ++opened;
  /** Another window was open: this one says nothing, and reads neither clock (a loaded server's every message). */
  private readonly alone = open++ === 0;
  private readonly active = this.alone ? activeMs() : 0;
  private readonly used = this.alone ? cpuMs() : 0;
  private closed = false;

  pause(): void {
    if (!this.running) return;
    this.cpu += now() - this.start;
    this.running = false;
  }

  resume(): void {
    this.start = now();
    this.running = true;
  }

  /**
   * At the message's end (once): what the loop did in its window beyond its own segments, when nothing else ran
   * in it (the work it started in packages' callbacks); null when the window was shared.
   */
  extra(): number | null {
    this.pause();
    if (this.closed) return null;
    this.closed = true;
    open--;
    if (!this.alone || opened !== this.serial || attributedMs !== this.attributed) return null;
    // (the loop's own turns while the handler waits on I/O or a timer — 0.2 to 2 ms on a busy machine, accepting
    // and closing connections — are no package's work: that keeps the loop busy most of the wait, chunk after chunk)
    const active = activeMs() - this.active - this.cpu;
    const waited = now() - this.opened - this.cpu;
    if (!(active > BUSY * waited)) return 0;
    // (no more than the process's CPU time: a machine short of cores keeps a thread active without running it)
    return Math.max(0, Math.min(active, cpuMs() - this.used - this.cpu));
  }
}
