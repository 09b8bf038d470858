import { createToolCatalog } from '@baaaht/tool-specs';
import { ManualClock, RecordingMeter } from '@baaaht/test-utils';
import { createExecutor } from './executor';
import type { Executor } from './executor';
import type { ExecutorOptions } from './executor-options';
import { LABELS } from './labels';
import { POOL_METRICS } from './pool-metrics';
import { PooledContainerRuntime } from './pooled-container-runtime';
import { echo, echoProgram, tick, until } from './test-support/executor-fixture';
import { fakeAgentProgram, isAgentContainer } from './test-support/fake-agent';
import { FakeDocker } from './test-support/fake-docker';

const IDLE_MS = 30_000;

interface Harness {
  ex: Executor;
  docker: FakeDocker;
  clock: ManualClock;
  meter: RecordingMeter;
  runtime: () => PooledContainerRuntime;
  pooled: () => ReturnType<FakeDocker['live']>;
}

const opened: Executor[] = [];

async function harness(options: ExecutorOptions = {}): Promise<Harness> {
  const docker = new FakeDocker();
  docker.images.add('img:echo');
  docker.program = fakeAgentProgram((argv) => {
    const [, text, code] = argv;
    return { stdout: text ?? '', stderr: 'err', exitCode: Number(code ?? 0) };
  }, echoProgram);
  const clock = new ManualClock();
  const meter = new RecordingMeter();
  let runtime: PooledContainerRuntime | undefined;
  const ex = await createExecutor({
    docker,
    clock,
    metrics: meter,
    workerId: 'w-pool',
    reapIntervalMs: 0,
    catalog: createToolCatalog({ custom: [echo] }),
    stepRuntime: (ctx) =>
      (runtime = new PooledContainerRuntime(ctx, {
        perKey: 1,
        idleMs: IDLE_MS,
        maxContainers: 8,
        maxTimeoutMs: 600_000,
        agentPath: '/opt/baaaht/baaaht-sandbox-agent',
        meter,
      })),
    ...options,
  });
  opened.push(ex);
  return {
    ex,
    docker,
    clock,
    meter,
    runtime: () => runtime as PooledContainerRuntime,
    pooled: () => docker.live().filter(isAgentContainer),
  };
}

/** Waits until the pool has a container waiting for its call. */
async function ready(h: Harness, n = 1): Promise<void> {
  await until(() => h.runtime().poolCounts().ready === n);
}

afterEach(async () => {
  await Promise.all(opened.splice(0).map((e) => e.close({ force: true })));
});

describe('warm pool on the fake engine', () => {
  it('serves the second call of a key from a container started ahead, one container per call', async () => {
    const h = await harness();
    const first = await h.ex.executeTask({ tool: 'echo', params: { text: 'hello' } });
    await ready(h);
    const [waiting] = h.pooled();
    expect(waiting?.body.Labels).toMatchObject({
      [LABELS.pool]: '1',
      [LABELS.workerId]: 'w-pool',
      [LABELS.instanceId]: h.ex.instanceId,
      [LABELS.poolIdleDeadline]: String(IDLE_MS),
      [LABELS.deadline]: String(IDLE_MS + 600_000),
    });
    expect(waiting?.body.Labels[LABELS.taskId]).toBeUndefined();
    expect(waiting?.body.HostConfig.Mounts).toContainEqual({
      Type: 'bind',
      Source: '/opt/baaaht/baaaht-sandbox-agent',
      Target: '/.baaaht/sandbox-agent',
      ReadOnly: true,
    });
    const second = await h.ex.executeTask({ tool: 'echo', params: { text: 'hello' } });
    expect(second).toMatchObject({ status: 'completed', stdout: first.stdout, stderr: first.stderr, exitCode: 0 });
    expect(second.containerId).toBe(waiting?.id);
    expect(second.containerId).not.toBe(first.containerId);
    expect(h.meter.total(POOL_METRICS.hits, { tool: 'echo' })).toBe(1);
    expect(h.meter.total(POOL_METRICS.misses, { tool: 'echo', reason: 'empty' })).toBe(1);
    // The argv travelled as a RUN frame; the container's own argv is only the agent.
    expect(waiting?.body.Cmd).toEqual(['/.baaaht/sandbox-agent', '--once']);
  });

  it('keeps exit codes: a failing call reports the agent’s exit status', async () => {
    const h = await harness();
    await h.ex.executeTask({ tool: 'echo', params: { text: 'x', code: 3 } });
    await ready(h);
    const r = await h.ex.executeTask({ tool: 'echo', params: { text: 'x', code: 3 } });
    expect(h.meter.total(POOL_METRICS.hits)).toBe(1);
    expect(r).toMatchObject({ status: 'failed', exitCode: 3, stdout: 'x' });
  });

  it('a call whose limits differ is a miss (another key)', async () => {
    const h = await harness();
    await h.ex.executeTask({ tool: 'echo', params: { text: 'a' } });
    await ready(h);
    const r = await h.ex.executeTask({
      tool: 'echo',
      params: { text: 'a' },
      limits: { memoryBytes: 32 * 1024 * 1024 },
    });
    expect(r.status).toBe('completed');
    expect(h.meter.total(POOL_METRICS.hits)).toBe(0);
    expect(h.meter.total(POOL_METRICS.misses, { reason: 'empty' })).toBe(2);
  });

  it('removes a container past its idle timeout and clears its timer', async () => {
    const h = await harness();
    await h.ex.executeTask({ tool: 'echo', params: { text: 'a' } });
    await ready(h);
    expect(h.clock.pending).toContain(IDLE_MS);
    h.clock.advance(IDLE_MS);
    await h.ex.idle();
    expect(h.pooled()).toEqual([]);
    expect(h.clock.pending).not.toContain(IDLE_MS);
    expect(h.meter.total(POOL_METRICS.discarded, { reason: 'idle' })).toBe(1);
    expect(h.meter.last(POOL_METRICS.containers, { state: 'ready' })).toBe(0);
  });

  it('a taken container’s idle timer is cleared', async () => {
    const h = await harness();
    await h.ex.executeTask({ tool: 'echo', params: { text: 'a' } });
    await ready(h);
    await h.ex.executeTask({ tool: 'echo', params: { text: 'a' } });
    await ready(h);
    // One timer for the new waiting container, none left for the taken one.
    expect(h.clock.pending.filter((ms) => ms === IDLE_MS)).toHaveLength(1);
  });

  it('invalidatePool removes the waiting containers; the next call starts cold and refills', async () => {
    const h = await harness();
    await h.ex.executeTask({ tool: 'echo', params: { text: 'a' } });
    await ready(h);
    expect(h.ex.invalidatePool('policy reloaded')).toBe(1);
    await h.ex.idle();
    expect(h.pooled()).toEqual([]);
    expect(h.meter.total(POOL_METRICS.discarded, { reason: 'invalidated' })).toBe(1);
    expect(h.clock.pending).not.toContain(IDLE_MS);
    const r = await h.ex.executeTask({ tool: 'echo', params: { text: 'a' } });
    expect(r.status).toBe('completed');
    expect(h.meter.total(POOL_METRICS.hits)).toBe(0);
    await ready(h);
  });

  it('close() removes every pooled container and leaves no timer', async () => {
    const h = await harness();
    await h.ex.executeTask({ tool: 'echo', params: { text: 'a' } });
    await ready(h);
    await h.ex.close();
    expect(h.docker.live()).toEqual([]);
    expect(h.runtime().poolState).toBe('closed');
    expect(h.clock.pending).not.toContain(IDLE_MS);
    expect(h.meter.total(POOL_METRICS.discarded, { reason: 'closed' })).toBe(1);
  });

  it('a container that died while waiting is discarded and the call falls back to a cold start', async () => {
    const h = await harness();
    await h.ex.executeTask({ tool: 'echo', params: { text: 'a' } });
    await ready(h);
    const [waiting] = h.pooled();
    waiting?.exit(137);
    await until(() => h.meter.total(POOL_METRICS.discarded, { reason: 'died' }) === 1);
    const r = await h.ex.executeTask({ tool: 'echo', params: { text: 'a' } });
    expect(r).toMatchObject({ status: 'completed', stdout: 'a' });
    expect(r.containerId).not.toBe(waiting?.id);
    expect(h.meter.total(POOL_METRICS.hits)).toBe(0);
  });

  it('a newer image under the same name invalidates its containers; the call falls back', async () => {
    const h = await harness();
    await h.ex.executeTask({ tool: 'echo', params: { text: 'a' } });
    await ready(h);
    h.docker.imageIds.set('img:echo', 'sha256:newer');
    const r = await h.ex.executeTask({ tool: 'echo', params: { text: 'a' } });
    expect(r.status).toBe('completed');
    expect(h.meter.total(POOL_METRICS.misses, { reason: 'image-changed' })).toBe(1);
    // Refilled with the new image's key; the next call is a hit again.
    await ready(h);
    await h.ex.executeTask({ tool: 'echo', params: { text: 'a' } });
    expect(h.meter.total(POOL_METRICS.hits)).toBe(1);
  });

  it('owns() covers pooled containers, so the reaper leaves them alone', async () => {
    const h = await harness();
    await h.ex.executeTask({ tool: 'echo', params: { text: 'a' } });
    await ready(h);
    expect(await h.ex.reap()).toBe(0);
    expect(h.pooled()).toHaveLength(1);
  });

  it('holds at most perKey containers ahead, whatever the number of calls', async () => {
    const h = await harness();
    await Promise.all([1, 2, 3].map(() => h.ex.executeTask({ tool: 'echo', params: { text: 'a' } })));
    await ready(h);
    await h.ex.idle();
    await tick();
    expect(h.pooled()).toHaveLength(1);
  });

  it('liveTasks shows the pooled container id of a running call', async () => {
    const h = await harness();
    await h.ex.executeTask({ tool: 'echo', params: { text: 'a' } });
    await ready(h);
    const [waiting] = h.pooled();
    let seen: string | null = null;
    const r = await h.ex.executeTask({
      tool: 'echo',
      params: { text: 'a' },
      onEvent: (e) => {
        if (e.type === 'started') seen = h.ex.liveTasks()[0]?.containerId ?? null;
      },
    });
    expect(r.containerId).toBe(waiting?.id);
    expect(seen).toBe(waiting?.id);
  });
});
