import { join } from 'node:path';
import { credentials, status } from '@grpc/grpc-js';
import type { ClientDuplexStream, ServiceError } from '@grpc/grpc-js';
import { Agent } from '@baaaht/agent';
import type { AgentOptions } from '@baaaht/agent';
import { FakeHandler, ManualClock, fastAgentOptions } from '@baaaht/test-utils';
import {
  AgentServiceClient,
  AgentType,
  OutputStream,
  RegisterRequest,
  TaskFinished,
  TaskServiceClient,
  TaskState,
} from '@baaaht/proto';
import type {
  HeartbeatRequest,
  ListWorkersResponse,
  OrchestratorMessage,
  RegisterResponse,
  WorkerMessage,
} from '@baaaht/proto';
import { createHub, createHubClient, quietLogger } from './index';
import type { Hub, HubOptions, Logger } from './index';
import { eventually, tempSocketDir } from './test-support/temp-socket';

// A real hub on a Unix socket, attacked by a raw gRPC client that knows only what ListWorkers tells everybody.
jest.setTimeout(60000);

type RegisterFields = NonNullable<Parameters<typeof RegisterRequest.fromPartial>[0]>;
type Unary<Req, Res> = (req: Req, cb: (err: ServiceError | null, res: Res) => void) => unknown;

function rpc<Req, Res>(fn: Unary<Req, Res>, req: Req): Promise<Res> {
  return new Promise((resolve, reject) => fn(req, (err, res) => (err ? reject(err) : resolve(res))));
}

async function codeOf(p: Promise<unknown>): Promise<number | 'ok'> {
  try {
    await p;
    return 'ok';
  } catch (err) {
    return (err as ServiceError).code;
  }
}

/** A rogue (or raw) client: unary calls promisified, and a Work stream it drives by hand. */
class RawClient {
  readonly agents: AgentServiceClient;
  readonly tasks: TaskServiceClient;

  constructor(address: string) {
    this.agents = new AgentServiceClient(address, credentials.createInsecure());
    this.tasks = new TaskServiceClient(address, credentials.createInsecure());
  }

  register(fields: RegisterFields = {}): Promise<RegisterResponse> {
    const req = RegisterRequest.fromPartial({
      name: 'rogue',
      type: AgentType.AGENT_TYPE_WORKER,
      capabilities: { supportedTools: ['echo', 'gate'], maxConcurrentTasks: 1 },
      ...fields,
    });
    return rpc(this.agents.register.bind(this.agents) as Unary<RegisterRequest, RegisterResponse>, req);
  }

  heartbeat(agentId: string, token: string, draining: boolean): Promise<unknown> {
    const req: HeartbeatRequest = { agentId, token, draining, activeTasks: [], freeSlots: 0, resources: undefined };
    return rpc(this.agents.heartbeat.bind(this.agents) as Unary<HeartbeatRequest, unknown>, req);
  }

  unregister(agentId: string, token: string): Promise<unknown> {
    return rpc(this.agents.unregister.bind(this.agents) as Unary<object, unknown>, { agentId, token, reason: 'x' });
  }

  listWorkers(pageSize: number, pageToken: string): Promise<ListWorkersResponse> {
    return rpc(this.tasks.listWorkers.bind(this.tasks) as Unary<object, ListWorkersResponse>, {
      pageSize,
      pageToken,
    });
  }

  /** Opens Work with a hello; collects what the hub sends and how the stream ends. */
  work(agentId: string, token: string, running: string[] = []) {
    const call: ClientDuplexStream<WorkerMessage, OrchestratorMessage> = this.agents.work();
    const received: OrchestratorMessage[] = [];
    const ended = new Promise<number>((resolve) => {
      call.on('error', (err: ServiceError) => resolve(err.code));
      call.on('end', () => resolve(status.OK));
    });
    call.on('data', (m: OrchestratorMessage) => received.push(m));
    call.write({
      payload: {
        $case: 'hello',
        value: { agentId, token, maxSlots: 1, freeSlots: 1, runningTaskIds: running, draining: false, sessions: [] },
      },
    });
    const acks = (): string[] => received.flatMap((m) => (m.payload?.$case === 'ack' ? [m.payload.value.taskId] : []));
    return { call, received, ended, acks, send: (m: WorkerMessage) => call.write(m) };
  }

  close(): void {
    this.agents.close();
    this.tasks.close();
  }
}

function recordingLogger(): { logger: Logger; warnings: { message: string; meta: Record<string, unknown> }[] } {
  const warnings: { message: string; meta: Record<string, unknown> }[] = [];
  return { warnings, logger: { ...quietLogger, warn: (message, meta = {}) => warnings.push({ message, meta }) } };
}

describe('worker identity on the wire (rogue clients)', () => {
  let sock: ReturnType<typeof tempSocketDir>;
  const hubs: Hub[] = [];
  const agents: Agent[] = [];
  const raws: RawClient[] = [];

  beforeEach(() => {
    sock = tempSocketDir();
  });

  afterEach(async () => {
    await Promise.all(agents.splice(0).map((a) => a.close({ force: true })));
    for (const raw of raws.splice(0)) raw.close();
    await Promise.all(hubs.splice(0).map((h) => h.close()));
    sock.cleanup();
  });

  async function hubAt(options: HubOptions = {}, address = sock.address): Promise<{ hub: Hub; address: string }> {
    const hub = createHub({ leaseMs: 5000, ...options });
    hubs.push(hub);
    return { hub, address: await hub.listen(address) };
  }

  async function startAgent(address: string, handler: FakeHandler, options: Partial<AgentOptions> = {}) {
    const agent = Agent.create({
      handler,
      address,
      name: 'real-worker',
      ...fastAgentOptions,
      heartbeatIntervalMs: 100,
      ...options,
    });
    agents.push(agent);
    await agent.start();
    return agent;
  }

  function rawAt(address: string): RawClient {
    const raw = new RawClient(address);
    raws.push(raw);
    return raw;
  }

  test('heartbeat draining=true and Unregister with only the public id, a wrong token or another worker token fail UNAUTHENTICATED and change nothing', async () => {
    const { logger, warnings } = recordingLogger();
    const { hub, address } = await hubAt({ logger });
    const handler = new FakeHandler();
    await startAgent(address, handler);
    const rogue = rawAt(address);
    const listed = await rogue.listWorkers(0, '');
    const victimId = listed.workers[0]?.id as string;
    expect(victimId).toBeTruthy();
    const own = await rogue.register();

    for (const token of ['', 'guessed-token', own.registrationToken]) {
      expect(await codeOf(rogue.heartbeat(victimId, token, true))).toBe(status.UNAUTHENTICATED);
      expect(await codeOf(rogue.unregister(victimId, token))).toBe(status.UNAUTHENTICATED);
    }
    const victim = hub.workers().find((w) => w.id === victimId);
    expect(victim).toMatchObject({ draining: false, connected: true });
    expect(warnings.filter((w) => w.message === 'worker call with a bad token')).toHaveLength(6);

    // The victim still gets and finishes work.
    const handle = hub.submit({ taskId: 'after-rogue', tool: 'echo', params: { text: 'still here' } });
    expect(Buffer.from((await handle.result).stdout).toString()).toBe('still here');
    expect((await handle.result).state).toBe(TaskState.TASK_STATE_COMPLETED);
  });

  test('Work hello with a stolen id is refused with UNAUTHENTICATED and the real stream stays', async () => {
    const { hub, address } = await hubAt();
    const handler = new FakeHandler();
    const agent = await startAgent(address, handler);
    const rogue = rawAt(address);
    const own = await rogue.register();
    const victimId = agent.getAgentId() as string;
    for (const token of ['', own.registrationToken]) {
      const stolen = rogue.work(victimId, token);
      expect(await stolen.ended).toBe(status.UNAUTHENTICATED);
      expect(stolen.received).toEqual([]);
    }
    expect(agent.state).toBe('Ready');
    expect(hub.workers().find((w) => w.id === victimId)?.connected).toBe(true);
    const handle = hub.submit({ taskId: 'w1', tool: 'echo', params: { text: 'mine' } });
    expect((await handle.result).state).toBe(TaskState.TASK_STATE_COMPLETED);
  });

  test('finished, accepted, output and progress for a task not assigned to you are acked-and-ignored, never recorded', async () => {
    const { logger, warnings } = recordingLogger();
    const { hub, address } = await hubAt({ logger });
    const handler = new FakeHandler();
    const agent = await startAgent(address, handler, { labels: { pool: 'real' } });
    const rogue = rawAt(address);
    const own = await rogue.register({ metadata: { labels: { pool: 'rogue' } } });
    const stream = rogue.work(own.agentId, own.registrationToken);
    await eventually(() => stream.received.some((m) => m.payload?.$case === 'welcome'), 5000, 'welcome');

    const held = hub.submit({ taskId: 'held', tool: 'gate', selector: { pool: 'real' } });
    await handler.waitForRun('held');
    hub.submit({ taskId: 'queued', tool: 'echo', selector: { pool: 'nobody' } });
    const done = hub.submit({ taskId: 'done', tool: 'echo', params: { text: 'real' }, selector: { pool: 'real' } });
    await done.result;
    const events: string[] = [];
    const watchers = ['held', 'queued'].map((id) =>
      (async () => {
        for await (const e of hub.watch(id)) events.push(`${id}:${e.payload?.$case ?? ''}`);
      })(),
    );

    for (const taskId of ['held', 'queued', 'done']) {
      stream.send({ payload: { $case: 'accepted', value: { taskId, attempt: 1, startedAt: undefined } } });
      stream.send({
        payload: {
          $case: 'output',
          value: { taskId, stream: OutputStream.OUTPUT_STREAM_STDOUT, data: Buffer.from('forged'), offset: 0 },
        },
      });
      stream.send({ payload: { $case: 'progress', value: { taskId, percent: 1, message: 'x', containerId: 'x' } } });
      stream.send({
        payload: {
          $case: 'finished',
          value: TaskFinished.fromPartial({
            taskId,
            state: TaskState.TASK_STATE_FAILED,
            stdout: Buffer.from('forged'),
            attempt: 1,
          }),
        },
      });
    }
    await eventually(() => stream.acks().length === 3, 5000, 'acks for the forged results');
    expect(stream.acks()).toEqual(['held', 'queued', 'done']);
    expect(hub.getTask('held')).toMatchObject({ state: TaskState.TASK_STATE_RUNNING, agentId: agent.getAgentId() });
    expect(hub.getTask('queued')).toMatchObject({ state: TaskState.TASK_STATE_QUEUED, agentId: '' });
    expect(Buffer.from(hub.getTask('done')?.finished?.stdout ?? []).toString()).toBe('real');
    const ignored = warnings.filter((w) => w.message.startsWith('ignoring'));
    expect(ignored).toHaveLength(12);
    expect(ignored.every((w) => w.meta['agentId'] === own.agentId)).toBe(true);
    expect(ignored.map((w) => w.meta['taskId'])).toContain('held');

    handler.release('held');
    const result = await held.result;
    expect(result.state).toBe(TaskState.TASK_STATE_COMPLETED);
    hub.cancel('queued');
    await Promise.all(watchers);
    // Only the real worker's events reached the watchers.
    expect(events).not.toContain('held:output');
    expect(events).not.toContain('queued:accepted');
    expect(events.filter((e) => e.startsWith('held:'))).toEqual(['held:finished']);
    stream.call.end();
  });

  test('oversized names and labels fail INVALID_ARGUMENT naming the limit', async () => {
    const { hub, address } = await hubAt();
    const rogue = rawAt(address);
    const labels = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`k${i}`, 'v']));
    const bigName = rogue.register({ name: 'n'.repeat(500) });
    await expect(bigName).rejects.toMatchObject({
      code: status.INVALID_ARGUMENT,
      details: 'name: at most 128 bytes, got 500',
    });
    await expect(rogue.register({ metadata: { labels } })).rejects.toMatchObject({
      code: status.INVALID_ARGUMENT,
      details: 'labels: at most 32, got 40',
    });
    expect(hub.registrations).toBe(0);
  });

  test('a bounded flood of 2,000 maximal registrations is capped, expires, and leaves the hub serving real workers and ListWorkers pages', async () => {
    const clock = new ManualClock();
    const { hub, address } = await hubAt({ clock, maxRegistrations: 300, registrationTtlMs: 60_000 });
    const handler = new FakeHandler();
    const first = await startAgent(address, handler, { heartbeatIntervalMs: 60_000 });
    const rogue = rawAt(address);
    const maximal: RegisterFields = {
      name: 'n'.repeat(128),
      metadata: {
        labels: Object.fromEntries(Array.from({ length: 32 }, (_, i) => [`${i}`.padEnd(64, 'k'), 'v'.repeat(256)])),
        hostname: 'h'.repeat(256),
        tags: Array.from({ length: 128 }, () => 't'.repeat(128)),
      },
      capabilities: {
        supportedTools: Array.from({ length: 128 }, () => 'x'.repeat(128)),
        maxConcurrentTasks: 1,
      },
    };
    const codes = new Map<number | 'ok', number>();
    const started = Date.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: 20 }, async () => {
        while (next < 2000) {
          next += 1;
          const code = await codeOf(rogue.register(maximal));
          codes.set(code, (codes.get(code) ?? 0) + 1);
        }
      }),
    );
    const floodMs = Date.now() - started;
    expect(floodMs).toBeLessThan(45_000);
    console.log(`2000 maximal registrations in ${floodMs} ms: ${JSON.stringify(Object.fromEntries(codes))}`);
    expect(codes.get('ok')).toBe(299);
    expect(codes.get(status.RESOURCE_EXHAUSTED)).toBe(1701);
    expect(hub.registrations).toBe(300);

    // ListWorkers still answers, page by page, each under the cap; the client follows the pages.
    const sizes: number[] = [];
    let token = '';
    do {
      const page = await rogue.listWorkers(10_000, token);
      sizes.push(page.workers.length);
      token = page.nextPageToken;
    } while (token !== '');
    expect(Math.max(...sizes)).toBeLessThanOrEqual(100);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(300);
    const client = createHubClient(address);
    try {
      expect(await client.workers()).toHaveLength(300);

      // The flood never opened a Work stream: it expires; the connected worker stays.
      clock.advance(60_000);
      expect(hub.registrations).toBe(1);
      expect((await client.workers()).map((w) => w.id)).toEqual([first.getAgentId()]);
    } finally {
      client.close();
    }

    // A new real worker registers and gets tasks.
    const second = new FakeHandler();
    const late = await startAgent(address, second, { labels: { pool: 'late' } });
    const handle = hub.submit({
      taskId: 'post-flood',
      tool: 'echo',
      params: { text: 'ok' },
      selector: { pool: 'late' },
    });
    expect((await handle.result).state).toBe(TaskState.TASK_STATE_COMPLETED);
    expect(second.runs.map((r) => r.task.taskId)).toEqual(['post-flood']);
    expect(hub.getTask('post-flood')?.agentId).toBe(late.getAgentId());
  });

  test('the agent sends its token on heartbeat, hello and unregister, also after it resumed on a restarted hub', async () => {
    const dataDir = join(sock.dir, 'data');
    const { logger, warnings } = recordingLogger();
    const before = await hubAt({ dataDir, logger });
    const handler = new FakeHandler();
    const agent = await startAgent(before.address, handler);
    const agentId = agent.getAgentId();
    const resumed: boolean[] = [];
    agent.on('registered', (_id: string, wasResumed: boolean) => resumed.push(wasResumed));
    await eventually(() => agent.metrics().lastHeartbeatAt !== undefined, 5000, 'a heartbeat accepted');

    await before.hub.close();
    hubs.splice(hubs.indexOf(before.hub), 1);
    const after = await hubAt({ dataDir, logger });
    await eventually(() => after.hub.workers().some((w) => w.id === agentId && w.connected), 10000, 'resume');
    expect(resumed).toContain(true);
    const beat = agent.metrics().lastHeartbeatAt as number;
    await eventually(() => (agent.metrics().lastHeartbeatAt ?? 0) > beat, 5000, 'a heartbeat after resume');
    const handle = after.hub.submit({ taskId: 'resumed', tool: 'echo' });
    expect((await handle.result).state).toBe(TaskState.TASK_STATE_COMPLETED);

    await agent.drain({ timeoutMs: 1000 });
    expect(after.hub.workers()).toEqual([]);
    expect(warnings.filter((w) => w.message.includes('bad token'))).toEqual([]);
  });
});
