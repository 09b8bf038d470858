/** Stable error codes of @baaaht/hub; grpc-status.ts maps each to one gRPC status. */
export type HubErrorCode =
  | 'INVALID_ARGUMENT'
  | 'UNKNOWN_TOOL'
  | 'TASK_NOT_FOUND'
  | 'AGENT_NOT_FOUND'
  | 'UNAUTHENTICATED'
  | 'RESOURCE_EXHAUSTED'
  | 'SUPERSEDED'
  | 'HUB_CLOSED'
  | 'STORE_FAILED'
  | 'RPC_FAILED'
  | 'INTERNAL';

export interface HubErrorContext {
  taskId?: string;
  agentId?: string;
  tool?: string;
  /** The offending input field, for INVALID_ARGUMENT. */
  field?: string;
  cause?: unknown;
}

/** Base error of the hub and its client. */
export class HubError extends Error {
  override name = 'HubError';
  readonly code: HubErrorCode;
  readonly taskId?: string;
  readonly agentId?: string;
  readonly tool?: string;
  readonly field?: string;

  constructor(code: HubErrorCode, message: string, context: HubErrorContext = {}) {
    super(message, context.cause === undefined ? undefined : { cause: context.cause });
    this.code = code;
    if (context.taskId !== undefined) this.taskId = context.taskId;
    if (context.agentId !== undefined) this.agentId = context.agentId;
    if (context.tool !== undefined) this.tool = context.tool;
    if (context.field !== undefined) this.field = context.field;
  }

  /** Normalises anything thrown; unknown values become INTERNAL with the original as `cause`. */
  static fromUnknown(err: unknown, context: HubErrorContext = {}): HubError {
    if (err instanceof HubError) return err;
    return new HubError('INTERNAL', err instanceof Error ? err.message : String(err), { ...context, cause: err });
  }
}

/** Shorthand for a bad input field; the message always starts with the field name. */
export function invalidField(field: string, problem: string, context: HubErrorContext = {}): HubError {
  return new HubError('INVALID_ARGUMENT', `${field}: ${problem}`, { ...context, field });
}

/**
 * Why `listen()` refused to start. Separate from HubErrorCode because it never
 * crosses the wire (no gRPC status): it is the operator's problem at start-up.
 */
export type HubListenErrorCode = 'ADDRESS_IN_USE' | 'NOT_A_SOCKET' | 'UNTRUSTED_SOCKET_DIR' | 'INSECURE_LISTENER';

export class HubListenError extends Error {
  override name = 'HubListenError';
  readonly code: HubListenErrorCode;
  /** The address or socket path concerned. */
  readonly address: string;

  constructor(code: HubListenErrorCode, address: string, message: string, options: { cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.address = address;
  }
}
