import { TaskState } from './gen/agent/v1/agent';

/**
 * The one status vocabulary: the executor's result statuses, the agent's outcomes, the wire's terminal
 * `TaskState`s, the hub's records and the CLI's words are these seven, one-to-one.
 */
export type TaskStatusName = 'completed' | 'failed' | 'timeout' | 'cancelled' | 'denied' | 'oom' | 'error';

/** The CLI's word for any task state: a status name once terminal, else where the task is. */
export type TaskStateWord = TaskStatusName | 'unspecified' | 'pending' | 'queued' | 'assigned' | 'running' | 'paused';

/** Status → wire. */
const TO_STATE: Record<TaskStatusName, TaskState> = {
  completed: TaskState.TASK_STATE_COMPLETED,
  failed: TaskState.TASK_STATE_FAILED,
  timeout: TaskState.TASK_STATE_TIMEOUT,
  cancelled: TaskState.TASK_STATE_CANCELLED,
  denied: TaskState.TASK_STATE_DENIED,
  oom: TaskState.TASK_STATE_OOM,
  error: TaskState.TASK_STATE_ERROR,
};

/** Wire → word, for every state the proto defines (a new proto state fails the build until it has one). */
const TO_WORD: Record<TaskState, TaskStateWord> = {
  [TaskState.TASK_STATE_UNSPECIFIED]: 'unspecified',
  [TaskState.TASK_STATE_PENDING]: 'pending',
  [TaskState.TASK_STATE_QUEUED]: 'queued',
  [TaskState.TASK_STATE_ASSIGNED]: 'assigned',
  [TaskState.TASK_STATE_RUNNING]: 'running',
  [TaskState.TASK_STATE_PAUSED]: 'paused',
  [TaskState.TASK_STATE_COMPLETED]: 'completed',
  [TaskState.TASK_STATE_FAILED]: 'failed',
  [TaskState.TASK_STATE_CANCELLED]: 'cancelled',
  [TaskState.TASK_STATE_TIMEOUT]: 'timeout',
  [TaskState.TASK_STATE_DENIED]: 'denied',
  [TaskState.TASK_STATE_OOM]: 'oom',
  [TaskState.TASK_STATE_ERROR]: 'error',
};

/** Every status name, in the wire's order. */
export const TASK_STATUS_NAMES: readonly TaskStatusName[] = Object.freeze(Object.keys(TO_STATE) as TaskStatusName[]);

const isStatusName = (word: string): word is TaskStatusName => Object.hasOwn(TO_STATE, word);

/** Maps an executor status to the wire's TaskState. */
export function taskStateFromStatus(status: TaskStatusName): TaskState {
  return TO_STATE[status];
}

/** Maps a terminal TaskState back to an executor status; undefined for non-terminal (and unknown) states. */
export function statusFromTaskState(state: TaskState): TaskStatusName | undefined {
  const word = TO_WORD[state] as TaskStateWord | undefined;
  return word !== undefined && isStatusName(word) ? word : undefined;
}

/** The CLI's word for a state (`completed`, `running`, ...); `unknown(<n>)` for a number the proto does not define. */
export function taskStateWord(state: TaskState): TaskStateWord | `unknown(${number})` {
  return (TO_WORD[state] as TaskStateWord | undefined) ?? `unknown(${Number(state)})`;
}

/** Whether a task in this state will never change again. */
export function isTerminalTaskState(state: TaskState): boolean {
  return statusFromTaskState(state) !== undefined;
}
