/** The CPU time of an async function's message: the sum of its synchronous segments, between awaits. */
export class AsyncClock {
  cpu = 0;
  private start = performance.now();
  private running = true;

  pause(): void {
    if (!this.running) return;
    this.cpu += performance.now() - this.start;
    this.running = false;
  }

  resume(): void {
    this.start = performance.now();
    this.running = true;
  }
}
