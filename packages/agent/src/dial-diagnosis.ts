/**
 * Why a hub address cannot be reached, in words an operator can act on. grpc-js
 * reports only "TRANSIENT_FAILURE" (or, on a call, its own text ending in
 * "Resolution note:"), so after a failed dial the address is probed with a plain
 * connect to learn the system error: ENOENT (no socket there), ECONNREFUSED
 * (a stale socket, or nothing on that port), EACCES (not allowed to connect).
 * The probe goes only where the dial itself went. With TLS options, a TCP port that accepts is probed
 * once more with TLS (tls-diagnosis.ts): untrusted or misnamed certificates, a refused client
 * certificate, plaintext on one side.
 */
import fs from 'node:fs';
import net from 'node:net';
import { parseAddress } from './address';
import type { ParsedAddress } from './address';
import type { AgentTlsOptions } from './agent-options';
import { describeTlsProbe, probeTls } from './tls-diagnosis';

export interface DialDiagnosis {
  /** The system error code (`ENOENT`, `ECONNREFUSED`, `EACCES`, `ETIMEDOUT`, ...), when there was one. */
  errno: string | undefined;
  /** One sentence: what was found and what to check, naming the resolved socket path or host:port. */
  message: string;
}

export interface DiagnoseOptions {
  /** How long the probe connect may take. @default 2000 */
  timeoutMs?: number;
  /** The TLS material the dial used; a TCP address that accepts is then probed with TLS too. @default undefined */
  tls?: AgentTlsOptions;
}

/** Probes `address` (a string or a parsed address) once; never throws. */
export async function diagnoseDial(
  address: string | ParsedAddress,
  options: DiagnoseOptions = {},
): Promise<DialDiagnosis> {
  let parsed: ParsedAddress;
  try {
    parsed = typeof address === 'string' ? parseAddress(address) : address;
  } catch (err) {
    return { errno: undefined, message: (err as Error).message };
  }
  const timeoutMs = options.timeoutMs ?? 2000;
  if (parsed.kind === 'unix') return diagnoseUnix(parsed.path, timeoutMs);
  return diagnoseTcp(parsed.host.replace(/^\[|\]$/g, ''), parsed.port, timeoutMs, options.tls);
}

const serveHint = (listen: string): string => `is \`orchestrator serve\` running with --listen ${listen}?`;

async function diagnoseUnix(path: string, timeoutMs: number): Promise<DialDiagnosis> {
  const listen = `unix://${path}`;
  let stat: fs.Stats;
  try {
    stat = fs.statSync(path);
  } catch (err) {
    const errno = (err as NodeJS.ErrnoException).code;
    if (errno === 'ENOENT') return { errno, message: `no socket at ${path} (ENOENT): ${serveHint(listen)}` };
    if (errno === 'EACCES')
      return {
        errno,
        message: `cannot look at ${path} (EACCES): a directory on the way is not searchable by this user`,
      };
    return { errno, message: `cannot look at ${path} (${errno ?? 'error'}): ${(err as Error).message}` };
  }
  if (!stat.isSocket())
    return { errno: 'ENOTSOCK', message: `${path} is not a socket (ENOTSOCK): is the address right?` };
  const errno = await probe({ path }, timeoutMs);
  switch (errno) {
    case undefined:
      return {
        errno,
        message: `${path} accepts connections but the gRPC connection failed: is it an orchestrator socket, and the same version?`,
      };
    case 'ECONNREFUSED':
      return {
        errno,
        message: `${path} exists but nothing accepts connections on it (ECONNREFUSED): a stale socket from an orchestrator that stopped? ${serveHint(listen)}`,
      };
    case 'EACCES':
      return {
        errno,
        message: `not allowed to connect to ${path} (EACCES): the socket is owner-only (0600) unless \`orchestrator serve --socket-group GROUP\`; run as its user or join that group`,
      };
    default:
      return { errno, message: `cannot connect to ${path} (${errno})` };
  }
}

async function diagnoseTcp(
  host: string,
  port: number,
  timeoutMs: number,
  tls: AgentTlsOptions | undefined,
): Promise<DialDiagnosis> {
  const target = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
  const errno = await probe({ host, port }, timeoutMs);
  switch (errno) {
    case undefined:
      if (tls !== undefined)
        return { errno, message: describeTlsProbe(target, await probeTls(host, port, tls, timeoutMs), timeoutMs) };
      return {
        errno,
        message: `${target} accepts TCP connections but the gRPC connection failed: TLS on one side only? (worker --tls-ca, orchestrator serve --tls-cert)`,
      };
    case 'ECONNREFUSED':
      return { errno, message: `nothing listens on ${target} (ECONNREFUSED): ${serveHint(target)}` };
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return { errno, message: `cannot resolve ${host} (${errno}): is the host name right?` };
    case 'ETIMEDOUT':
      return {
        errno,
        message: `no answer from ${target} within ${timeoutMs}ms (ETIMEDOUT): a firewall, or the wrong host?`,
      };
    default:
      return { errno, message: `cannot connect to ${target} (${errno})` };
  }
}

/** Resolves with the connect error's code, or undefined when the connect succeeded. */
function probe(target: net.NetConnectOpts, timeoutMs: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = net.connect(target);
    const done = (errno: string | undefined): void => {
      clearTimeout(timer);
      socket.removeAllListeners();
      socket.on('error', () => undefined);
      socket.destroy();
      resolve(errno);
    };
    const timer = setTimeout(() => done('ETIMEDOUT'), timeoutMs);
    timer.unref();
    socket.once('connect', () => done(undefined));
    socket.once('error', (err: NodeJS.ErrnoException) => done(err.code ?? 'ERROR'));
  });
}
