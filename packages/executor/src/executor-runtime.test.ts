import { ExecutorError } from './errors';
import type { LiveTaskInfo, TaskEvent } from './task-types';
import { MiB } from './test-support/executor-fixture';
import { closeHarnesses, harness, settled, until } from './test-support/runtime-fixture';

/** The executor against the fake step runtime: everything above the seam, no Docker below it. */

afterEach(closeHarnesses);

describe('the executor on a fake step runtime', () => {
  it('completes: output through the caps, events in order, the plan handed to the runtime', async () => {
    const h = await harness();
    h.runtime.script = () => ({
      output: [
        ['stdout', 'hel'],
        ['stdout', 'lo'],
        ['stderr', 'warn'],
      ],
    });
    const events: TaskEvent[] = [];
    const r = await h.ex.executeTask({
      tool: 'echo',
      params: { text: 'hello' },
      taskId: 't-ok',
      onEvent: (e) => events.push(e),
    });
    expect(r).toMatchObject({
      taskId: 't-ok',
      status: 'completed',
      exitCode: 0,
      stdout: 'hello',
      stderr: 'warn',
      truncated: false,
      containerId: h.runtime.steps[0]?.containerId,
    });
    expect(r.stopMode).toBeUndefined();
    expect(events.map((e) => e.type)).toEqual(['queued', 'started', 'stdout', 'stdout', 'stderr', 'exited']);
    expect(events[1]).toMatchObject({ type: 'started', containerId: h.runtime.steps[0]?.containerId, step: 0 });
    const spec = h.runtime.steps[0]?.spec;
    expect(spec?.command.argv).toEqual(['echo', 'hello', '0']);
    expect(spec?.plan).toMatchObject({ taskId: 't-ok', tool: 'echo', image: 'img:echo', memoryBytes: 64 * MiB });
    await settled(h);
  });

  it('a non-zero exit is failed with TOOL_FAILED and keeps the output', async () => {
    const h = await harness();
    h.runtime.script = () => ({ output: [['stderr', 'bad input']], exitCode: 3 });
    const r = await h.ex.executeTask({ tool: 'echo', params: { text: 'x' } });
    expect(r).toMatchObject({ status: 'failed', exitCode: 3, stderr: 'bad input', error: { code: 'TOOL_FAILED' } });
    expect(r.error?.message).toBe('echo exited with code 3');
    await settled(h);
  });

  it('a runtime that cannot start the step is an error with its code', async () => {
    const h = await harness();
    h.runtime.script = () => ({ startError: new ExecutorError('DOCKER_ERROR', 'creating container: boom') });
    expect(await h.ex.executeTask({ tool: 'echo', params: { text: 'x' } })).toMatchObject({
      status: 'error',
      containerId: null,
      error: { code: 'DOCKER_ERROR', message: 'creating container: boom' },
    });
    await settled(h);
  });

  it('times out on the injected clock: graceful stop, then the kill after the timeout grace; partial output kept', async () => {
    const h = await harness({ timeoutGracePeriodMs: 500 });
    h.runtime.script = () => ({ output: [['stdout', 'partial']], hang: true, ignoreGraceful: true });
    const p = h.ex.executeTask({ tool: 'echo', params: { text: 'x' }, timeoutMs: 1000, taskId: 't-to' });
    await until(() => h.ex.liveTasks()[0]?.state === 'running');
    expect(h.clock.pending).toEqual([1000]);
    h.clock.advance(999);
    expect(h.ex.taskState('t-to')).toBe('running');
    h.clock.advance(1);
    expect(h.ex.taskState('t-to')).toBe('stopping');
    expect(h.runtime.steps[0]?.stops).toEqual([{ mode: 'graceful', graceMs: 500 }]);
    expect(h.clock.pending).toEqual([500]);
    h.clock.advance(500);
    const r = await p;
    expect(r).toMatchObject({
      status: 'timeout',
      exitCode: null,
      stopMode: 'graceful',
      stdout: 'partial',
      error: { code: 'TIMEOUT', message: 'echo timed out' },
    });
    expect(h.runtime.steps[0]?.signals).toEqual(['SIGTERM', 'SIGKILL']);
    await settled(h);
  });

  it('the timeout excludes time spent queued', async () => {
    const h = await harness({ maxConcurrentTasks: 1 });
    h.runtime.script = (s) => (s.taskId === 'first' ? { hang: true } : {});
    const first = h.ex.executeTask({ tool: 'echo', params: { text: 'x' }, taskId: 'first', timeoutMs: 5000 });
    await until(() => h.ex.taskState('first') === 'running');
    const second = h.ex.executeTask({ tool: 'echo', params: { text: 'y' }, taskId: 'second', timeoutMs: 100 });
    await until(() => h.ex.taskState('second') === 'queued' && h.ex.metrics().queuedTasks === 1);
    h.clock.advance(4000);
    expect(h.ex.taskState('second')).toBe('queued');
    h.ex.cancelTask('first', { force: true });
    expect((await first).status).toBe('cancelled');
    expect((await second).status).toBe('completed');
    await settled(h);
  });

  it('graceful cancel asks first and kills after gracePeriodMs; force kills at once', async () => {
    const h = await harness({ gracePeriodMs: 2000 });
    h.runtime.script = () => ({ hang: true, ignoreGraceful: true });
    const graceful = h.ex.executeTask({ tool: 'echo', params: { text: 'x' }, taskId: 'g' });
    await until(() => h.ex.taskState('g') === 'running');
    expect(h.ex.cancelTask('g')).toBe(true);
    expect(h.ex.taskState('g')).toBe('stopping');
    h.clock.advance(1999);
    expect(h.runtime.steps[0]?.signals).toEqual(['SIGTERM']);
    h.clock.advance(1);
    expect(await graceful).toMatchObject({
      status: 'cancelled',
      stopMode: 'graceful',
      exitCode: null,
      error: { code: 'CANCELLED', message: 'echo was cancelled (graceful)' },
    });
    expect(h.runtime.steps[0]?.signals).toEqual(['SIGTERM', 'SIGKILL']);

    const force = h.ex.executeTask({ tool: 'echo', params: { text: 'x' }, taskId: 'f' });
    await until(() => h.ex.taskState('f') === 'running');
    h.ex.cancelTask('f', { force: true });
    expect(await force).toMatchObject({ status: 'cancelled', stopMode: 'force', error: { code: 'CANCELLED' } });
    expect(h.runtime.steps[1]?.stops).toEqual([{ mode: 'force', graceMs: 2000 }]);
    expect(h.runtime.steps[1]?.signals).toEqual(['SIGKILL']);
    await settled(h);
  });

  it('a force cancel upgrades a graceful one, keeping its reason; a second graceful one changes nothing', async () => {
    const h = await harness({ gracePeriodMs: 2000 });
    h.runtime.script = () => ({ hang: true, ignoreGraceful: true });
    const p = h.ex.executeTask({ tool: 'echo', params: { text: 'x' }, taskId: 'up', timeoutMs: 100 });
    await until(() => h.ex.taskState('up') === 'running');
    h.clock.advance(100);
    h.ex.cancelTask('up');
    h.ex.cancelTask('up', { force: true });
    const r = await p;
    expect(r).toMatchObject({ status: 'timeout', stopMode: 'force', error: { code: 'TIMEOUT' } });
    expect(h.runtime.steps[0]?.stops.map((s) => s.mode)).toEqual(['graceful', 'force']);
    await settled(h);
  });

  it("the caller's signal cancels gracefully, even when it is aborted before the call", async () => {
    const h = await harness();
    h.runtime.script = () => ({ hang: true });
    const ac = new AbortController();
    const p = h.ex.executeTask({ tool: 'echo', params: { text: 'x' }, signal: ac.signal });
    await until(() => h.runtime.steps.length === 1);
    ac.abort();
    expect(await p).toMatchObject({ status: 'cancelled', stopMode: 'graceful', error: { code: 'CANCELLED' } });
    const early = await h.ex.executeTask({ tool: 'echo', params: { text: 'x' }, signal: AbortSignal.abort() });
    expect(early).toMatchObject({ status: 'cancelled', containerId: null, error: { code: 'CANCELLED' } });
    expect(h.runtime.steps).toHaveLength(1);
    await settled(h);
  });

  it('a stop while the step is starting: the runtime sees the aborted signal and nothing runs', async () => {
    const h = await harness();
    let openGate!: () => void;
    const startGate = new Promise<void>((r) => (openGate = r));
    h.runtime.script = () => ({ startGate });
    const p = h.ex.executeTask({ tool: 'echo', params: { text: 'x' }, taskId: 's' });
    await until(() => h.ex.taskState('s') === 'starting');
    h.ex.cancelTask('s');
    expect(h.ex.taskState('s')).toBe('stopping');
    openGate();
    expect(await p).toMatchObject({ status: 'cancelled', containerId: null, error: { code: 'CANCELLED' } });
    expect(h.runtime.aborted).toHaveLength(1);
    expect(h.runtime.steps).toHaveLength(0);
    await settled(h);
  });

  it('an OOM-killed step is oom with its partial output, and no stop mode', async () => {
    const h = await harness();
    h.runtime.script = () => ({ output: [['stdout', 'allocating']], oom: true });
    const r = await h.ex.executeTask({ tool: 'echo', params: { text: 'x' } });
    expect(r).toMatchObject({
      status: 'oom',
      exitCode: null,
      stdout: 'allocating',
      error: { code: 'OOM', message: 'echo exceeded its memory limit and was killed' },
    });
    expect(r.stopMode).toBeUndefined();
    await settled(h);
  });

  it('an OOM in the first step of a run() tool ends the task: the second step never starts', async () => {
    const h = await harness();
    h.runtime.script = (s) => (s.step === 0 ? { oom: true } : {});
    expect((await h.ex.executeTask({ tool: 'two_step', params: { text: 'x' } })).status).toBe('oom');
    expect(h.runtime.steps).toHaveLength(1);
    await settled(h);
  });

  it('a timeout in the second step of a run() tool keeps that step’s partial output', async () => {
    const h = await harness({ timeoutGracePeriodMs: 0 });
    h.runtime.script = (s) =>
      s.step === 0 ? { output: [['stdout', 'one']] } : { output: [['stdout', 'two']], hang: true };
    const events: TaskEvent[] = [];
    const p = h.ex.executeTask({
      tool: 'two_step',
      params: { text: 'x' },
      timeoutMs: 300,
      taskId: 'm',
      onEvent: (e) => events.push(e),
    });
    await until(() => h.runtime.steps.length === 2 && events.filter((e) => e.type === 'stdout').length === 2);
    expect(h.runtime.steps[1]?.spec.command.argv).toEqual(['second', 'one']);
    h.clock.advance(300);
    expect(await p).toMatchObject({ status: 'timeout', stdout: 'two', containerId: h.runtime.steps[1]?.containerId });
    expect(events.filter((e) => e.type === 'started').map((e) => (e as { step: number }).step)).toEqual([0, 1]);
    await settled(h);
  });

  it('truncates at the output caps, keeps the partial output and counts what it dropped', async () => {
    const h = await harness({ maxStdoutBytes: 6, maxStderrBytes: 2, maxOutputBytes: 7 });
    h.runtime.script = () => ({
      output: [
        ['stdout', '0123'],
        ['stdout', '4567'],
        ['stderr', 'abc'],
      ],
    });
    const kept: string[] = [];
    const r = await h.ex.executeTask({
      tool: 'echo',
      params: { text: 'x' },
      onEvent: (e) => {
        if (e.type === 'stdout' || e.type === 'stderr') kept.push(`${e.type}:${e.chunk.toString()}`);
      },
    });
    expect(r).toMatchObject({
      status: 'completed',
      stdout: '012345',
      stderr: 'a',
      truncated: true,
      stdoutDroppedBytes: 2,
      stderrDroppedBytes: 2,
    });
    expect(kept).toEqual(['stdout:0123', 'stdout:45', 'stderr:a']);
    await settled(h);
  });

  it('shows every state of the lifecycle through liveTasks(): queued, starting, running, stopping, then gone', async () => {
    const h = await harness({ maxConcurrentTasks: 1, gracePeriodMs: 1000 });
    let openGate!: () => void;
    const startGate = new Promise<void>((r) => (openGate = r));
    h.runtime.script = (s) =>
      s.taskId === 'a' ? { startGate, hang: true, ignoreGraceful: true } : { output: [['stdout', 'b']] };
    const state = (id: string): LiveTaskInfo['state'] | undefined =>
      h.ex.liveTasks().find((t) => t.taskId === id)?.state;
    const a = h.ex.executeTask({ tool: 'echo', params: { text: 'x' }, taskId: 'a' });
    await until(() => state('a') === 'starting');
    const b = h.ex.executeTask({ tool: 'echo', params: { text: 'x' }, taskId: 'b' });
    await until(() => h.ex.metrics().queuedTasks === 1);
    expect(state('b')).toBe('queued');
    expect(h.ex.liveTasks().map((t) => t.containerId)).toEqual([null, null]);
    openGate();
    await until(() => state('a') === 'running');
    expect(h.ex.liveTasks()[0]?.containerId).toBe(h.runtime.steps[0]?.containerId);
    h.ex.cancelTask('a');
    expect(state('a')).toBe('stopping');
    h.clock.advance(1000);
    expect((await a).status).toBe('cancelled');
    expect((await b).status).toBe('completed');
    expect(h.ex.liveTasks()).toEqual([]);
    expect(h.ex.taskState('a')).toBeUndefined();
    await settled(h);
  });

  it('close() stops live tasks as EXECUTOR_CLOSED and disposes of the runtime', async () => {
    const h = await harness();
    h.runtime.script = () => ({ hang: true });
    const p = h.ex.executeTask({ tool: 'echo', params: { text: 'x' } });
    await until(() => h.runtime.steps.length === 1);
    await h.ex.close();
    expect(await p).toMatchObject({ status: 'cancelled', stopMode: 'graceful', error: { code: 'EXECUTOR_CLOSED' } });
    expect(h.runtime.disposed).toBe(true);
    expect(h.clock.pending).toEqual([]);
  });
});
