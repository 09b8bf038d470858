import type { OrchestratorMessage, ResourceUsage } from '@baaaht/proto';
import type { HubError } from './errors';
import type { AgentRecord } from './task-store';

/** The hub's end of one worker's Work stream. */
export interface WorkerChannel {
  send(message: OrchestratorMessage): void;
  /** Ends the stream: cleanly without an error, else with the error's status (see grpc-status.ts). */
  close(error?: HubError): void;
}

/**
 * Where a worker's Work stream is; one of:
 * - `registered`: Register succeeded at `at` and no Work stream was opened yet; the registration expires
 *   `registrationTtlMs` after `at` unless a stream opens;
 * - `streaming`: a Work stream is open since `since`; tasks are pushed on `channel`, leases do not run;
 * - `disconnected`: the stream closed at `since` (or the session was recovered from the store then); the
 *   worker keeps its tasks while heartbeats renew the lease, and the registration expires once it holds
 *   no task and has been silent for `registrationTtlMs`.
 */
export type WorkerConnection =
  | { readonly kind: 'registered'; readonly at: number }
  | { readonly kind: 'streaming'; readonly channel: WorkerChannel; readonly since: number }
  | { readonly kind: 'disconnected'; readonly since: number };

/**
 * Whether the worker takes new tasks (only while `streaming`); one of:
 * - `accepting`: up to its advertised slots;
 * - `draining`: the worker says it is draining (hello, flow or heartbeat; or a DRAINING rejection), so
 *   nothing new; only the worker's own authenticated messages set or clear it;
 * - `full`: it rejected an assignment with NO_CAPACITY; skipped until it says something again (a result,
 *   a flow update or a new hello). Draining wins over full.
 */
export type WorkerAvailability = 'accepting' | 'draining' | 'full';

/** One registered worker as the hub holds it (the durable part is `record`). */
export interface WorkerSession {
  record: AgentRecord;
  connection: WorkerConnection;
  availability: WorkerAvailability;
  /** The last sign of life: Register, hello, any stream message, a heartbeat, the stream closing. */
  lastSeen: number;
  maxSlots: number;
  /** Tools the worker refused with UNKNOWN_TOOL despite advertising them. */
  refusedTools: Set<string>;
  /** Assigned to this worker and not finished. Never larger than maxSlots by our doing. */
  outstanding: Set<string>;
  /** As last reported by heartbeat (bounded by maxListEntries). */
  activeTasks: string[];
  freeSlots: number;
  resources: ResourceUsage | undefined;
  /** Re-queues the outstanding tasks once the lease runs out without a stream (see SessionRegistry). */
  leaseTimer: unknown;
  /** Drops the registration once it expires (see HubCoreLimits.registrationTtlMs). */
  expiryTimer: unknown;
}

/** A fresh session; `recovered` ones (from the store after a restart) start disconnected, not registered. */
export function newSession(record: AgentRecord, now: number, recovered = false): WorkerSession {
  return {
    record,
    connection: recovered ? { kind: 'disconnected', since: now } : { kind: 'registered', at: record.registeredAt },
    availability: 'accepting',
    lastSeen: now,
    maxSlots: Math.max(0, record.capabilities.maxConcurrentTasks),
    refusedTools: new Set(),
    outstanding: new Set(),
    activeTasks: [],
    freeSlots: 0,
    resources: undefined,
    leaseTimer: undefined,
    expiryTimer: undefined,
  };
}

/** The session's Work stream, if one is open. */
export function channelOf(session: WorkerSession): WorkerChannel | undefined {
  return session.connection.kind === 'streaming' ? session.connection.channel : undefined;
}

/** Whether dispatch may push another task to this worker now. */
export function hasRoom(session: WorkerSession): boolean {
  return (
    session.connection.kind === 'streaming' &&
    session.availability === 'accepting' &&
    session.outstanding.size < session.maxSlots
  );
}

/** The worker's own word on draining (hello, flow): it sets draining or clears both draining and full. */
export function announcedAvailability(draining: boolean): WorkerAvailability {
  return draining ? 'draining' : 'accepting';
}

/** A heartbeat's word on draining: it sets or clears draining and leaves `full` alone. */
export function heartbeatAvailability(current: WorkerAvailability, draining: boolean): WorkerAvailability {
  if (draining) return 'draining';
  return current === 'draining' ? 'accepting' : current;
}

/** A NO_CAPACITY rejection marks the worker full unless it is draining anyway. */
export function fullUnlessDraining(current: WorkerAvailability): WorkerAvailability {
  return current === 'draining' ? 'draining' : 'full';
}

/** A result frees the worker from `full`; draining stays. */
export function afterResult(current: WorkerAvailability): WorkerAvailability {
  return current === 'full' ? 'accepting' : current;
}
