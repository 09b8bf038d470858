import { TaskState } from '@baaaht/proto';
import { toTaskFinished } from './wire-mapping';

const entry = {
  task: { taskId: 't', sessionId: 's', tool: 'echo', mountSource: '/w', labels: {}, attempt: 2 },
  startedAt: new Date(0),
  containerId: 'abc123',
};

describe('toTaskFinished', () => {
  test('maps a completed outcome field by field', () => {
    const f = toTaskFinished(entry, {
      status: 'completed',
      exitCode: 0,
      stdout: 'out',
      stderr: new Uint8Array([104, 105]),
      truncated: true,
      stdoutDroppedBytes: 5,
      durationMs: 12.6,
      structured: { items: [1] },
      stopMode: 'graceful',
    });
    expect(f.state).toBe(TaskState.TASK_STATE_COMPLETED);
    expect(f.stdout.toString()).toBe('out');
    expect(f.stderr.toString()).toBe('hi');
    expect(f).toMatchObject({
      truncated: true,
      stdoutDroppedBytes: 5,
      stderrDroppedBytes: 0,
      durationMs: 13,
      attempt: 2,
    });
    expect(f.containerId).toBe('abc123');
    expect(JSON.parse(f.structuredJson)).toEqual({ items: [1] });
    expect(f.stopMode).toBe('graceful');
    expect(f.error).toBeUndefined();
  });

  test('every other state carries a typed error', () => {
    const f = toTaskFinished(entry, {
      status: 'oom',
      exitCode: 137,
      stdout: '',
      stderr: '',
      truncated: false,
      durationMs: 1,
    });
    expect(f.state).toBe(TaskState.TASK_STATE_OOM);
    expect(f.error?.code).toBe('OOM');
    const denied = toTaskFinished(entry, {
      status: 'denied',
      exitCode: -1,
      stdout: '',
      stderr: '',
      truncated: false,
      durationMs: 0,
      error: { code: 'POLICY_DENIED', message: 'no' },
    });
    expect(denied.error).toMatchObject({ code: 'POLICY_DENIED', message: 'no' });
  });

  test("carries the error's detail, and the output a stopped task printed", () => {
    const f = toTaskFinished(entry, {
      status: 'failed',
      exitCode: 1,
      stdout: '',
      stderr: '',
      truncated: false,
      durationMs: 1,
      error: { code: 'TOOL_FAILED', message: 'old_string not found', detail: 'EDIT_NO_MATCH' },
    });
    expect(f.error).toMatchObject({ code: 'TOOL_FAILED', detail: 'EDIT_NO_MATCH' });
    const timedOut = toTaskFinished(entry, {
      status: 'timeout',
      exitCode: -1,
      stdout: 'partial',
      stderr: 'err so far',
      truncated: true,
      stdoutDroppedBytes: 7,
      durationMs: 1,
      stopMode: 'graceful',
      error: { code: 'TIMEOUT', message: 'timed out' },
    });
    expect(timedOut.state).toBe(TaskState.TASK_STATE_TIMEOUT);
    expect(timedOut.stdout.toString()).toBe('partial');
    expect(timedOut.stderr.toString()).toBe('err so far');
    expect(timedOut).toMatchObject({ truncated: true, stdoutDroppedBytes: 7, error: { code: 'TIMEOUT', detail: '' } });
  });
});
