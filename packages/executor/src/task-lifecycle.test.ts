import { ExecutorError } from './errors';
import { isStopRequest, TaskLifecycle } from './task-lifecycle';

const cancel = (mode: 'graceful' | 'force') => ({ reason: 'cancelled' as const, mode, graceMs: 10 });

describe('TaskLifecycle', () => {
  it('walks queued -> starting -> running -> stopping -> done, recording the stop as data', () => {
    const l = new TaskLifecycle('t', 'echo');
    const seen = [l.state];
    l.starting();
    seen.push(l.state);
    l.running();
    l.running();
    seen.push(l.state);
    expect(l.requestStop(cancel('graceful'))).toEqual(cancel('graceful'));
    seen.push(l.state);
    l.finish();
    seen.push(l.state);
    expect(seen).toEqual(['queued', 'starting', 'running', 'stopping', 'done']);
    expect(l.stop).toEqual(cancel('graceful'));
  });

  it('lets the first stop keep its reason; only graceful -> force changes it; nothing once done', () => {
    const l = new TaskLifecycle('t', 'echo');
    l.starting();
    expect(l.requestStop({ reason: 'timeout', mode: 'graceful', graceMs: 5 })).toBeDefined();
    expect(l.requestStop(cancel('graceful'))).toBeUndefined();
    expect(l.requestStop({ reason: 'oom' })).toBeUndefined();
    expect(l.requestStop(cancel('force'))).toEqual({ reason: 'timeout', mode: 'force', graceMs: 10 });
    expect(l.requestStop(cancel('force'))).toBeUndefined();
    // A step that was starting when the stop came: the stop wins.
    l.running();
    l.starting();
    expect(l.state).toBe('stopping');
    l.finish();
    expect(l.requestStop(cancel('force'))).toBeUndefined();
    expect(l.stop).toMatchObject({ reason: 'timeout', mode: 'force' });
  });

  it('an OOM stop has no mode and is not upgraded', () => {
    const l = new TaskLifecycle('t', 'echo');
    l.starting();
    l.running();
    expect(l.requestStop({ reason: 'oom' })).toEqual({ reason: 'oom' });
    expect(l.requestStop(cancel('force'))).toBeUndefined();
  });

  it('a stop while queued goes straight to stopping', () => {
    const l = new TaskLifecycle('t', 'echo');
    l.requestStop(cancel('graceful'));
    expect(l.state).toBe('stopping');
  });

  it.each([
    ['queued -> running', (l: TaskLifecycle) => l.running()],
    ['running -> starting', (l: TaskLifecycle) => (l.starting(), l.running(), l.starting())],
    ['done -> done', (l: TaskLifecycle) => (l.finish(), l.finish())],
    ['done -> starting', (l: TaskLifecycle) => (l.finish(), l.starting())],
  ])('refuses %s with ILLEGAL_STATE', (_name, walk) => {
    const l = new TaskLifecycle('t-ill', 'echo');
    let thrown: unknown;
    try {
      walk(l);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(ExecutorError);
    expect(thrown).toMatchObject({ code: 'ILLEGAL_STATE', taskId: 't-ill', tool: 'echo' });
  });

  it('tells its stop requests from anything else a signal may be aborted with', () => {
    expect(isStopRequest({ reason: 'timeout', mode: 'graceful', graceMs: 1 })).toBe(true);
    expect(isStopRequest({ reason: 'oom' })).toBe(true);
    expect(isStopRequest(new DOMException('aborted', 'AbortError'))).toBe(false);
    expect(isStopRequest(undefined)).toBe(false);
  });
});
