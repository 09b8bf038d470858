import { AgentError } from './errors';

/** Where the hub listens: a Unix socket or a TCP host and port. */
export type ParsedAddress =
  { kind: 'unix'; path: string; target: string } | { kind: 'tcp'; host: string; port: number; target: string };

export const DEFAULT_HUB_ADDRESS = 'unix:///tmp/baaaht-grpc.sock';

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
