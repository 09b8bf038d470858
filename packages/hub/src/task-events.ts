import type { TaskEvent } from '@baaaht/proto';

export type TaskEventListener = (event: TaskEvent) => void;

/** Fans task events out to whoever watches a task id. */
export class TaskEventBus {
  private readonly listeners = new Map<string, Set<TaskEventListener>>();

  subscribe(taskId: string, listener: TaskEventListener): () => void {
    let set = this.listeners.get(taskId);
    if (!set) {
      set = new Set();
      this.listeners.set(taskId, set);
    }
    set.add(listener);
    return () => {
      const current = this.listeners.get(taskId);
      if (!current) return;
      current.delete(listener);
      if (current.size === 0) this.listeners.delete(taskId);
    };
  }

  publish(event: TaskEvent): void {
    const set = this.listeners.get(event.taskId);
    if (!set) return;
    for (const listener of [...set]) listener(event);
  }

  /** Subscriptions still open; a leak check for tests. */
  get size(): number {
    let n = 0;
    for (const set of this.listeners.values()) n += set.size;
    return n;
  }
}

/**
 * An async iterable over one task's events that ends after `finished`.
 * Events are buffered from the moment of the call, so nothing published
 * between subscribing and the first `next()` is lost.
 *
 * State: `open` (buffering), then `done` once `finished` arrives or `close()`/`return()` is called
 * (final: unsubscribed; `next()` drains the buffer, then ends).
 */
export function taskEventIterable(
  subscribe: (listener: TaskEventListener) => () => void,
  replay: TaskEvent[] = [],
): AsyncIterable<TaskEvent> & { close(): void } {
  const buffer: TaskEvent[] = [...replay];
  let done = replay.some((e) => e.payload?.$case === 'finished');
  let wake: (() => void) | undefined;
  const unsubscribe = done
    ? () => undefined
    : subscribe((event) => {
        if (done) return;
        buffer.push(event);
        if (event.payload?.$case === 'finished') {
          done = true;
          unsubscribe();
        }
        wake?.();
      });
  const close = (): void => {
    done = true;
    unsubscribe();
    wake?.();
  };
  return {
    close,
    [Symbol.asyncIterator](): AsyncIterator<TaskEvent> {
      return {
        async next(): Promise<IteratorResult<TaskEvent>> {
          for (;;) {
            const event = buffer.shift();
            if (event) return { value: event, done: false };
            if (done) return { value: undefined, done: true };
            await new Promise<void>((resolve) => (wake = resolve));
            wake = undefined;
          }
        },
        async return(): Promise<IteratorResult<TaskEvent>> {
          close();
          buffer.length = 0;
          return { value: undefined, done: true };
        },
      };
    },
  };
}
