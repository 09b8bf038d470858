import { ExecutorError } from './errors';
import { Slots, SlotWaitAborted } from './slots';

describe('Slots', () => {
  it('grants up to the limit, queues FIFO, then refuses with QUEUE_FULL', async () => {
    const s = new Slots(2, 2);
    const r1 = await s.acquire();
    await s.acquire();
    const order: number[] = [];
    const w3 = s.acquire().then((r) => (order.push(3), r));
    const w4 = s.acquire().then((r) => (order.push(4), r));
    await expect(s.acquire()).rejects.toMatchObject({ code: 'QUEUE_FULL' });
    await expect(s.acquire()).rejects.toBeInstanceOf(ExecutorError);
    expect(s.active).toBe(2);
    expect(s.queued).toBe(2);
    r1();
    const r3 = await w3;
    r3();
    await w4;
    expect(order).toEqual([3, 4]);
    expect(s.active).toBe(2);
  });

  it('removes an aborted waiter from the queue without taking a slot', async () => {
    const s = new Slots(1, 5);
    const r1 = await s.acquire();
    const ac = new AbortController();
    let queued = false;
    const waiting = s.acquire(ac.signal, () => (queued = true));
    expect(queued).toBe(true);
    ac.abort();
    await expect(waiting).rejects.toBeInstanceOf(SlotWaitAborted);
    expect(s.queued).toBe(0);
    r1();
    expect(s.active).toBe(0);
  });

  it('releasing twice frees only one slot', async () => {
    const s = new Slots(1);
    const r = await s.acquire();
    r();
    r();
    expect(s.active).toBe(0);
    await s.acquire();
    expect(s.active).toBe(1);
  });
});
