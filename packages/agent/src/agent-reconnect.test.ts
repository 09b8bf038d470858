import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent } from './agent';
import type { ConnectionState } from './connection-state';
import type { TaskHandler } from './task-handler';
import { ManualClock } from '@baaaht/test-utils';
import { miniHub } from './test-support/mini-hub';
import { until } from './test-support/until';

const handler: TaskHandler = {
  tools: () => ['echo'],
  run: () => Promise.reject(new Error('unused')),
  cancel: () => undefined,
};

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

describe('Agent reconnect budget per outage (manual clock, a minimal hub)', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'agent-outage-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  test('each outage gets the whole budget again; the session is resumed after each', async () => {
    const path = join(dir, 'hub.sock');
    let hub = await miniHub(path);
    const clock = new ManualClock();
    const agent = Agent.create({
      handler,
      address: `unix://${path}`,
      clock,
      reconnectIntervalMs: 1000,
      reconnectMaxIntervalMs: 8000,
      reconnectMaxAttempts: 3,
      reconnectJitter: 'full',
      random: () => 0.5,
      heartbeatIntervalMs: 999999,
    });
    const resumed: boolean[] = [];
    agent.on('registered', (_id: string, r: boolean) => resumed.push(r));
    await agent.start();
    const backoffTimer = (ms: number): boolean => ms !== 999999;
    try {
      for (let outage = 0; outage < 3; outage++) {
        hub.server.forceShutdown();
        // Three attempts in each outage, two failing: 9 in all, three times the budget.
        const delays: number[] = [];
        const pending = (): boolean => [...clock.timers.values()].some((t) => backoffTimer(t.ms));
        for (let attempt = 0; attempt < 3; attempt++) {
          await until(pending);
          if (attempt === 2) {
            expect(agent.state).toBe('TransientFailure');
            hub = await miniHub(path);
          }
          delays.push(clock.fire(backoffTimer) as number);
        }
        // Full jitter at 0.5 is half the ceiling: the exponent restarted with the outage.
        expect(delays).toEqual([500, 1000, 2000]);
        await until(() => agent.state === 'Ready');
      }
      expect(agent.metrics().reconnects).toBe(3);
      expect(resumed).toEqual([false, true, true, true]);
    } finally {
      await agent.close({ force: true });
      hub.server.forceShutdown();
    }
  });
});

describe('Agent: expected failures say why and are not retried when retrying cannot help', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'agent-fail-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  test('a refused bearer token (UNAUTHENTICATED) ends the agent at once, with reconnects unlimited', async () => {
    const path = join(dir, 'hub.sock');
    const registers: string[] = [];
    const hub = await miniHub(path, { refuseToken: true, registers });
    const clock = new ManualClock();
    const agent = Agent.create({
      handler,
      address: `unix://${path}`,
      clock,
      bearerToken: 'wrong',
      reconnectMaxAttempts: 0,
      heartbeatIntervalMs: 999999,
    });
    const errors: { code: string; message: string }[] = [];
    agent.on('error', (err: { code: string; message: string }) => errors.push(err));
    try {
      await expect(agent.start()).rejects.toMatchObject({
        code: 'UNAUTHENTICATED',
        message: expect.stringContaining("refused this worker's bearer token"),
      });
      expect(agent.state).toBe('Shutdown');
      expect(registers).toHaveLength(1);
      // No backoff timer was ever armed: nothing is waiting to try again.
      expect([...clock.timers.values()].filter((t) => t.ms !== 999999)).toEqual([]);
      expect(errors.map((e) => e.code)).toEqual(['UNAUTHENTICATED']);
    } finally {
      hub.server.forceShutdown();
    }
  });

  test('a failed dial logs its cause (ENOENT) and the give-up keeps it', async () => {
    const warnings: Record<string, unknown>[] = [];
    const logger = {
      trace: () => undefined,
      debug: () => undefined,
      info: () => undefined,
      warn: (_m: string, meta?: Record<string, unknown>) => void warnings.push(meta ?? {}),
      error: () => undefined,
    };
    const socket = join(dir, 'absent.sock');
    const agent = Agent.create({
      handler,
      address: `unix://${socket}`,
      clock: new ManualClock(),
      reconnectMaxAttempts: 1,
      reconnectJitter: 'none',
      heartbeatIntervalMs: 999999,
      logger,
    });
    const started = agent.start();
    started.catch(() => undefined);
    await until(() => warnings.length > 0);
    expect(warnings[0]).toMatchObject({
      code: 'CONNECT_FAILED',
      errno: 'ENOENT',
      error: expect.stringContaining(`no socket at ${socket} (ENOENT)`),
    });
    expect(String(warnings[0]?.['error'])).not.toContain('Resolution note');
    await agent.close();
  });
});
