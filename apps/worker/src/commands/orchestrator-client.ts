/**
 * How the `orchestrator` client commands (`exec`, `workers`, `tasks`, `status`, `cancel`) dial the
 * orchestrator, and how a failed call is put in words that point to the fix.
 */
import { diagnoseDial } from '@baaaht/agent';
import { HubError, createHubClient } from '@baaaht/hub';
import type { HubClient, HubClientOptions } from '@baaaht/hub';
import { defaultSocketAddress } from '@baaaht/proto';
import type { ParsedCommand } from '../args';
import { stringValue } from '../args';
import type { CliIo } from '../cli-io';
import { WorkerCliError, usageError } from '../errors';
import { clientTls } from './tls-files';
import { taskNotFound } from './tasks-command';

/** `--addr`, else $ORCHESTRATOR_URL, else the default socket (the one `serve` listens on). */
export function clientAddress(parsed: ParsedCommand, io: CliIo): string {
  return stringValue(parsed.values, 'addr') ?? (io.env['ORCHESTRATOR_URL'] || defaultSocketAddress(io.env));
}

export function clientFor(parsed: ParsedCommand, io: CliIo): HubClient {
  const addr = clientAddress(parsed, io);
  const token = stringValue(parsed.values, 'auth-token') ?? (io.env['ORCHESTRATOR_AUTH_TOKEN'] || undefined);
  const tls = clientTls(parsed);
  try {
    return createHubClient(addr, { ...(token !== undefined ? { bearerToken: token } : {}), ...(tls ? { tls } : {}) });
  } catch (err) {
    if (err instanceof HubError) throw usageError(err.message, '--addr');
    throw err;
  }
}

/** Runs `fn` with a client that is closed afterwards; a failure comes out as `hubFailure` words it. */
export async function withClient(
  parsed: ParsedCommand,
  io: CliIo,
  fn: (client: HubClient) => Promise<number>,
): Promise<number> {
  const client = clientFor(parsed, io);
  try {
    return await fn(client);
  } catch (err) {
    throw await hubFailure(err, clientAddress(parsed, io), clientTls(parsed));
  } finally {
    client.close();
  }
}

/** gRPC status 14, as grpc-js reports a call that found no connection. */
const GRPC_UNAVAILABLE = 14;

/**
 * A client call's failure in words that point to the fix: an unreachable orchestrator is probed
 * (no socket at the path, a stale socket, permission denied, nothing on the port) instead of
 * showing grpc-js's text; a refused token says which token to give.
 */
export async function hubFailure(
  err: unknown,
  address: string,
  tls: HubClientOptions['tls'] = undefined,
): Promise<unknown> {
  if (!(err instanceof HubError)) return err;
  if (err.code === 'INVALID_ARGUMENT' || err.code === 'UNKNOWN_TOOL')
    return new WorkerCliError('INVALID_PARAMS', err.message, { cause: err });
  if (err.code === 'TASK_NOT_FOUND') return taskNotFound(err.taskId, err);
  if (err.code === 'UNAUTHENTICATED')
    return new WorkerCliError(
      'UNAUTHENTICATED',
      `the orchestrator at ${address} refused the token (UNAUTHENTICATED): give the token \`orchestrator serve --auth-token\` was started with, as --auth-token or ORCHESTRATOR_AUTH_TOKEN`,
      { cause: err },
    );
  if ((err.cause as { code?: unknown } | undefined)?.code === GRPC_UNAVAILABLE) {
    const why = await diagnoseDial(address, tls !== undefined ? { tls } : {});
    return new WorkerCliError(
      'ORCHESTRATOR_UNAVAILABLE',
      `cannot reach the orchestrator at ${address}: ${why.message}`,
      {
        cause: err,
      },
    );
  }
  return new WorkerCliError('ORCHESTRATOR_UNAVAILABLE', `${err.code}: ${err.message}`, { cause: err });
}
