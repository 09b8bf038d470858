import type { ContainerRequest, PolicyEnforcer } from './policy-enforcer';
import { closeExecutors, MiB, open, tick, until } from './test-support/executor-fixture';

afterEach(closeExecutors);

describe('policy', () => {
  it('a denial is status denied with POLICY_DENIED and no container', async () => {
    const seen: ContainerRequest[] = [];
    const policy: PolicyEnforcer = {
      enforce(req) {
        seen.push(req);
        throw Object.assign(new Error('image not allowed'), {
          code: 'POLICY_DENIED',
          violations: [{ rule: 'images.allow' }],
        });
      },
    };
    const { ex, docker } = await open({ policy, sessionId: 'sess' });
    const r = await ex.executeTask({ tool: 'echo', params: { text: 'x' } });
    expect(r).toMatchObject({
      status: 'denied',
      exitCode: null,
      containerId: null,
      error: { code: 'POLICY_DENIED', detail: 'images.allow' },
    });
    expect(docker.calls).not.toContain('create');
    expect(seen[0]).toMatchObject({
      tool: 'echo',
      sessionId: 'sess',
      user: '65534:65534',
      privileged: false,
      capDrop: ['ALL'],
      readOnlyRootfs: true,
      network: 'none',
    });
    expect(ex.metrics().tasks.denied).toBe(1);
  });

  it('shows the policy which limits were explicitly requested, and their requested values', async () => {
    const seen: ContainerRequest[] = [];
    const policy: PolicyEnforcer = {
      enforce(req) {
        seen.push(req);
        return req;
      },
    };
    const { ex, docker } = await open({ policy });
    await ex.executeTask({ tool: 'echo', params: { text: 'x' }, limits: { memoryBytes: 32 * MiB, cpus: 4 } });
    expect(seen[0]?.resources).toEqual({
      nanoCpus: 500_000_000,
      memoryBytes: 32 * MiB,
      memorySwapBytes: 32 * MiB,
      pidsLimit: 10,
      requested: { nanoCpus: 4_000_000_000, memoryBytes: 32 * MiB },
    });
    expect(docker.containers[0]?.body.HostConfig).toMatchObject({ Memory: 32 * MiB, CpuQuota: 500_000 });
    await ex.executeTask({ tool: 'echo', params: { text: 'x' } });
    expect(seen[1]?.resources.requested).toBeUndefined();
  });

  it('a policy that throws anything else also denies (fail closed)', async () => {
    const { ex, docker } = await open({ policy: { enforce: () => Promise.reject(new Error('boom')) } });
    expect(await ex.executeTask({ tool: 'echo', params: { text: 'x' } })).toMatchObject({
      status: 'denied',
      error: { code: 'POLICY_DENIED' },
    });
    expect(docker.calls).not.toContain('create');
  });

  it('clamps from the policy are applied', async () => {
    const policy: PolicyEnforcer = {
      enforce: (req) => ({ ...req, resources: { ...req.resources, memoryBytes: 16 * MiB, memorySwapBytes: 16 * MiB } }),
    };
    const { ex, docker } = await open({ policy });
    await ex.executeTask({ tool: 'echo', params: { text: 'x' } });
    expect(docker.containers[0]?.body.HostConfig.Memory).toBe(16 * MiB);
  });

  it('takes one snapshot of a reloadable policy per task and keeps it for the whole task', async () => {
    let generation = 0;
    const used: number[] = [];
    const policy: PolicyEnforcer = {
      enforce: () => {
        throw new Error('the live enforcer must not be used when a snapshot exists');
      },
      snapshot() {
        const mine = ++generation;
        return {
          enforce: (req) => {
            used.push(mine);
            return req;
          },
        };
      },
    };
    const { ex } = await open({ policy });
    expect((await ex.executeTask({ tool: 'echo', params: { text: 'a' } })).status).toBe('completed');
    expect((await ex.executeTask({ tool: 'echo', params: { text: 'b' } })).status).toBe('completed');
    expect(used).toEqual([1, 2]);
  });
});

describe('queue, cancel, timeout, oom', () => {
  it('bounds the queue with QUEUE_FULL and cancels a queued task without creating anything', async () => {
    const { ex, docker } = await open({ maxConcurrentTasks: 1, maxQueuedTasks: 1 });
    docker.program = () => undefined;
    const running = ex.executeTask({ tool: 'echo', params: { text: 'hang' }, taskId: 'run' });
    await until(() => docker.containers.length === 1);
    const queued = ex.executeTask({ tool: 'echo', params: { text: 'x' }, taskId: 'q' });
    await until(() => ex.taskState('q') === 'queued');
    expect(await ex.executeTask({ tool: 'echo', params: { text: 'x' } })).toMatchObject({
      status: 'error',
      error: { code: 'QUEUE_FULL' },
    });
    expect(ex.metrics()).toMatchObject({ activeTasks: 1, queuedTasks: 1 });
    expect(ex.cancelTask('q')).toBe(true);
    expect(await queued).toMatchObject({ status: 'cancelled', containerId: null, error: { code: 'CANCELLED' } });
    expect(docker.containers).toHaveLength(1);
    ex.cancelTask('run', { force: true });
    await running;
  });

  it('liveTasks() lists queued and running tasks with tool, state, container and session, oldest first', async () => {
    const { ex, docker } = await open({ maxConcurrentTasks: 1, sessionId: 'default-session' });
    docker.program = () => undefined;
    expect(ex.liveTasks()).toEqual([]);
    const running = ex.executeTask({ tool: 'echo', params: { text: 'hang' }, taskId: 'run', sessionId: 's-1' });
    await until(() => docker.containers[0]?.started === true);
    const queued = ex.executeTask({ tool: 'echo', params: { text: 'x' }, taskId: 'q' });
    await until(() => ex.taskState('q') === 'queued');
    const live = ex.liveTasks();
    expect(live).toEqual([
      {
        taskId: 'run',
        tool: 'echo',
        state: 'running',
        startedAt: expect.any(Number),
        containerId: docker.containers[0]?.id,
        sessionId: 's-1',
      },
      {
        taskId: 'q',
        tool: 'echo',
        state: 'queued',
        startedAt: expect.any(Number),
        containerId: null,
        sessionId: 'default-session',
      },
    ]);
    expect(live[0]?.startedAt).toBeLessThanOrEqual(live[1]?.startedAt ?? 0);
    ex.cancelTask('q');
    ex.cancelTask('run', { force: true });
    await Promise.all([running, queued]);
    expect(ex.liveTasks()).toEqual([]);
  });

  it('cancelling while the container is being created leaves no container', async () => {
    const { ex, docker } = await open();
    let openGate!: () => void;
    docker.createGate = new Promise((r) => (openGate = r));
    const p = ex.executeTask({ tool: 'echo', params: { text: 'x' }, taskId: 'c' });
    await until(() => docker.calls.includes('create'));
    ex.cancelTask('c');
    openGate();
    const r = await p;
    expect(r).toMatchObject({ status: 'cancelled', error: { code: 'CANCELLED' } });
    expect(docker.calls).not.toContain('start');
    expect(docker.live()).toHaveLength(0);
  });

  it('graceful cancel sends SIGTERM, then SIGKILL after the grace period if needed', async () => {
    const { ex, docker } = await open({ gracePeriodMs: 30 });
    docker.program = () => undefined;
    docker.ignoreSigterm = true;
    const p = ex.executeTask({ tool: 'echo', params: { text: 'hang' }, taskId: 'g' });
    await until(() => docker.containers[0]?.started === true);
    ex.cancelTask('g');
    const r = await p;
    expect(r).toMatchObject({ status: 'cancelled', stopMode: 'graceful', exitCode: null });
    expect(docker.containers[0]?.signals).toEqual(['SIGTERM', 'SIGKILL']);
  });

  it('force cancel sends SIGKILL at once', async () => {
    const { ex, docker } = await open({ gracePeriodMs: 10_000 });
    docker.program = () => undefined;
    const p = ex.executeTask({ tool: 'echo', params: { text: 'hang' }, taskId: 'f' });
    await until(() => docker.containers[0]?.started === true);
    ex.cancelTask('f', { force: true });
    expect(await p).toMatchObject({ status: 'cancelled', stopMode: 'force' });
    expect(docker.containers[0]?.signals).toEqual(['SIGKILL']);
  });

  it('the caller signal cancels', async () => {
    const { ex, docker } = await open();
    docker.program = () => undefined;
    const ac = new AbortController();
    const p = ex.executeTask({ tool: 'echo', params: { text: 'hang' }, signal: ac.signal });
    await until(() => docker.containers[0]?.started === true);
    ac.abort();
    expect(await p).toMatchObject({ status: 'cancelled' });
  });

  it('a timeout stops the container and says so', async () => {
    const { ex, docker } = await open({ timeoutGracePeriodMs: 0 });
    const r = await ex.executeTask({ tool: 'echo', params: { text: 'hang' }, timeoutMs: 50 });
    expect(r).toMatchObject({ status: 'timeout', error: { code: 'TIMEOUT' }, stopMode: 'graceful' });
    expect(docker.containers[0]?.signals).toEqual(['SIGKILL']);
  });

  it('reports OOMKilled as oom', async () => {
    const { ex } = await open();
    expect(await ex.executeTask({ tool: 'echo', params: { text: 'oom' } })).toMatchObject({
      status: 'oom',
      error: { code: 'OOM' },
    });
  });

  it('limits concurrent container starts', async () => {
    const { ex, docker } = await open({ maxConcurrentTasks: 4, maxConcurrentStarts: 1 });
    let openGate!: () => void;
    docker.createGate = new Promise((r) => (openGate = r));
    const ps = [1, 2, 3].map((i) => ex.executeTask({ tool: 'echo', params: { text: String(i) } }));
    await tick(30);
    expect(docker.calls.filter((c) => c === 'create')).toHaveLength(1);
    openGate();
    const rs = await Promise.all(ps);
    expect(rs.map((r) => r.status)).toEqual(['completed', 'completed', 'completed']);
  });

  it('close() cancels live tasks and waits for removal', async () => {
    const { ex, docker } = await open();
    docker.program = () => undefined;
    const p = ex.executeTask({ tool: 'echo', params: { text: 'hang' } });
    await until(() => docker.containers[0]?.started === true);
    await ex.close();
    expect(await p).toMatchObject({ status: 'cancelled', error: { code: 'EXECUTOR_CLOSED' } });
    expect(docker.live()).toHaveLength(0);
    expect(ex.state).toBe('closed');
    expect(await ex.executeTask({ tool: 'echo', params: { text: 'x' } })).toMatchObject({
      status: 'error',
      error: { code: 'EXECUTOR_CLOSED' },
    });
  });
});

describe('images', () => {
  it('fails fast with IMAGE_NOT_FOUND naming the image and how to provide it', async () => {
    const { ex, docker } = await open({ pullPolicy: 'never', imageOverrides: { echo: 'missing:1' } });
    const r = await ex.executeTask({ tool: 'echo', params: { text: 'x' } });
    expect(r).toMatchObject({ status: 'error', error: { code: 'IMAGE_NOT_FOUND' } });
    expect(r.error?.message).toContain("'missing:1'");
    expect(r.error?.message).toContain('build-offline-images.sh');
    expect(r.error?.message).toContain('--tool-image echo=IMAGE');
    expect(docker.pulls).toEqual([]);
  });

  it('if-missing pulls once; a failed pull is IMAGE_NOT_FOUND', async () => {
    const { ex, docker } = await open({ imageOverrides: { echo: 'remote:1' } });
    expect(await ex.executeTask({ tool: 'echo', params: { text: 'x' } })).toMatchObject({
      error: { code: 'IMAGE_NOT_FOUND' },
    });
    docker.pullable.add('remote:1');
    expect(await ex.executeTask({ tool: 'echo', params: { text: 'x' } })).toMatchObject({ status: 'completed' });
    await ex.executeTask({ tool: 'echo', params: { text: 'x' } });
    expect(docker.pulls).toEqual(['remote:1', 'remote:1']);
  });

  it("'*' override applies to tools without their own entry", async () => {
    const { ex, docker } = await open({ imageOverrides: { '*': 'img:echo', file_read: 'other' } });
    await ex.executeTask({ tool: 'echo', params: { text: 'x' } });
    expect(docker.containers[0]?.body.Image).toBe('img:echo');
  });
});
