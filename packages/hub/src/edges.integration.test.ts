import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client, credentials, Metadata, status } from '@grpc/grpc-js';
import type { ServiceError } from '@grpc/grpc-js';
import { Agent } from '@baaaht/agent';
import type { ConnectionState } from '@baaaht/agent';
import { AgentHealthCheckResponse, Empty, TaskState } from '@baaaht/proto';
import { FakeHandler } from '@baaaht/test-utils';
import { createHub, createHubClient } from './index';
import type { Hub } from './index';
import { eventually, tempSocketDir } from './test-support/temp-socket';

jest.setTimeout(60000);

const identity = (b: Buffer): Buffer => b;

/** A raw client that sends arbitrary bytes, to prove bad input cannot take the hub down. */
function rawUnary(target: string, path: string, body: Buffer): Promise<ServiceError | Buffer> {
  const client = new Client(target, credentials.createInsecure());
  return new Promise((resolve) => {
    client.makeUnaryRequest(
      path,
      identity,
      identity,
      body,
      new Metadata(),
      { deadline: Date.now() + 5000 },
      (err, res) => {
        client.close();
        resolve(err ?? (res as Buffer));
      },
    );
  });
}

function health(target: string): Promise<ServiceError | Buffer> {
  return rawUnary(target, '/agent.v1.AgentService/HealthCheck', Buffer.from(Empty.encode({}).finish()));
}

describe('protocol edges', () => {
  let sock: ReturnType<typeof tempSocketDir>;
  const hubs: Hub[] = [];
  const agents: Agent[] = [];

  beforeEach(() => {
    sock = tempSocketDir();
  });

  afterEach(async () => {
    await Promise.all(agents.splice(0).map((a) => a.close({ force: true })));
    await Promise.all(hubs.splice(0).map((h) => h.close()));
    sock.cleanup();
  });

  async function hubAt(
    options: Parameters<typeof createHub>[0] = {},
    address = sock.address,
  ): Promise<{ hub: Hub; address: string }> {
    const hub = createHub(options);
    hubs.push(hub);
    return { hub, address: await hub.listen(address) };
  }

  test('malformed and oversized messages get an error status and the hub keeps serving', async () => {
    const { address } = await hubAt({ maxReceiveMessageBytes: 4096 });
    const garbage = await rawUnary(
      address,
      '/agent.v1.TaskService/SubmitTask',
      Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f, 0x01]),
    );
    expect((garbage as ServiceError).code).toBeDefined();
    const oversized = await rawUnary(address, '/agent.v1.TaskService/SubmitTask', Buffer.alloc(64 * 1024, 0x0a));
    expect((oversized as ServiceError).code).toBe(status.RESOURCE_EXHAUSTED);

    // Garbage on the Work stream ends that stream only.
    const client = new Client(address, credentials.createInsecure());
    const stream = client.makeBidiStreamRequest('/agent.v1.AgentService/Work', identity, identity, new Metadata());
    const ended = new Promise<number>((resolve) => {
      stream.on('error', (err: ServiceError) => resolve(err.code));
      stream.on('data', () => undefined);
    });
    stream.write(Buffer.from([0x0a, 0xff, 0xff, 0xff]));
    expect(await ended).not.toBe(status.OK);
    client.close();

    const ok = await health(address);
    expect(Buffer.isBuffer(ok)).toBe(true);
    expect(AgentHealthCheckResponse.decode(ok as Buffer).version).toBe('0.1.0');
  });

  test('bearer token: required on every call when configured', async () => {
    const { hub, address } = await hubAt({ bearerToken: 'sekret' });
    const anonymous = createHubClient(address);
    await expect(anonymous.workers()).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    anonymous.close();

    const stranger = Agent.create({
      handler: new FakeHandler(),
      address,
      reconnectIntervalMs: 10,
      reconnectMaxAttempts: 1,
      bearerToken: 'wrong',
    });
    agents.push(stranger);
    // A refused token is not retried as if transient (issue 13): the agent stops at once.
    await expect(stranger.start()).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });

    const handler = new FakeHandler();
    const member = Agent.create({ handler, address, bearerToken: 'sekret' });
    agents.push(member);
    await member.start();
    const client = createHubClient(address, { bearerToken: 'sekret' });
    try {
      const { taskId } = await client.submit({ tool: 'echo', params: { text: 'authorised' } });
      const finished = await client.wait(taskId);
      expect(Buffer.from(finished.stdout).toString()).toBe('authorised');
      expect(hub.workers().map((w) => w.id)).toEqual([member.getAgentId()]);
    } finally {
      client.close();
    }
  });

  test('mutual TLS over loopback TCP', async () => {
    const dir = sock.dir;
    const run = (...args: string[]): void => void execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
    const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
    run('req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '1', '-subj', '/CN=test-ca');
    writeFileSync(join(dir, 'san.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
    for (const name of ['server', 'client']) {
      run('req', ...ec, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`);
      run(
        'x509',
        '-req',
        '-in',
        `${name}.csr`,
        '-CA',
        'ca.crt',
        '-CAkey',
        'ca.key',
        '-CAcreateserial',
        '-out',
        `${name}.crt`,
        '-days',
        '1',
        '-extfile',
        'san.ext',
      );
    }
    const file = (n: string): string => join(dir, n);
    const { address } = await hubAt(
      { tls: { certFile: file('server.crt'), keyFile: file('server.key'), caFile: file('ca.crt') } },
      '127.0.0.1:0',
    );
    expect(address).toMatch(/^127\.0\.0\.1:\d+$/);

    const handler = new FakeHandler();
    const agent = Agent.create({
      handler,
      address,
      tls: { caFile: file('ca.crt'), certFile: file('client.crt'), key: readFileSync(file('client.key')) },
    });
    agents.push(agent);
    await agent.start();

    // Without a client certificate the hub refuses the connection.
    const noCert = Agent.create({
      handler,
      address,
      tls: { caFile: file('ca.crt') },
      reconnectIntervalMs: 10,
      reconnectMaxAttempts: 1,
      dialTimeoutMs: 3000,
    });
    agents.push(noCert);
    await expect(noCert.start()).rejects.toMatchObject({ code: 'RECONNECT_EXHAUSTED' });

    const client = createHubClient(address, {
      tls: { caFile: file('ca.crt'), certFile: file('client.crt'), keyFile: file('client.key') },
    });
    try {
      const { taskId } = await client.submit({ tool: 'echo', params: { text: 'over tls' } });
      expect(Buffer.from((await client.wait(taskId)).stdout).toString()).toBe('over tls');
    } finally {
      client.close();
    }
  });

  test('WatchTask streams live events, then replays the result for a finished task', async () => {
    const { address } = await hubAt();
    const handler = new FakeHandler();
    const agent = Agent.create({ handler, address });
    agents.push(agent);
    await agent.start();
    const client = createHubClient(address);
    try {
      await client.submit({ taskId: 'w', tool: 'gate', params: { text: 'watched' } });
      await handler.waitForRun('w');
      const seen: string[] = [];
      const watching = (async () => {
        for await (const e of client.watch('w')) seen.push(e.payload?.$case ?? '?');
      })();
      await new Promise((r) => setTimeout(r, 100));
      handler.release('w');
      await watching;
      expect(seen[0]).toBe('assigned');
      expect(seen[seen.length - 1]).toBe('finished');
      const replay: string[] = [];
      for await (const e of client.watch('w')) replay.push(e.payload?.$case ?? '?');
      expect(replay).toEqual(['finished']);
      expect((await client.status('w')).state).toBe(TaskState.TASK_STATE_COMPLETED);
      const cancel = await client.cancel('w');
      expect(cancel.cancelled).toBe(false);
    } finally {
      client.close();
    }
  });

  test('the reconnect budget is per outage: three outages, each shorter than the budget, together longer', async () => {
    let { hub, address } = await hubAt();
    const handler = new FakeHandler();
    const agent = Agent.create({
      handler,
      address,
      reconnectIntervalMs: 100,
      reconnectMaxIntervalMs: 100,
      reconnectJitter: 'none',
      reconnectMaxAttempts: 6,
    });
    agents.push(agent);
    const states: ConnectionState[] = [];
    agent.on('state', (s: ConnectionState) => states.push(s));
    await agent.start();
    const firstId = agent.getAgentId();
    for (let outage = 0; outage < 3; outage++) {
      await hub.close();
      hubs.splice(hubs.indexOf(hub), 1);
      // Long enough for about three failed attempts: three outages spend more than the budget of six.
      await eventually(
        () => states.filter((s) => s === 'TransientFailure').length >= 3 * (outage + 1),
        10000,
        'failed attempts',
      );
      ({ hub, address } = await hubAt({}, sock.address));
      await eventually(() => agent.state === 'Ready' && agent.metrics().reconnects === outage + 1, 10000, 'reconnect');
    }
    const failures = states.filter((s) => s === 'TransientFailure').length;
    expect(failures).toBeGreaterThan(6);
    expect(states).not.toContain('Shutdown');
    // A memory hub forgets sessions, so the resume is unknown and the worker registers anew.
    expect(agent.getAgentId()).not.toBe(firstId);
    const result = await hub.submit({ tool: 'echo', params: { text: 'still here' } }).result;
    expect(Buffer.from(result.stdout).toString()).toBe('still here');
  });
});
