/**
 * @baaaht/hub: the orchestrator side of the baaaht protocol. Accepts workers,
 * pushes tasks to them under flow control and leases, records results
 * durably (optionally in SQLite), and serves AgentService and TaskService so
 * other processes can submit, watch and fetch tasks.
 */
export { createHub, Hub } from './hub';
export type { HubState, TaskHandle } from './hub';
export { resolveHubOptions } from './hub-options';
export type { HubOptions, HubTlsOptions, ResolvedHubOptions } from './hub-options';
export { HubCore } from './hub-core';
export type {
  CancelOutcome,
  HubCoreEvents,
  HubCoreOptions,
  SessionListFilter,
  SessionsPage,
  SubmitOutcome,
  TaskListFilter,
  TasksPage,
  WorkConnection,
  WorkerChannel,
  WorkersPage,
} from './hub-core';
export type { SandboxSessionState, ListedSessionState } from './session-affinity';
export type { SessionMoveReason } from './hub-metrics';
export { DEFAULT_HUB_CORE_LIMITS } from './registration-limits';
export type { HubCoreLimits, RegistrationLimits } from './registration-limits';
export { createHubClient } from './hub-client';
export type { HubClient, HubClientOptions, ListTasksOptions } from './hub-client';
export type { SubmitTaskInput } from './submission';
export { MemoryTaskStore } from './memory-task-store';
export { SqliteTaskStore } from './sqlite-task-store';
export type { SqliteTaskStoreOptions } from './sqlite-task-store';
export type { AgentRecord, TaskCursor, TaskPatch, TaskQuery, TaskRecord, TaskStore } from './task-store';
export { HubError, HubListenError } from './errors';
export type { HubErrorCode, HubErrorContext, HubListenErrorCode } from './errors';
export { toGrpcStatus, fromGrpcError } from './grpc-status';
export { assessListener, isLoopbackHost, parseListenAddress } from './listen-address';
export type { ListenAddress, ListenerSecurityInput, ListenerVerdict } from './listen-address';
export { systemClock, realClock } from './clock';
export type { Clock, HubClock } from './clock';
export { quietLogger, silentLogger } from './logger';
export { noopMeter } from './metric-meter';
export type {
  HistogramDefinition,
  MetricCounter,
  MetricDefinition,
  MetricGauge,
  MetricHistogram,
  MetricLabels,
  MetricMeter,
} from './metric-meter';
export type { Logger } from './logger';
