/**
 * Every field of an assignment reaches the container, through the real binaries: `orchestrator serve`
 * on a temp socket, a real `worker` with a policy that has quotas, tasks submitted with limits, a
 * session id and labels through `createHubClient` (`orchestrator exec` has no flags for them), and the
 * running container inspected with `docker inspect`. A request above a quota is denied naming the quota
 * and the engine never creates a container for it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { createHubClient } from '@baaaht/hub';
import type { HubClient } from '@baaaht/hub';
import { TaskState } from '@baaaht/proto';
import {
  OFFLINE_BUSYBOX_IMAGE,
  OFFLINE_CURL_IMAGE,
  containersCreatedWithLabel,
  containersWithLabel,
  createTempWorkspace,
  inspectContainer,
  runScopedName,
} from '@baaaht/test-utils';
import type { TempWorkspace } from '@baaaht/test-utils';
import { cleanEnv, leftoverContainers, waitUntil } from './test-support/cli-process';
import { startCliStack } from './test-support/cli-stack';
import type { CliStack } from './test-support/cli-stack';
import { loopbackPolicyYaml, startFakeWeb } from './test-support/fake-web';
import type { FakeWeb } from './test-support/fake-web';

jest.setTimeout(120_000);

const MiB = 2 ** 20;
const GiB = 2 ** 30;
const IMAGES = `*=${OFFLINE_BUSYBOX_IMAGE},fetch_url=${OFFLINE_CURL_IMAGE}`;
const workerName = runScopedName('limits-e2e');

let ws: TempWorkspace;
let web: FakeWeb;
let stack: CliStack;
let client: HubClient;

beforeAll(async () => {
  ws = createTempWorkspace({ files: { 'notes.txt': 'alpha\n' }, owner: { uid: 1234, gid: 1234 } });
  web = await startFakeWeb();
  const policyFile = path.join(cleanEnv()['HOME'] as string, 'limits-policy.yaml');
  // The web tools' defaults (0.2 CPU, 128 MiB, 10 pids) are inside these quotas.
  fs.writeFileSync(
    policyFile,
    loopbackPolicyYaml(ws.dir, web.port) +
      `quotas:\n  max_memory: ${GiB}\n  max_cpus: 1000000000\n  max_pids: 100\n  max_memory_swap: 0\n`,
  );
  // --no-pool: the teardown SIGKILLs the worker, and a killed worker's waiting pool container (which exits
  // when its attach drops) is only removed by the next reap of a restarted worker, which this test never starts.
  stack = await startCliStack({ workerName, policyFile, images: IMAGES, workerArgs: ['--no-pool'] });
  client = createHubClient(stack.addr);
});

afterAll(async () => {
  client?.close();
  await stack?.stop();
  await web?.close();
  ws?.cleanup();
  expect(leftoverContainers(workerName)).toEqual([]);
});

describe('an assignment reaches the container (real hub, real worker, real engine)', () => {
  it('tighter memory, CPU and pids limits, the session id and the labels are on the running container', async () => {
    const taskId = `limits-${process.pid}`;
    const slow = `/slow?ms=60000&t=${taskId}`;
    await client.submit({
      taskId,
      tool: 'fetch_url',
      params: { url: web.url(slow) },
      sessionId: 'session-e2e',
      labels: { team: 'search', 'run.id': 'r-7' },
      limits: { memoryBytes: 96 * MiB, nanoCpus: 150_000_000, pidsLimit: 8 },
    });
    // The request reaching the test server means the tool's container is running now.
    await waitUntil(() => web.requests.includes(slow));
    const [id] = containersWithLabel(`org.baaaht.task-id=${taskId}`);
    expect(id).toBeDefined();
    const c = inspectContainer(id as string);
    expect(c.State.Running).toBe(true);
    expect(c.HostConfig).toMatchObject({
      Memory: 96 * MiB,
      MemorySwap: 96 * MiB,
      PidsLimit: 8,
      CpuPeriod: 1_000_000,
      CpuQuota: 150_000,
    });
    expect(c.Config.Labels).toMatchObject({
      'org.baaaht.session-id': 'session-e2e',
      'org.baaaht.task-id': taskId,
      'org.baaaht.worker-id': workerName,
      'org.baaaht.managed': 'true',
      'org.baaaht.label.team': 'search',
      'org.baaaht.label.run.id': 'r-7',
    });

    await client.cancel(taskId, { force: true, reason: 'test done' });
    const finished = await client.wait(taskId);
    expect(finished.state).toBe(TaskState.TASK_STATE_CANCELLED);
  });

  it('a limit above a policy quota is denied naming the quota, and no container is ever created', async () => {
    const since = Date.now();
    const taskId = `over-quota-${process.pid}`;
    await client.submit({
      taskId,
      tool: 'file_read',
      params: { path: 'notes.txt' },
      mountSource: ws.dir,
      sessionId: 'session-e2e',
      limits: { memoryBytes: 2 * GiB },
    });
    const finished = await client.wait(taskId);
    expect(finished.state).toBe(TaskState.TASK_STATE_DENIED);
    expect(finished.containerId).toBe('');
    expect(finished.error?.code).toBe('POLICY_DENIED');
    expect(finished.error?.message).toContain('memory 2 GiB exceeds the policy quota quotas.max_memory 1 GiB');
    expect(containersCreatedWithLabel(`org.baaaht.task-id=${taskId}`, since)).toEqual([]);

    // The same task within the quota runs, so the denial was the limit's doing.
    const ok = `within-quota-${process.pid}`;
    await client.submit({
      taskId: ok,
      tool: 'file_read',
      params: { path: 'notes.txt' },
      mountSource: ws.dir,
      limits: { memoryBytes: 32 * MiB },
    });
    const done = await client.wait(ok);
    expect(done.state).toBe(TaskState.TASK_STATE_COMPLETED);
    expect(Buffer.from(done.stdout).toString()).toBe('alpha\n');
    // The event log does show a creation when there is one.
    expect(containersCreatedWithLabel(`org.baaaht.task-id=${ok}`, since)).toHaveLength(1);
  });

  it('a label that is not Docker label syntax is refused before any container, saying which', async () => {
    const since = Date.now();
    const taskId = `bad-label-${process.pid}`;
    await client.submit({
      taskId,
      tool: 'file_read',
      params: { path: 'notes.txt' },
      mountSource: ws.dir,
      labels: { 'Not A Key': 'x' },
    });
    const finished = await client.wait(taskId);
    expect(finished.state).toBe(TaskState.TASK_STATE_ERROR);
    expect(finished.error?.code).toBe('INVALID_REQUEST');
    expect(finished.error?.message).toMatch(/labels: key "Not A Key" is not a label key/);
    expect(containersCreatedWithLabel(`org.baaaht.task-id=${taskId}`, since)).toEqual([]);
  });
});
