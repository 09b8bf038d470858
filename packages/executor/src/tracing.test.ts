import { context, trace } from '@opentelemetry/api';
import { collectSpans, parentOf } from '@baaaht/test-utils';
import type { ReadableSpan, SpanCollector } from '@baaaht/test-utils';
import { closeExecutors, open, until } from './test-support/executor-fixture';

const API_GLOBAL = Symbol.for('opentelemetry.js.api.1');

afterEach(closeExecutors);

// First, while nothing in this file has registered with the OpenTelemetry API.
describe('an executor nobody traces', () => {
  test('runs a task without loading any OpenTelemetry module', async () => {
    expect((globalThis as Record<symbol, unknown>)[API_GLOBAL]).toBeUndefined();
    let run: Promise<{ status: string }> | undefined;
    jest.isolateModules(() => {
      jest.doMock('@opentelemetry/api', () => {
        throw new Error('@opentelemetry/api was loaded');
      });
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- a fresh module graph under the mock
      const fixture = require('./test-support/executor-fixture') as { open: typeof open };
      run = fixture.open().then(async ({ ex }) => {
        const result = await ex.executeTask({ tool: 'echo', params: { text: 'hi' } });
        await ex.idle();
        await ex.close();
        return result;
      });
    });
    expect(await run).toMatchObject({ status: 'completed' });
    jest.dontMock('@opentelemetry/api');
  });
});

describe('executor spans (an SDK installed)', () => {
  let spans: SpanCollector;
  beforeAll(() => {
    spans = collectSpans();
  });
  afterEach(() => spans.reset());
  afterAll(() => spans.stop());

  const names = (all: ReadableSpan[]): string[] => all.map((s) => s.name).sort();
  const named = (all: ReadableSpan[], name: string): ReadableSpan => {
    const found = all.filter((s) => s.name === name);
    expect([name, found.length]).toEqual([name, 1]);
    return found[0] as ReadableSpan;
  };

  test("a task is one tree under the caller's span: policy, slot, image, step, and the container's life", async () => {
    const { ex } = await open();
    const caller = trace.getTracer('test').startSpan('caller');
    const result = await context.with(trace.setSpan(context.active(), caller), () =>
      ex.executeTask({ tool: 'echo', params: { text: 'hi' }, taskId: 'ok' }),
    );
    caller.end();
    await ex.idle();
    expect(result.status).toBe('completed');
    const all = spans.ofTask('ok');
    expect(names(all)).toEqual([
      'baaaht.execute',
      'baaaht.image',
      'baaaht.policy',
      'baaaht.slot_wait',
      'baaaht.step',
      'container.create',
      'container.remove',
      'container.run',
      'container.start',
    ]);
    const root = named(all, 'baaaht.execute');
    const step = named(all, 'baaaht.step');
    expect(parentOf(root)).toBe(caller.spanContext().spanId);
    for (const s of all) expect(s.spanContext().traceId).toBe(caller.spanContext().traceId);
    for (const n of ['baaaht.policy', 'baaaht.slot_wait', 'baaaht.image', 'baaaht.step'])
      expect([n, parentOf(named(all, n))]).toEqual([n, root.spanContext().spanId]);
    for (const n of ['container.create', 'container.start', 'container.run', 'container.remove'])
      expect([n, parentOf(named(all, n))]).toEqual([n, step.spanContext().spanId]);
    expect(root.attributes).toMatchObject({
      'baaaht.task.id': 'ok',
      'baaaht.tool': 'echo',
      'baaaht.outcome': 'completed',
      'baaaht.exit_code': 0,
      'container.id': result.containerId,
    });
    expect(named(all, 'baaaht.policy').attributes).toMatchObject({ 'baaaht.policy.decision': 'allowed' });
    expect(named(all, 'container.run').attributes).toMatchObject({
      'container.id': result.containerId,
      'baaaht.exit_code': 0,
      'baaaht.oom_killed': false,
    });
    expect(all.every((s) => s.status.code !== 2)).toBe(true);
  });

  test('a policy denial: the policy span and the task span are errors naming the rule; no container', async () => {
    const denial = Object.assign(new Error('mount denied by mounts.mount_allowlist'), {
      code: 'POLICY_DENIED',
      violations: [{ rule: 'mounts.mount_allowlist' }],
    });
    const { ex } = await open({ policy: { enforce: () => Promise.reject(denial) } });
    const result = await ex.executeTask({ tool: 'echo', params: { text: 'x' }, taskId: 'denied' });
    expect(result.status).toBe('denied');
    const all = spans.ofTask('denied');
    expect(names(all)).toEqual(['baaaht.execute', 'baaaht.policy']);
    const policy = named(all, 'baaaht.policy');
    expect(policy.attributes).toMatchObject({
      'baaaht.policy.decision': 'denied',
      'baaaht.policy.rule': 'mounts.mount_allowlist',
      'error.type': 'POLICY_DENIED',
    });
    expect(policy.status).toEqual({ code: 2, message: 'mount denied by mounts.mount_allowlist' });
    const root = named(all, 'baaaht.execute');
    expect(root.attributes).toMatchObject({ 'baaaht.outcome': 'denied', 'error.type': 'POLICY_DENIED' });
    expect(root.events.map((e) => e.attributes?.['exception.type'])).toEqual(['POLICY_DENIED']);
  });

  test('a failing tool: the run span has its exit code, the task span is an error (TOOL_FAILED)', async () => {
    const { ex } = await open();
    const result = await ex.executeTask({ tool: 'echo', params: { text: 'x', code: 3 }, taskId: 'fails' });
    await ex.idle();
    expect(result.status).toBe('failed');
    const all = spans.ofTask('fails');
    expect(named(all, 'container.run').attributes).toMatchObject({ 'baaaht.exit_code': 3 });
    expect(named(all, 'baaaht.execute')).toMatchObject({
      attributes: expect.objectContaining({ 'baaaht.outcome': 'failed', 'error.type': 'TOOL_FAILED' }),
      status: expect.objectContaining({ code: 2 }),
    });
  });

  test('a cancel: a stopping event on the task, a container.stop span, the run and step spans fail', async () => {
    const { ex, docker } = await open();
    const running = ex.executeTask({ tool: 'echo', params: { text: 'hang' }, taskId: 'stopped' });
    await until(() => ex.taskState('stopped') === 'running');
    ex.cancelTask('stopped', { force: true });
    expect((await running).status).toBe('cancelled');
    await ex.idle();
    expect(docker.calls).toContain('kill SIGKILL');
    const all = spans.ofTask('stopped');
    const root = named(all, 'baaaht.execute');
    expect(root.events.find((e) => e.name === 'stopping')?.attributes).toEqual({
      'baaaht.stop.reason': 'cancelled',
      'baaaht.stop.mode': 'force',
    });
    expect(named(all, 'container.stop').attributes).toMatchObject({
      'baaaht.stop.mode': 'force',
      'baaaht.stop.killed': true,
    });
    expect(root.attributes).toMatchObject({ 'baaaht.outcome': 'cancelled' });
    expect(named(all, 'baaaht.step').status.code).toBe(2);
  });
});
