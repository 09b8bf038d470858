import { join } from 'node:path';
import { Agent } from '@baaaht/agent';
import { TaskState } from '@baaaht/proto';
import { FakeHandler, spawnFixture, workerFixturePath } from '@baaaht/test-utils';
import type { FixtureProcess } from '@baaaht/test-utils';
import { createHub, createHubClient } from './index';
import type { Hub, HubClient } from './index';
import { eventually, tempSocketDir } from './test-support/temp-socket';

jest.setTimeout(90000);

// Kill -9 of either side, with the other side real and in this process.
describe('crash recovery', () => {
  let sock: ReturnType<typeof tempSocketDir>;
  const children: FixtureProcess[] = [];
  const agents: Agent[] = [];
  let client: HubClient | undefined;
  let hub: Hub | undefined;

  beforeEach(() => {
    sock = tempSocketDir();
  });

  afterEach(async () => {
    client?.close();
    client = undefined;
    await Promise.all(agents.splice(0).map((a) => a.close({ force: true })));
    await Promise.all(children.splice(0).map((c) => c.kill('SIGKILL')));
    await hub?.close();
    hub = undefined;
    sock.cleanup();
  });

  function startHubProcess(): FixtureProcess {
    const child = spawnFixture(join(__dirname, 'test-support', 'hub-fixture.ts'), [
      sock.address,
      join(sock.dir, 'data'),
      '30000',
    ]);
    children.push(child);
    return child;
  }

  test('hub killed mid-task and restarted: worker resumes, each result recorded once and fetchable by id', async () => {
    let hubProcess = startHubProcess();
    await hubProcess.waitFor((l) => l['event'] === 'listening');

    const handler = new FakeHandler();
    const registrations: { agentId: string; resumed: boolean }[] = [];
    const reconnectIntervalMs = 300;
    const reconnectMaxIntervalMs = 1000;
    const agent = Agent.create({
      handler,
      address: sock.address,
      reconnectIntervalMs,
      reconnectMaxIntervalMs,
      heartbeatIntervalMs: 500,
    });
    agent.on('registered', (agentId: string, resumed: boolean) => registrations.push({ agentId, resumed }));
    agents.push(agent);
    await agent.start();
    const agentId = agent.getAgentId();

    client = createHubClient(sock.address);
    await client.submit({ taskId: 'k-running', tool: 'gate', params: { text: 'survived' } });
    await client.submit({ taskId: 'k-offline', tool: 'gate', params: { text: 'finished while away' } });
    // Nobody can take this one: it must still be queued after the restart.
    await client.submit({ taskId: 'k-queued', tool: 'echo', selector: { pool: 'elsewhere' } });
    await Promise.all([handler.waitForRun('k-running'), handler.waitForRun('k-offline')]);

    await hubProcess.kill('SIGKILL');
    await eventually(
      () => agent.state === 'TransientFailure' || agent.state === 'Connecting',
      10000,
      'agent to notice',
    );

    // Finishes while the hub is down: goes to the outbox.
    expect(handler.release('k-offline')).toBe(true);
    await eventually(() => agent.metrics().unacknowledged === 1, 5000, 'outbox');

    hubProcess = startHubProcess();
    await hubProcess.waitFor((l) => l['event'] === 'listening');
    const restartedAt = Date.now();
    await hubProcess.waitFor((l) => l['event'] === 'worker-connected', 10000);
    const reconnectMs = Date.now() - restartedAt;
    console.log(`worker reconnected ${reconnectMs} ms after the hub restart (started listening)`);
    // Backoff is capped at reconnectMaxIntervalMs (full jitter); allow a loose margin for the dial and a busy machine.
    expect(reconnectMs).toBeLessThan(reconnectMaxIntervalMs + 1500);
    expect(agent.getAgentId()).toBe(agentId);
    expect(registrations[registrations.length - 1]).toEqual({ agentId, resumed: true });

    await hubProcess.waitFor((l) => l['event'] === 'task-finished' && l['taskId'] === 'k-offline');
    expect(handler.release('k-running')).toBe(true);
    const running = await client.wait('k-running');
    expect(running.state).toBe(TaskState.TASK_STATE_COMPLETED);
    expect(Buffer.from(running.stdout).toString()).toBe('survived');

    const offline = await client.status('k-offline');
    expect(offline.state).toBe(TaskState.TASK_STATE_COMPLETED);
    expect(Buffer.from(offline.finished?.stdout ?? []).toString()).toBe('finished while away');
    expect((await client.status('k-queued')).state).toBe(TaskState.TASK_STATE_QUEUED);

    await eventually(() => agent.metrics().unacknowledged === 0, 5000, 'acks');
    const recorded = hubProcess.lines.filter((l) => l['event'] === 'task-finished').map((l) => l['taskId']);
    expect(recorded.sort()).toEqual(['k-offline', 'k-running']);
    expect(handler.runs.map((r) => r.task.taskId).sort()).toEqual(['k-offline', 'k-running']);
  });

  test('worker killed mid-task: the hub re-queues after the lease and another worker completes it', async () => {
    hub = createHub({ leaseMs: 800 });
    const address = await hub.listen(sock.address);
    const requeued: string[] = [];
    hub.on('task-requeued', (taskId, reason) => requeued.push(`${taskId}:${reason}`));

    const doomed = spawnFixture(workerFixturePath, [address, 'doomed']);
    children.push(doomed);
    const ready = await doomed.waitFor((l) => l['event'] === 'ready');

    const handle = hub.submit({ taskId: 'w-1', tool: 'gate', params: { text: 'second try' } });
    await doomed.waitFor((l) => l['event'] === 'run' && l['taskId'] === 'w-1');
    expect(hub.getTask('w-1')?.agentId).toBe(ready['agentId']);

    const handler = new FakeHandler();
    const rescuer = Agent.create({ handler, address, name: 'rescuer', heartbeatIntervalMs: 200 });
    agents.push(rescuer);
    await rescuer.start();
    void handler.waitForRun('w-1').then(() => handler.release('w-1'));

    const killedAt = Date.now();
    await doomed.kill('SIGKILL');
    const result = await handle.result;
    const took = Date.now() - killedAt;
    expect(result.state).toBe(TaskState.TASK_STATE_COMPLETED);
    expect(Buffer.from(result.stdout).toString()).toBe('second try');
    expect(result.attempt).toBe(2);
    expect(took).toBeGreaterThanOrEqual(700);
    expect(requeued).toEqual(['w-1:lease expired']);
    const task = hub.getTask('w-1');
    expect(task?.agentId).toBe(rescuer.getAgentId());
    expect(task?.attempts).toBe(2);
    expect(handler.runs).toHaveLength(1);
  });
});
