import { TaskState } from '@baaaht/proto';
import { toTaskFinished } from './agent';

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
});
