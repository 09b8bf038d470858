import {
  TASK_STATUS_NAMES,
  TaskState,
  isTerminalTaskState,
  statusFromTaskState,
  taskStateFromStatus,
  taskStateWord,
} from './index';
import type { TaskStatusName } from './index';

describe('task state mapping', () => {
  const statuses: TaskStatusName[] = ['completed', 'failed', 'timeout', 'cancelled', 'denied', 'oom', 'error'];

  it('names exactly the seven statuses', () => {
    expect([...TASK_STATUS_NAMES].sort()).toEqual([...statuses].sort());
  });

  it.each(statuses)('round-trips %s, and the CLI word is the status name', (status) => {
    const state = taskStateFromStatus(status);
    expect(isTerminalTaskState(state)).toBe(true);
    expect(statusFromTaskState(state)).toBe(status);
    expect(taskStateWord(state)).toBe(status);
  });

  it('treats queued, assigned and running as not terminal', () => {
    for (const s of [TaskState.TASK_STATE_QUEUED, TaskState.TASK_STATE_ASSIGNED, TaskState.TASK_STATE_RUNNING]) {
      expect(isTerminalTaskState(s)).toBe(false);
      expect(statusFromTaskState(s)).toBeUndefined();
    }
  });

  it('gives every wire state its own word (one-to-one), and unknown numbers a visible one', () => {
    const states = Object.values(TaskState).filter((v): v is TaskState => typeof v === 'number');
    const words = states.map(taskStateWord);
    expect(new Set(words).size).toBe(states.length);
    expect(words.filter((w) => (statuses as string[]).includes(w))).toHaveLength(statuses.length);
    expect(taskStateWord(TaskState.TASK_STATE_RUNNING)).toBe('running');
    expect(taskStateWord(99 as TaskState)).toBe('unknown(99)');
    expect(statusFromTaskState(99 as TaskState)).toBeUndefined();
  });
});
