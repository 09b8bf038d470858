import { mkdtempSync, rmSync, unlinkSync } from 'node:fs';
import { Server, ServerCredentials, status } from '@grpc/grpc-js';
import type { ServerDuplexStream } from '@grpc/grpc-js';
import { AgentServiceService } from '@baaaht/proto';
import type { AgentServiceServer, OrchestratorMessage, WorkerMessage } from '@baaaht/proto';
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

/** The smallest hub that welcomes a worker: enough to end an outage. */
async function miniHub(
  path: string,
  options: { refuseToken?: boolean; registers?: string[] } = {},
): Promise<{ server: Server; streams: ServerDuplexStream<WorkerMessage, OrchestratorMessage>[] }> {
  const streams: ServerDuplexStream<WorkerMessage, OrchestratorMessage>[] = [];
  const unimplemented = (_call: unknown, cb: (err: { code: number }) => void): void =>
    cb({ code: status.UNIMPLEMENTED });
  const impl: AgentServiceServer = {
    register: (call, cb) => {
      options.registers?.push(call.request.name);
      if (options.refuseToken)
        return cb({ code: status.UNAUTHENTICATED, details: 'missing or invalid bearer token' } as never);
      cb(null, {
        agentId: call.request.resumeAgentId || 'a1',
        registrationToken: 't',
        resumed: !!call.request.resumeAgentId,
        agent: undefined,
      });
    },
    heartbeat: (_call, cb) => cb(null, { timestamp: new Date(), pendingTasks: [], reregister: false }),
    unregister: (_call, cb) => cb(null, { success: true, message: '' }),
    work: (call) => {
      streams.push(call);
      call.on('data', (m: WorkerMessage) => {
        if (m.payload?.$case === 'hello')
          call.write({
            payload: { $case: 'welcome', value: { agentId: m.payload.value.agentId, expectedTaskIds: [] } },
          });
      });
      call.on('error', () => undefined);
    },
    cancelTask: unimplemented,
    getTaskStatus: unimplemented,
    healthCheck: unimplemented,
    getCapabilities: unimplemented,
  };
  const server = new Server();
  server.addService(AgentServiceService, impl);
  try {
    unlinkSync(path);
  } catch {
    // no stale socket
  }
  await new Promise<void>((resolve, reject) =>
    server.bindAsync(`unix:${path}`, ServerCredentials.createInsecure(), (err) => (err ? reject(err) : resolve())),
  );
  return { server, streams };
}

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
