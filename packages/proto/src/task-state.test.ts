import { TaskState, isTerminalTaskState, statusFromTaskState, taskStateFromStatus } from './index';
import type { TaskStatusName } from './index';

describe('task state mapping', () => {
  const statuses: TaskStatusName[] = ['completed', 'failed', 'timeout', 'cancelled', 'denied', 'oom', 'error'];

  it.each(statuses)('round-trips %s', (status) => {
    const state = taskStateFromStatus(status);
    expect(isTerminalTaskState(state)).toBe(true);
    expect(statusFromTaskState(state)).toBe(status);
  });

  it('treats queued, assigned and running as not terminal', () => {
    for (const s of [TaskState.TASK_STATE_QUEUED, TaskState.TASK_STATE_ASSIGNED, TaskState.TASK_STATE_RUNNING]) {
      expect(isTerminalTaskState(s)).toBe(false);
      expect(statusFromTaskState(s)).toBeUndefined();
    }
  });
});
