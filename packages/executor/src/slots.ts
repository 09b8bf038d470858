import { ExecutorError } from './errors';

/** Thrown (as the rejection) when a waiter's signal aborts while it is still queued. */
export class SlotWaitAborted extends Error {
  override name = 'SlotWaitAborted';
}

interface Waiter {
  grant: (release: () => void) => void;
  reject: (err: Error) => void;
}

/**
 * A counting semaphore with a bounded FIFO wait queue. Used for task slots (`maxConcurrentTasks` /
 * `maxQueuedTasks`) and for concurrent container starts (`maxConcurrentStarts`).
 */
export class Slots {
  private inUse = 0;
  private readonly waiters: Waiter[] = [];

  constructor(
    private readonly limit: number,
    private readonly maxQueued: number = Number.POSITIVE_INFINITY,
    /** Called after every change of `active` or `queued` (for gauges). */
    private readonly onChange: () => void = () => undefined,
  ) {}

  get active(): number {
    return this.inUse;
  }

  get queued(): number {
    return this.waiters.length;
  }

  /**
   * Resolves with a release function once a slot is free. Rejects with `QUEUE_FULL` when the queue is
   * full, or with `SlotWaitAborted` if `signal` aborts first (the waiter then holds nothing).
   */
  acquire(signal?: AbortSignal, onQueued?: () => void): Promise<() => void> {
    if (signal?.aborted) return Promise.reject(new SlotWaitAborted('aborted before a slot was free'));
    if (this.inUse < this.limit && this.waiters.length === 0) {
      this.inUse++;
      this.onChange();
      return Promise.resolve(this.releaser());
    }
    if (this.waiters.length >= this.maxQueued) {
      return Promise.reject(
        new ExecutorError(
          'QUEUE_FULL',
          `all ${this.limit} slots are busy and ${this.maxQueued} tasks are already queued`,
        ),
      );
    }
    return new Promise((resolve, reject) => {
      const onAbort = (): void => {
        const i = this.waiters.indexOf(waiter);
        if (i >= 0) this.waiters.splice(i, 1);
        this.onChange();
        reject(new SlotWaitAborted('aborted while queued'));
      };
      const waiter: Waiter = {
        grant: (release) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(release);
        },
        reject,
      };
      this.waiters.push(waiter);
      this.onChange();
      signal?.addEventListener('abort', onAbort, { once: true });
      onQueued?.();
    });
  }

  private releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiters.shift();
      // Hand the slot straight over so a new arrival cannot jump the queue.
      if (next !== undefined) next.grant(this.releaser());
      else this.inUse--;
      this.onChange();
    };
  }
}
