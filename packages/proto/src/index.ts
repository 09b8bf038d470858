/**
 * Generated TypeScript messages and @grpc/grpc-js service definitions for the
 * baaaht worker protocol (`agent.v1`), plus small hand-written helpers.
 * The generated code lives in `src/gen/` (committed; CI checks it is fresh).
 */
export * from './gen/agent/v1/agent';
export { Status, statusFromJSON, statusToJSON, ResourceLimits, ResourceUsage } from './gen/common/v1/common';
export { Struct, Value, ListValue, NullValue } from './gen/google/protobuf/struct';
export { Timestamp } from './gen/google/protobuf/timestamp';
export { Empty } from './gen/google/protobuf/empty';
export {
  TASK_STATUS_NAMES,
  isTerminalTaskState,
  statusFromTaskState,
  taskStateFromStatus,
  taskStateWord,
} from './task-state';
export type { TaskStateWord, TaskStatusName } from './task-state';
export type { DeepPartial, MessageFns } from './gen/agent/v1/agent';
export { DEFAULT_MAX_MESSAGE_BYTES, PROTOCOL_VERSION } from './constants';
export {
  SEED_SOCKET_ADDRESS,
  defaultSocketAddress,
  defaultSocketPath,
  inspectSocketPath,
  userName,
} from './socket-placement';
export type { SocketPlacement, SocketPlacementOptions } from './socket-placement';
export { carrierFromContext, contextFromCarrier, otelApi } from './trace-context';
export type { TraceCarrier } from './trace-context';
