import type { Clock } from '../clock';

/** Timers that only fire when the test advances time. */
export class ManualClock implements Clock {
  private t = 0;
  private seq = 0;
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
  /** Fires the earliest timer whose duration matches `pred`. */
  fire(pred: (ms: number) => boolean): number | undefined {
    const entry = [...this.timers.entries()].filter(([, t]) => pred(t.ms)).sort((a, b) => a[1].at - b[1].at)[0];
    if (!entry) return undefined;
    const [id, timer] = entry;
    this.timers.delete(id);
    this.t = timer.at;
    timer.fn();
    return timer.ms;
  }
}
