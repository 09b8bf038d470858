import { status as GrpcStatus } from '@grpc/grpc-js';
import type { ServiceError } from '@grpc/grpc-js';

/** Stable error codes of @baaaht/agent. */
export type AgentErrorCode =
  | 'INVALID_OPTIONS'
  | 'INVALID_ADDRESS'
  | 'UNTRUSTED_SOCKET'
  | 'CONNECT_FAILED'
  | 'REGISTER_FAILED'
  | 'UNAUTHENTICATED'
  | 'RECONNECT_EXHAUSTED'
  | 'RPC_FAILED'
  | 'HANDLER_ERROR'
  | 'SHUTDOWN'
  | 'ILLEGAL_STATE'
  | 'INTERNAL';

export interface AgentErrorContext {
  taskId?: string;
  agentId?: string;
  tool?: string;
  /** gRPC status code when the error came from a call. */
  grpcCode?: number;
  /** The system error behind a failed dial (`ENOENT`, `ECONNREFUSED`, `EACCES`), when known. */
  errno?: string;
  cause?: unknown;
}

/** Base error of the agent; `code` is stable, the message is for humans. */
export class AgentError extends Error {
  override name = 'AgentError';
  readonly code: AgentErrorCode;
  readonly taskId?: string;
  readonly agentId?: string;
  readonly tool?: string;
  readonly grpcCode?: number;
  readonly errno?: string;

  constructor(code: AgentErrorCode, message: string, context: AgentErrorContext = {}) {
    super(message, context.cause === undefined ? undefined : { cause: context.cause });
    this.code = code;
    if (context.taskId !== undefined) this.taskId = context.taskId;
    if (context.agentId !== undefined) this.agentId = context.agentId;
    if (context.tool !== undefined) this.tool = context.tool;
    if (context.grpcCode !== undefined) this.grpcCode = context.grpcCode;
    if (context.errno !== undefined) this.errno = context.errno;
  }

  /** Normalises anything thrown into an AgentError, keeping the original as `cause`. */
  static fromUnknown(err: unknown, code: AgentErrorCode = 'INTERNAL', context: AgentErrorContext = {}): AgentError {
    if (err instanceof AgentError) return err;
    const message = err instanceof Error ? err.message : String(err);
    const grpcCode = grpcCodeOf(err);
    return new AgentError(code, message, { ...context, ...(grpcCode === undefined ? {} : { grpcCode }), cause: err });
  }
}

/** The numeric gRPC status of a ServiceError-like value, if any. */
export function grpcCodeOf(err: unknown): number | undefined {
  if (typeof err === 'object' && err !== null && 'code' in err) {
    const code = (err as { code: unknown }).code;
    if (typeof code === 'number') return code;
  }
  return undefined;
}

/** The one place a failed call becomes an AgentError: a refused token is UNAUTHENTICATED, anything else `code`. */
export function rpcError(code: 'REGISTER_FAILED' | 'RPC_FAILED', what: string, err: ServiceError): AgentError {
  const grpcCode = grpcCodeOf(err);
  const finalCode = grpcCode === GrpcStatus.UNAUTHENTICATED ? 'UNAUTHENTICATED' : code;
  return new AgentError(finalCode, `${what}: ${err.details || err.message}`, {
    ...(grpcCode === undefined ? {} : { grpcCode }),
    cause: err,
  });
}
