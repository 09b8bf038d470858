/** The `Clock` the hub, agent and executor accept (structurally the same in each). */
export interface TestClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/**
 * A clock that only moves when a test says so (`advance()`, or `fire()` for one timer), firing due timers
 * in order, so tests of timeouts, heartbeats and backoff need no sleeps. One for every package's tests.
 */
export class ManualClock implements TestClock {
  private t = 0;
  private seq = 0;
  /** Timers set and neither fired nor cleared, by handle. */
  readonly timers = new Map<number, { at: number; ms: number; fn: () => void }>();

  now(): number {
    return this.t;
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const id = ++this.seq;
    this.timers.set(id, { at: this.t + ms, ms, fn });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as number);
  }

  /** Timers set and neither fired nor cleared, as their delays (`[]` when none is left). */
  get pending(): number[] {
    return [...this.timers.values()].map((t) => t.ms);
  }

  /** Moves time forward by `ms`, firing every timer that falls due on the way, earliest first. */
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      const next = this.earliest((t) => t.at <= end);
      if (!next) break;
      this.timers.delete(next[0]);
      this.t = next[1].at;
      next[1].fn();
    }
    this.t = end;
  }

  /** Jumps to the earliest timer whose delay matches `pred` and fires it; returns its delay, or undefined. */
  fire(pred: (ms: number) => boolean): number | undefined {
    const entry = this.earliest((t) => pred(t.ms));
    if (!entry) return undefined;
    const [id, timer] = entry;
    this.timers.delete(id);
    this.t = timer.at;
    timer.fn();
    return timer.ms;
  }

  private earliest(
    pred: (t: { at: number; ms: number }) => boolean,
  ): [number, { at: number; ms: number; fn: () => void }] | undefined {
    return [...this.timers.entries()].filter(([, t]) => pred(t)).sort((a, b) => a[1].at - b[1].at)[0];
  }
}
