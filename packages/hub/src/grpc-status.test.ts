import { Metadata, status } from '@grpc/grpc-js';
import type { ServiceError } from '@grpc/grpc-js';
import { HubError } from './errors';
import { fromGrpcError, toGrpcStatus } from './grpc-status';

describe('gRPC status mapping', () => {
  test.each([
    ['INVALID_ARGUMENT', status.INVALID_ARGUMENT],
    ['UNKNOWN_TOOL', status.INVALID_ARGUMENT],
    ['TASK_NOT_FOUND', status.NOT_FOUND],
    ['UNAUTHENTICATED', status.UNAUTHENTICATED],
    ['RESOURCE_EXHAUSTED', status.RESOURCE_EXHAUSTED],
    ['SUPERSEDED', status.ABORTED],
    ['HUB_CLOSED', status.UNAVAILABLE],
    ['INTERNAL', status.INTERNAL],
  ] as const)('%s -> %s, and back', (code, grpc) => {
    const mapped = toGrpcStatus(new HubError(code, `msg for ${code}`));
    expect(mapped.code).toBe(grpc);
    expect(mapped.details).toBe(`msg for ${code}`);
    const err = Object.assign(new Error(mapped.details), {
      code: mapped.code,
      details: mapped.details,
      metadata: mapped.metadata,
    }) as ServiceError;
    expect(fromGrpcError(err).code).toBe(code);
  });

  test('anything else thrown is INTERNAL', () => {
    expect(toGrpcStatus(new Error('boom'))).toMatchObject({ code: status.INTERNAL, details: 'boom' });
    expect(toGrpcStatus('str')).toMatchObject({ code: status.INTERNAL, details: 'str' });
  });

  test('a status without our metadata maps by status code', () => {
    const err = Object.assign(new Error('x'), {
      code: status.NOT_FOUND,
      details: 'nope',
      metadata: new Metadata(),
    }) as ServiceError;
    expect(fromGrpcError(err, { taskId: 't' })).toMatchObject({ code: 'TASK_NOT_FOUND', taskId: 't' });
    const other = Object.assign(new Error('x'), {
      code: status.UNAVAILABLE,
      details: 'down',
      metadata: new Metadata(),
    }) as ServiceError;
    expect(fromGrpcError(other).code).toBe('RPC_FAILED');
  });
});
