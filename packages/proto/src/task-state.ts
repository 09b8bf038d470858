import { TaskState } from './gen/agent/v1/agent';

/** The executor's result statuses, as strings. */
export type TaskStatusName = 'completed' | 'failed' | 'timeout' | 'cancelled' | 'denied' | 'oom' | 'error';

const TO_STATE: Record<TaskStatusName, TaskState> = {
  completed: TaskState.TASK_STATE_COMPLETED,
  failed: TaskState.TASK_STATE_FAILED,
  timeout: TaskState.TASK_STATE_TIMEOUT,
  cancelled: TaskState.TASK_STATE_CANCELLED,
  denied: TaskState.TASK_STATE_DENIED,
  oom: TaskState.TASK_STATE_OOM,
  error: TaskState.TASK_STATE_ERROR,
};

/** Maps an executor status to the wire's TaskState. */
export function taskStateFromStatus(status: TaskStatusName): TaskState {
  return TO_STATE[status];
}

/** Maps a terminal TaskState back to an executor status; undefined for non-terminal states. */
export function statusFromTaskState(state: TaskState): TaskStatusName | undefined {
  for (const [name, value] of Object.entries(TO_STATE)) if (value === state) return name as TaskStatusName;
  return undefined;
}

/** Whether a task in this state will never change again. */
export function isTerminalTaskState(state: TaskState): boolean {
  return statusFromTaskState(state) !== undefined;
}
