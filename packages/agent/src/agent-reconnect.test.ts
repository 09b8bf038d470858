import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent } from './agent';
import type { Clock } from './clock';
import type { ConnectionState } from './connection-state';
import type { TaskHandler } from './task-handler';

/** Timers that only fire when the test advances time. */
class ManualClock implements Clock {
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

const handler: TaskHandler = {
  tools: () => ['echo'],
  run: () => Promise.reject(new Error('unused')),
  cancel: () => undefined,
};

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !check(); i++) await new Promise((r) => setTimeout(r, 5));
  if (!check()) throw new Error('condition never held');
}

describe('Agent reconnect policy (manual clock, nothing listening)', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'agent-reconnect-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  test('backs off exponentially, gives up after reconnectMaxAttempts, ends in Shutdown with an error event', async () => {
    const clock = new ManualClock();
    const agent = Agent.create({
      handler,
      address: `unix://${join(dir, 'absent.sock')}`,
      clock,
      reconnectIntervalMs: 1000,
      reconnectMaxIntervalMs: 4000,
      reconnectMaxAttempts: 3,
      reconnectJitter: 'none',
      heartbeatIntervalMs: 999999,
    });
    const states: ConnectionState[] = [];
    agent.on('state', (next: ConnectionState) => states.push(next));
    const errors: { code: string }[] = [];
    agent.on('error', (err: { code: string }) => errors.push(err));
    const started = agent.start();
    started.catch(() => undefined);
    const closed = agent.closed();
    closed.catch(() => undefined);

    const delays: number[] = [];
    for (let i = 0; i < 3; i++) {
      await until(() => [...clock.timers.values()].some((t) => t.ms !== 999999));
      delays.push(clock.fire((ms) => ms !== 999999) as number);
    }
    await expect(started).rejects.toMatchObject({ code: 'RECONNECT_EXHAUSTED' });
    expect(delays).toEqual([1000, 2000, 4000]);
    expect(agent.state).toBe('Shutdown');
    expect(errors.map((e) => e.code)).toEqual(['RECONNECT_EXHAUSTED']);
    await expect(closed).rejects.toMatchObject({ code: 'RECONNECT_EXHAUSTED' });
    expect(states).toEqual([
      'Connecting',
      'TransientFailure',
      'Connecting',
      'TransientFailure',
      'Connecting',
      'TransientFailure',
      'Connecting',
      'TransientFailure',
      'Shutdown',
    ]);
  });

  test('close() while backing off ends in Shutdown without waiting for the timer', async () => {
    const clock = new ManualClock();
    const agent = Agent.create({
      handler,
      address: `unix://${join(dir, 'absent.sock')}`,
      clock,
      reconnectJitter: 'none',
    });
    const started = agent.start();
    started.catch(() => undefined);
    await until(() => agent.state === 'TransientFailure');
    await agent.close();
    expect(agent.state).toBe('Shutdown');
    await expect(agent.closed()).resolves.toBeUndefined();
    await expect(started).rejects.toMatchObject({ code: 'SHUTDOWN' });
  });
});
