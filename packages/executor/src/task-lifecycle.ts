import { ExecutorError } from './errors';
import type { StopMode, TaskState } from './task-types';

/**
 * Why a task is stopping, recorded as data on its transition to `stopping` and read by task-outcome.
 * - `cancelled`: `cancelTask`, or the caller's `signal` aborted.
 * - `timeout`: the task's deadline signal fired.
 * - `closed`: `executor.close()` stopped it.
 * - `oom`: the kernel killed a step at its memory limit (nothing left to signal, so no mode).
 */
export type StopRequest =
  { reason: 'cancelled' | 'timeout' | 'closed'; mode: StopMode; graceMs: number } | { reason: 'oom' };

/** True for the values the executor aborts a task's signal with (anything else is a caller's abort). */
export function isStopRequest(value: unknown): value is StopRequest {
  const reason = (value as { reason?: unknown } | null)?.reason;
  return reason === 'cancelled' || reason === 'timeout' || reason === 'closed' || reason === 'oom';
}

/**
 * One task's lifecycle, as one tagged union (like the Temporal worker's `State`):
 * - `queued`: accepted; being planned and judged, or waiting for a task slot. No container yet.
 * - `starting`: ("preparing") holds a slot; the image is checked, the egress proxy started, a step's container created.
 * - `running`: a step's process has started (multi-step tools stay here between steps).
 * - `stopping`: a stop was requested or a step was OOM-killed; `stop` says why. Steps still starting may finish starting.
 * - `done`: the result is built; the task is no longer live.
 *
 * Legal transitions: queued -> starting | stopping | done; starting -> running | stopping | done;
 * running -> stopping | done; stopping -> stopping (graceful to force only) | done. `starting()` and
 * `running()` are no-ops while stopping (the stop that came meanwhile wins). Anything else is a bug and
 * throws `ExecutorError` `ILLEGAL_STATE`.
 */
export type TaskPhase =
  | { readonly state: 'queued' }
  | { readonly state: 'starting' }
  | { readonly state: 'running' }
  | { readonly state: 'stopping'; readonly stop: StopRequest }
  | { readonly state: 'done'; readonly stop: StopRequest | undefined };

const NEXT: Readonly<Record<TaskState, readonly TaskState[]>> = {
  queued: ['starting', 'stopping', 'done'],
  starting: ['running', 'stopping', 'done'],
  running: ['stopping', 'done'],
  stopping: ['stopping', 'done'],
  done: [],
};

/** The state machine of one task; every change goes through a guarded transition. */
export class TaskLifecycle {
  private phase: TaskPhase = { state: 'queued' };

  constructor(
    private readonly taskId: string,
    private readonly tool: string,
  ) {}

  get state(): TaskState {
    return this.phase.state;
  }

  /** The stop recorded on the way to `stopping` (kept once `done`), if any. */
  get stop(): StopRequest | undefined {
    return this.phase.state === 'stopping' || this.phase.state === 'done' ? this.phase.stop : undefined;
  }

  /** queued -> starting: the task got its slot. While stopping, a no-op: the stop that came meanwhile wins. */
  starting(): void {
    if (this.phase.state === 'stopping') return;
    this.move({ state: 'starting' });
  }

  /**
   * starting -> running: a step's process started. Idempotent while running (the later steps of a
   * multi-step tool); a no-op while stopping (a step that was starting when the stop came).
   */
  running(): void {
    if (this.phase.state === 'running' || this.phase.state === 'stopping') return;
    this.move({ state: 'running' });
  }

  /**
   * -> stopping with `stop`, when it changes anything: the first stop wins its reason; a later force stop
   * upgrades a graceful one (stopping -> stopping). Returns the stop now in effect, or undefined when
   * the request changed nothing (the task is done, or already stopping at least as hard).
   */
  requestStop(stop: StopRequest): StopRequest | undefined {
    const current = this.stop;
    if (this.phase.state === 'done') return undefined;
    if (current !== undefined) {
      if (!('mode' in current) || current.mode !== 'graceful' || !('mode' in stop) || stop.mode !== 'force')
        return undefined;
      stop = { ...stop, reason: current.reason };
    }
    this.move({ state: 'stopping', stop });
    return stop;
  }

  /** -> done, keeping the stop (if any) for the outcome. */
  finish(): void {
    this.move({ state: 'done', stop: this.stop });
  }

  private move(next: TaskPhase): void {
    if (!NEXT[this.phase.state].includes(next.state)) {
      throw new ExecutorError(
        'ILLEGAL_STATE',
        `task ${this.taskId}: illegal transition ${this.phase.state} -> ${next.state}`,
        { taskId: this.taskId, tool: this.tool },
      );
    }
    this.phase = next;
  }
}
