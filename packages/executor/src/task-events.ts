import type { TaskEvent } from './task-types';

interface Subscriber {
  buffer: TaskEvent[];
  wake: (() => void) | undefined;
  ended: boolean;
}

/** Fans task events out to `executor.events(taskId)` iterators; each ends after its task's `exited`. */
export class TaskEventHub {
  private readonly subscribers = new Map<string, Set<Subscriber>>();

  publish(event: TaskEvent): void {
    const subs = this.subscribers.get(event.taskId);
    if (subs === undefined) return;
    for (const s of subs) {
      s.buffer.push(event);
      if (event.type === 'exited') s.ended = true;
      s.wake?.();
    }
    if (event.type === 'exited') this.subscribers.delete(event.taskId);
  }

  closeAll(): void {
    for (const subs of this.subscribers.values()) {
      for (const s of subs) {
        s.ended = true;
        s.wake?.();
      }
    }
    this.subscribers.clear();
  }

  subscribe(taskId: string): AsyncIterableIterator<TaskEvent> {
    const sub: Subscriber = { buffer: [], wake: undefined, ended: false };
    let set = this.subscribers.get(taskId);
    if (set === undefined) this.subscribers.set(taskId, (set = new Set()));
    set.add(sub);
    const unsubscribe = (): void => {
      sub.ended = true;
      sub.buffer.length = 0;
      this.subscribers.get(taskId)?.delete(sub);
    };
    const iterator: AsyncIterableIterator<TaskEvent> = {
      next: async () => {
        while (sub.buffer.length === 0 && !sub.ended) await new Promise<void>((r) => (sub.wake = r));
        sub.wake = undefined;
        const value = sub.buffer.shift();
        return value === undefined ? { done: true, value: undefined } : { done: false, value };
      },
      return: async () => {
        unsubscribe();
        return { done: true, value: undefined };
      },
      [Symbol.asyncIterator]: () => iterator,
    };
    return iterator;
  }
}
