import { SEED_SOCKET_ADDRESS, defaultSocketAddress, inspectSocketPath } from '@baaaht/proto';
import { AgentError } from './errors';

/** Where the hub listens: a Unix socket or a TCP host and port. */
export type ParsedAddress =
  { kind: 'unix'; path: string; target: string } | { kind: 'tcp'; host: string; port: number; target: string };

/**
 * The seed's address, `unix:///tmp/baaaht-grpc.sock`. Still accepted explicitly;
 * @deprecated as a default: it sits in world-writable /tmp. Use `defaultHubAddress()`.
 */
export const DEFAULT_HUB_ADDRESS = SEED_SOCKET_ADDRESS;

/**
 * The address used when none is given, the same one `orchestrator serve` listens on:
 * `unix:///run/baaaht/grpc.sock` for root, else `unix://$XDG_RUNTIME_DIR/baaaht/grpc.sock`,
 * else `unix://$TMPDIR/baaaht-<uid>/grpc.sock`.
 */
export function defaultHubAddress(env: NodeJS.ProcessEnv = process.env): string {
  return defaultSocketAddress(env);
}

/**
 * Throws UNTRUSTED_SOCKET unless the socket at `path` and every directory on the
 * way to it are controlled by this process's user or root (see `inspectSocketPath`).
 * A missing socket passes: the dial reports it. Called before every (re)connect.
 */
export function assertTrustedSocket(path: string, trustedUids: readonly number[] = []): void {
  const placement = inspectSocketPath(path, { trustedUids });
  if (placement.verdict !== 'untrusted') return;
  const owner =
    placement.ownerUid === undefined ? '' : `; owner ${placement.ownerName ?? '?'} (uid ${placement.ownerUid})`;
  const mode = placement.directoryMode === undefined ? '' : `, directory mode ${placement.directoryMode}`;
  throw new AgentError(
    'UNTRUSTED_SOCKET',
    `refusing orchestrator socket ${path}: ${placement.problem ?? 'untrusted'}${owner}${mode}; fix: ${placement.fix ?? ''}`,
  );
}

/**
 * Accepts `unix:///abs/path`, `unix:/abs/path`, `host:port`, `[v6]:port` and
 * `dns:host:port`, and returns the target string grpc-js understands.
 */
export function parseAddress(address: string): ParsedAddress {
  const raw = address.trim();
  if (raw === '') throw new AgentError('INVALID_ADDRESS', 'address is empty');
  if (raw.startsWith('unix:')) {
    const path = raw.slice('unix:'.length).replace(/^\/\/(?=\/)/, '');
    if (!path.startsWith('/'))
      throw new AgentError('INVALID_ADDRESS', `unix address needs an absolute path: ${address}`);
    return { kind: 'unix', path, target: `unix://${path}` };
  }
  const hostPort = raw.startsWith('dns:') ? raw.slice('dns:'.length).replace(/^\/\/\/?/, '') : raw;
  const match = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(hostPort);
  if (!match) throw new AgentError('INVALID_ADDRESS', `expected unix:///path or host:port, got: ${address}`);
  const host = match[1] as string;
  const port = Number(match[2]);
  if (port < 1 || port > 65535) throw new AgentError('INVALID_ADDRESS', `port out of range in: ${address}`);
  return { kind: 'tcp', host, port, target: `${host}:${port}` };
}
