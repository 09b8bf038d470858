import { isIP } from 'node:net';
import { HubError, HubListenError } from './errors';

/** A parsed listen address: grpc-js bind target plus how to report the bound address. */
export type ListenAddress =
  { kind: 'unix'; path: string; bindTarget: string } | { kind: 'tcp'; host: string; port: number; bindTarget: string };

/** Accepts `unix:///abs/path`, `unix:/abs/path` or `host:port` (port 0 picks a free one). */
export function parseListenAddress(address: string): ListenAddress {
  if (address.startsWith('unix:')) {
    const path = address.slice(5).replace(/^\/\/(?=\/)/, '');
    if (!path.startsWith('/'))
      throw new HubError('INVALID_ARGUMENT', `address: unix socket path must be absolute: ${address}`);
    return { kind: 'unix', path, bindTarget: `unix:${path}` };
  }
  const m = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(address);
  if (!m || Number(m[2]) > 65535)
    throw new HubError('INVALID_ARGUMENT', `address: expected unix:///path or host:port: ${address}`);
  return { kind: 'tcp', host: m[1] as string, port: Number(m[2]), bindTarget: `${m[1] as string}:${m[2] as string}` };
}

/** True for 127.0.0.0/8, ::1 and `localhost`: only this host can reach such a listener. */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (bare === 'localhost' || bare.endsWith('.localhost')) return true;
  if (isIP(bare) === 4) return bare.startsWith('127.');
  return bare === '::1' || bare === '0:0:0:0:0:0:0:1' || /^::ffff:127\./.test(bare);
}

/** What a listener exposes: the inputs of the secure-by-default rule. */
export interface ListenerSecurityInput {
  tls: boolean;
  bearerToken: boolean;
  insecure: boolean;
}

/** `allowed` with an optional warning to log, or refused with the reason. */
export type ListenerVerdict = { allowed: true; warning?: string } | { allowed: false; error: HubListenError };

/**
 * The secure-by-default rule, as Docker applies it to its TCP socket: a Unix
 * socket is guarded by its file mode; TCP needs TLS, except on loopback where a
 * bearer token is enough. Anything else only with `insecure`, and then with a
 * warning that says what anyone who can reach the port may do.
 */
export function assessListener(address: ListenAddress, input: ListenerSecurityInput): ListenerVerdict {
  if (address.kind === 'unix' || input.tls) return { allowed: true };
  const loopback = isLoopbackHost(address.host);
  if (loopback && input.bearerToken) return { allowed: true };
  const who = loopback ? 'any local user or process' : 'anyone on the network who can reach it';
  const lacking = input.bearerToken ? 'without TLS (the bearer token travels in clear text)' : 'without TLS or a token';
  const exposure =
    `${who} can register as a worker and receive tasks (their parameters, mounts and files), ` +
    'submit tasks that run on every worker with its rights, cancel tasks and read every result';
  if (input.insecure)
    return { allowed: true, warning: `insecure listener on ${address.bindTarget} ${lacking}: ${exposure}` };
  const fix = loopback
    ? 'give a server certificate and key (tls), or a bearer token, or insecure to accept the risk'
    : 'give a server certificate and key (tls; a client CA for mutual TLS), or insecure to accept the risk';
  return {
    allowed: false,
    error: new HubListenError(
      'INSECURE_LISTENER',
      address.bindTarget,
      `refusing to listen on ${address.bindTarget} ${lacking}: ${exposure}; ${fix}`,
    ),
  };
}
