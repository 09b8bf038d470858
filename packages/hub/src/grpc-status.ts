import { Metadata, status } from '@grpc/grpc-js';
import type { ServiceError, StatusObject } from '@grpc/grpc-js';
import { HubError } from './errors';
import type { HubErrorCode } from './errors';

/** The single place where hub errors become gRPC statuses, and back. */
const TO_GRPC: Record<HubErrorCode, status> = {
  INVALID_ARGUMENT: status.INVALID_ARGUMENT,
  UNKNOWN_TOOL: status.INVALID_ARGUMENT,
  TASK_NOT_FOUND: status.NOT_FOUND,
  AGENT_NOT_FOUND: status.NOT_FOUND,
  UNAUTHENTICATED: status.UNAUTHENTICATED,
  RESOURCE_EXHAUSTED: status.RESOURCE_EXHAUSTED,
  SUPERSEDED: status.ABORTED,
  HUB_CLOSED: status.UNAVAILABLE,
  STORE_FAILED: status.INTERNAL,
  RPC_FAILED: status.UNAVAILABLE,
  INTERNAL: status.INTERNAL,
};

const CODE_KEY = 'baaaht-error-code';

/** A status object for a thrown value; the stable hub code rides along in trailing metadata. */
export function toGrpcStatus(err: unknown): Partial<StatusObject> & { code: status; details: string } {
  const error = HubError.fromUnknown(err);
  const metadata = new Metadata();
  metadata.set(CODE_KEY, error.code);
  return { code: TO_GRPC[error.code], details: error.message, metadata };
}

/** Turns a failed call's ServiceError back into a HubError (used by the client). */
export function fromGrpcError(err: ServiceError, context: { taskId?: string } = {}): HubError {
  const carried = err.metadata?.get(CODE_KEY)[0];
  if (typeof carried === 'string' && carried in TO_GRPC) {
    return new HubError(carried as HubErrorCode, err.details, { ...context, cause: err });
  }
  const byStatus: Partial<Record<status, HubErrorCode>> = {
    [status.INVALID_ARGUMENT]: 'INVALID_ARGUMENT',
    [status.NOT_FOUND]: 'TASK_NOT_FOUND',
    [status.UNAUTHENTICATED]: 'UNAUTHENTICATED',
    [status.RESOURCE_EXHAUSTED]: 'RESOURCE_EXHAUSTED',
  };
  return new HubError(byStatus[err.code] ?? 'RPC_FAILED', err.details || err.message, { ...context, cause: err });
}
