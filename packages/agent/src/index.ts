/**
 * @baaaht/agent: the worker side of the baaaht protocol. Registers with a hub,
 * keeps one push-based Work stream open, runs assignments on an injected
 * TaskHandler, reconnects with jittered backoff and reports every outcome
 * until the hub acknowledges it.
 */
export { Agent, toTaskFinished } from './agent';
export type { AgentMetrics, CloseOptions, DrainOptions } from './agent';
export { bootstrap } from './bootstrap';
export type { BootstrapResult } from './bootstrap';
export { resolveAgentOptions } from './agent-options';
export type { AgentOptions, AgentTlsOptions, ResolvedAgentOptions } from './agent-options';
export { assertTrustedSocket, defaultHubAddress, parseAddress, DEFAULT_HUB_ADDRESS } from './address';
export type { ParsedAddress } from './address';
export { diagnoseDial } from './dial-diagnosis';
export type { DialDiagnosis, DiagnoseOptions } from './dial-diagnosis';
export { Backoff } from './backoff';
export type { BackoffOptions, JitterMode } from './backoff';
export { AGENT_STATES, AGENT_TRANSITIONS, canAgentTransition } from './agent-lifecycle';
export type { AgentState } from './agent-lifecycle';
export { canTransition } from './connection-state';
export type { ConnectionState } from './connection-state';
export { systemClock } from './clock';
export type { Clock } from './clock';
export { AgentError } from './errors';
export type { AgentErrorCode, AgentErrorContext } from './errors';
export { quietLogger } from './logger';
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
export { toAgentTask } from './to-agent-task';
export { toSessionInfo } from './wire-mapping';
export type {
  AgentSessionInfo,
  AgentTask,
  AgentTaskLimits,
  TaskHandler,
  TaskHandlerContext,
  TaskHandlerEvent,
  TaskOutcome,
  TaskOutcomeStatus,
} from './task-handler';
