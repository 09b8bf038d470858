import { createDeadlineSignal, createLinkedAbortController } from './task-signals';
import { ManualClock } from '@baaaht/test-utils';

describe('createDeadlineSignal', () => {
  it('aborts with its reason once the clock reaches the deadline, and leaves no timer behind', () => {
    const clock = new ManualClock();
    const reason = { reason: 'timeout' };
    const deadline = createDeadlineSignal(clock, 100, reason);
    expect(clock.pending).toEqual([100]);
    clock.advance(99);
    expect(deadline.signal.aborted).toBe(false);
    clock.advance(1);
    expect(deadline.signal.aborted).toBe(true);
    expect(deadline.signal.reason).toBe(reason);
    expect(clock.pending).toEqual([]);
    deadline.cleanup();
    expect(clock.pending).toEqual([]);
  });

  it('cleanup() clears the timer before it fires; the signal never aborts', () => {
    const clock = new ManualClock();
    const deadline = createDeadlineSignal(clock, 100, 'late');
    deadline.cleanup();
    deadline.cleanup();
    expect(clock.pending).toEqual([]);
    clock.advance(1000);
    expect(deadline.signal.aborted).toBe(false);
  });
});

describe('createLinkedAbortController', () => {
  it('aborts with the reason of the first linked signal that aborts, once', () => {
    const a = new AbortController();
    const b = new AbortController();
    const linked = createLinkedAbortController(a.signal, undefined, b.signal);
    const seen: unknown[] = [];
    linked.signal.addEventListener('abort', () => seen.push(linked.signal.reason));
    b.abort('from b');
    a.abort('from a');
    expect(seen).toEqual(['from b']);
  });

  it('aborts at once for a signal that is already aborted, at creation or when linked later', () => {
    expect(createLinkedAbortController(AbortSignal.abort('early')).signal.reason).toBe('early');
    const linked = createLinkedAbortController();
    linked.link(AbortSignal.abort('later'));
    expect(linked.signal.reason).toBe('later');
  });

  it('abort() aborts with its own reason and stops following the linked signals', () => {
    const a = new AbortController();
    const linked = createLinkedAbortController(a.signal);
    linked.abort({ reason: 'cancelled' });
    linked.abort('ignored');
    a.abort('too late');
    expect(linked.signal.reason).toEqual({ reason: 'cancelled' });
  });

  it('links a deadline later: the deadline aborts it with the deadline reason', () => {
    const clock = new ManualClock();
    const linked = createLinkedAbortController(new AbortController().signal);
    const deadline = createDeadlineSignal(clock, 50, 'timeout');
    linked.link(deadline.signal);
    clock.advance(50);
    expect(linked.signal.reason).toBe('timeout');
  });

  it('cleanup() removes its listeners from the linked signals without aborting', () => {
    const a = new AbortController();
    const add = jest.spyOn(a.signal, 'addEventListener');
    const remove = jest.spyOn(a.signal, 'removeEventListener');
    const linked = createLinkedAbortController(a.signal);
    expect(add).toHaveBeenCalledTimes(1);
    linked.cleanup();
    linked.cleanup();
    expect(remove).toHaveBeenCalledTimes(1);
    expect(remove.mock.calls[0]?.[1]).toBe(add.mock.calls[0]?.[1]);
    a.abort('after cleanup');
    expect(linked.signal.aborted).toBe(false);
  });
});
