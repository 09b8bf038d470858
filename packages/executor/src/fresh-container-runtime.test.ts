import type { ContainerPlan } from './container-config';
import { FreshContainerRuntime } from './fresh-container-runtime';
import { ImageResolver } from './image-resolver';
import { quietLogger } from './logger';
import type { StepSpec } from './step-runtime';
import { FakeDocker } from './test-support/fake-docker';
import { ManualClock } from '@baaaht/test-utils';

const plan: ContainerPlan = {
  workerId: 'w-fresh',
  instanceId: 'i-fresh',
  version: '0',
  taskId: 't-fresh',
  tool: 'echo',
  image: 'img:echo',
  user: '65534:65534',
  workspaceMode: 'readonly',
  protectedPaths: [],
  allowHardlinks: false,
  cpus: 0.5,
  memoryBytes: 64 * 1024 * 1024,
  pidsLimit: 10,
  tmpfsBytes: 1024 * 1024,
  readOnlyRootfs: true,
  runtime: 'runc',
  deadlineMs: 0,
};

function setup() {
  const docker = new FakeDocker();
  const clock = new ManualClock();
  const events: string[] = [];
  const started: number[] = [];
  const images = new ImageResolver(docker, 'if-missing', quietLogger);
  const runtime = new FreshContainerRuntime({
    docker,
    clock,
    logger: quietLogger,
    images,
    maxConcurrentStarts: 1,
    onContainer: (e) => events.push(e),
    onContainerStarted: (_tool, seconds) => started.push(seconds),
  });
  const output: string[] = [];
  const spec = (argv: string[] = ['echo'], stdin?: string): StepSpec => ({
    taskId: 't-fresh',
    tool: 'echo',
    step: 0,
    plan,
    command: stdin === undefined ? { argv } : { argv, stdin },
    onOutput: (stream, chunk) => output.push(`${stream}:${chunk.toString()}`),
  });
  return { docker, clock, events, started, runtime, output, spec };
}

describe('FreshContainerRuntime', () => {
  it('creates, attaches before start, streams, reports the exit, then removes; no timer left', async () => {
    const s = setup();
    s.docker.program = (c) => {
      c.stdout('out');
      c.stderr('err');
      c.exit(4);
    };
    const containers: string[] = [];
    const step = await s.runtime.start(
      { ...s.spec(['echo'], 'in'), onContainer: (id) => containers.push(id) },
      new AbortController().signal,
    );
    expect(containers).toEqual([step.containerId]);
    expect(s.runtime.owns(step.containerId)).toBe(true);
    expect(await step.exit).toEqual({ exitCode: 4, oomKilled: false });
    expect(s.output).toEqual(['stdout:out', 'stderr:err']);
    expect(s.docker.calls).toEqual(['create', 'attach', 'start', 'remove']);
    expect(Buffer.concat(s.docker.containers[0]?.stdin ?? []).toString()).toBe('in');
    await s.runtime.idle();
    expect(s.runtime.owns(step.containerId)).toBe(false);
    expect(s.events).toEqual(['created', 'removed']);
    expect(s.started).toEqual([0]);
    expect(s.clock.pending).toEqual([]);
  });

  it('reports an OOM kill as data', async () => {
    const s = setup();
    s.docker.program = (c) => c.exit(137, true);
    const step = await s.runtime.start(s.spec(), new AbortController().signal);
    expect(await step.exit).toEqual({ exitCode: 137, oomKilled: true });
  });

  it('graceful stop: SIGTERM, and the grace timer is cleared when the process exits', async () => {
    const s = setup();
    s.docker.program = () => undefined;
    const step = await s.runtime.start(s.spec(), new AbortController().signal);
    await step.stop('graceful', 5000);
    expect(await step.exit).toMatchObject({ exitCode: 143 });
    await s.runtime.idle();
    expect(s.docker.containers[0]?.signals).toEqual(['SIGTERM']);
    expect(s.clock.pending).toEqual([]);
  });

  it('graceful stop of a process that ignores SIGTERM: SIGKILL once the grace period passes on the clock', async () => {
    const s = setup();
    s.docker.program = () => undefined;
    s.docker.ignoreSigterm = true;
    const step = await s.runtime.start(s.spec(), new AbortController().signal);
    const stopping = step.stop('graceful', 5000);
    await new Promise((r) => setImmediate(r));
    expect(s.clock.pending).toEqual([5000]);
    s.clock.advance(5000);
    await stopping;
    expect(await step.exit).toMatchObject({ exitCode: 137 });
    expect(s.docker.containers[0]?.signals).toEqual(['SIGTERM', 'SIGKILL']);
    await s.runtime.idle();
    expect(s.clock.pending).toEqual([]);
  });

  it('an abort before start removes the created container and rejects with the abort reason', async () => {
    const s = setup();
    let open!: () => void;
    s.docker.createGate = new Promise((r) => (open = r));
    const ac = new AbortController();
    const starting = s.runtime.start(s.spec(), ac.signal);
    await new Promise((r) => setImmediate(r));
    ac.abort({ reason: 'cancelled' });
    open();
    await expect(starting).rejects.toEqual({ reason: 'cancelled' });
    expect(s.docker.calls).toEqual(['create', 'remove']);
    expect(s.docker.live()).toHaveLength(0);
    expect(s.events).toEqual(['created', 'removed']);
  });

  it('an image the engine reports missing at create is IMAGE_NOT_FOUND; other failures DOCKER_ERROR', async () => {
    const s = setup();
    s.docker.createContainer = () => Promise.reject(Object.assign(new Error('No such image'), { statusCode: 404 }));
    await expect(s.runtime.start(s.spec(), new AbortController().signal)).rejects.toMatchObject({
      code: 'IMAGE_NOT_FOUND',
    });
    s.docker.createContainer = () => Promise.reject(Object.assign(new Error('boom'), { statusCode: 500 }));
    await expect(s.runtime.start(s.spec(), new AbortController().signal)).rejects.toMatchObject({
      code: 'DOCKER_ERROR',
      message: 'creating container: boom',
      taskId: 't-fresh',
    });
  });
});
