/**
 * @baaaht/executor: runs validated baaaht tool calls in hardened, bounded Docker containers, streams
 * their output, and always cleans up. Usable on its own, without gRPC.
 */
export { Executor, createExecutor } from './executor';
export type { ExecutorState } from './executor';
export { resolveExecutorOptions } from './executor-options';
export type { ExecutorOptions, ResolvedExecutorOptions, PullPolicy, ExecutorCatalog } from './executor-options';
export type {
  LiveTaskInfo,
  TaskRequest,
  TaskResult,
  TaskStatus,
  TaskEvent,
  TaskError,
  TaskLimits,
  TaskState,
  StopMode,
} from './task-types';
export { TASK_STATUSES } from './task-types';
export { ExecutorError } from './errors';
export { probeToolImages, toolPrograms, PROBE_SCRIPT } from './image-probe';
export type { ToolImageNeed, ToolProbeStatus, ToolProbeResult, ProbeToolImagesOptions } from './image-probe';
export type { ExecutorErrorCode, ExecutorErrorOptions } from './errors';
export { fileRead, fileWrite, listFiles, fetchUrl, webSearch, throwIfNotCompleted } from './helpers';
export type { ExecutorMetrics } from './metrics';
export { EXECUTOR_METRICS } from './metrics';
export type {
  RunningStep,
  StepExit,
  StepRuntime,
  StepRuntimeContext,
  StepRuntimeFactory,
  StepSpec,
} from './step-runtime';
export { SessionRuntime } from './session-runtime';
export type { SessionInfo, SessionRuntimeOptions, SessionState } from './session-runtime';
export { resolveSessionOptions } from './session-options';
export type { ResolvedSessionOptions, SessionOptions } from './session-options';
export type { SessionPrewarmRequest } from './session-prewarm';
export { SANDBOX_AGENT_TARGET } from './session-container';
export { createDockerClient, dockerConnectionFromEnv } from './docker-client';
export type {
  ComposedDockerClient,
  DockerClient,
  DockerClientOptions,
  DockerConnection,
  ContainerCreateBody,
  ContainerState,
  ManagedContainer,
} from './docker-client';
export type { ContainerClient } from './docker-container-client';
export type { ImageClient } from './docker-image-client';
export type { EngineClient, EngineVersion } from './docker-engine-client';
export { connectionAddress } from './docker-connection';
export {
  DEFAULT_DOCKER_PATHS,
  DOCKER_STRATEGIES,
  discoverDockerEngine,
  discoverDockerEngineSync,
} from './docker-discovery';
export type {
  DockerCandidate,
  DockerCandidateStatus,
  DockerDiscovery,
  DockerDiscoveryOptions,
  DockerStrategy,
  DockerSystemPaths,
} from './docker-discovery';
export { pingEngine } from './docker-ping';
export type { DockerPing } from './docker-ping';
export { buildCreateBody, EGRESS_PROXY_URL, NOBODY_USER } from './container-config';
export type { ContainerPlan } from './container-config';
export { EgressProxy } from './egress-proxy';
export type { EgressProxyOptions, EgressDecisionEvent } from './egress-proxy';
export { builtinEgressCheck, BUILTIN_EGRESS_PORTS } from './egress-rules';
export {
  LABELS,
  MANAGED_SELECTOR,
  MAX_TASK_LABELS,
  MAX_TASK_LABEL_KEY,
  MAX_TASK_LABEL_VALUE_BYTES,
  TASK_LABEL_PREFIX,
} from './labels';
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
export { systemClock } from './clock';
export { optInRefusal } from './policy-gate';
export type { Clock } from './clock';
export type {
  ContainerRequest,
  ContainerMountRequest,
  EgressRequest,
  EgressDecision,
  PolicyEnforcer,
  ToolGrant,
  RequestedResources,
} from './policy-enforcer';
export { sandboxAgentPath, SANDBOX_AGENT_BINARY, SANDBOX_AGENT_PROCESSES } from './sandbox-agent-path';
export { mountPinRefusal, mountPinSupport } from './mount-gate';
export { DESCRIPTOR_VOLUME_PREFIX, descriptorDevice, usesDescriptorMounts } from './descriptor-mounts';
export type { DescriptorMount } from './descriptor-mounts';
export { GVISOR_DAEMON_JSON, GVISOR_OVERHEAD, runtimeLimits, runtimeRegistrationHint } from './runtime-profile';
export type { RuntimeLimits } from './runtime-profile';
export { SandboxAgentClient } from './sandbox-agent-client';
export type {
  SandboxAgentClientOptions,
  SandboxAgentClientState,
  SandboxAgentHello,
  SandboxCall,
  SandboxCallExit,
  SandboxRunRequest,
} from './sandbox-agent-client';
export {
  FrameDecoder,
  MAX_FRAME_BYTES,
  SANDBOX_AGENT_PROTOCOL_VERSION,
  encodeAgentFrame,
  encodeHostFrame,
} from './sandbox-agent-protocol';
export type { AgentBytes, AgentErrorCode, AgentFrame, DecodedHostFrame, HostFrame } from './sandbox-agent-protocol';
