/**
 * The worker's side of the one status vocabulary (`@baaaht/proto`'s task-state tables). The executor
 * cannot import the proto package, so its `TaskStatus` is declared there separately; the type below
 * makes the build fail the day the executor, the agent and the wire stop agreeing on the seven names.
 */
import type { TaskOutcomeStatus } from '@baaaht/agent';
import type { TaskStatus } from '@baaaht/executor';
import type { TaskStatusName } from '@baaaht/proto';

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;

/** `true` only while every package names the same statuses (a type error otherwise). */
export const STATUS_VOCABULARY_AGREES: Same<TaskStatus, TaskStatusName> & Same<TaskOutcomeStatus, TaskStatusName> =
  true;
