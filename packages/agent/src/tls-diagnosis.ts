/**
 * Why a TLS dial failed, when the TCP connect itself works. grpc-js only says TRANSIENT_FAILURE, so the
 * address is probed once with the same TLS material: the handshake (is the orchestrator's certificate
 * trusted and valid for the name?), then the HTTP/2 preface, whose first answer tells the rest. A hub
 * that refuses our client certificate answers with a GOAWAY whose debug data says why (see the hub's
 * client-cert-verdict.ts); one that accepts answers with SETTINGS.
 */
import { isIP } from 'node:net';
import tls from 'node:tls';
import type { AgentTlsOptions } from './agent-options';
import { readTlsMaterial } from './channel';

/** What the probe saw, before it is put in words. */
export type TlsProbeOutcome =
  | { kind: 'error'; code: string; message: string }
  | { kind: 'goaway'; errorCode: number; debug: string }
  | { kind: 'settings' }
  | { kind: 'closed' }
  | { kind: 'timeout' };

const PREFACE = Buffer.concat([
  Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'),
  // An empty SETTINGS frame: the client half of the HTTP/2 connection preface.
  Buffer.from([0, 0, 0, 4, 0, 0, 0, 0, 0]),
]);

/** The first complete HTTP/2 frame of `buf`, if there is one yet. */
export function firstFrame(buf: Buffer): { type: number; payload: Buffer } | undefined {
  if (buf.length < 9) return undefined;
  const length = buf.readUIntBE(0, 3);
  if (buf.length < 9 + length) return undefined;
  return { type: buf.readUInt8(3), payload: buf.subarray(9, 9 + length) };
}

/** One TLS connection with the worker's material; never throws. */
export function probeTls(
  host: string,
  port: number,
  options: AgentTlsOptions,
  timeoutMs: number,
): Promise<TlsProbeOutcome> {
  return new Promise((resolve) => {
    let material;
    try {
      material = readTlsMaterial(options);
    } catch (err) {
      resolve({ kind: 'error', code: (err as NodeJS.ErrnoException).code ?? 'ERROR', message: (err as Error).message });
      return;
    }
    const servername = options.serverName ?? (isIP(host) === 0 ? host : undefined);
    const socket = tls.connect({
      host,
      port,
      ...(material.ca !== undefined ? { ca: material.ca } : {}),
      ...(material.cert !== undefined ? { cert: material.cert } : {}),
      ...(material.key !== undefined ? { key: material.key } : {}),
      ...(servername !== undefined ? { servername } : {}),
      ALPNProtocols: ['h2'],
    });
    let received = Buffer.alloc(0);
    const done = (outcome: TlsProbeOutcome): void => {
      clearTimeout(timer);
      socket.removeAllListeners();
      socket.on('error', () => undefined);
      socket.destroy();
      resolve(outcome);
    };
    const timer = setTimeout(() => done({ kind: 'timeout' }), timeoutMs);
    timer.unref();
    socket.once('secureConnect', () => socket.write(PREFACE));
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      const frame = firstFrame(received);
      if (frame === undefined) return;
      if (frame.type === 0x7 && frame.payload.length >= 8)
        return done({
          kind: 'goaway',
          errorCode: frame.payload.readUInt32BE(4),
          debug: frame.payload.subarray(8).toString('utf8'),
        });
      done({ kind: 'settings' });
    });
    socket.once('error', (err: NodeJS.ErrnoException) =>
      done({ kind: 'error', code: err.code ?? 'ERROR', message: err.message }),
    );
    socket.once('close', () => done({ kind: 'closed' }));
  });
}

const SERVER_UNTRUSTED = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_SIGNATURE_FAILURE',
]);

/** OpenSSL's words without its file and line noise: `tlsv1 alert unknown ca`. */
function opensslWords(message: string): string {
  return /SSL routines:[^:]*:([^:]+)/.exec(message)?.[1] ?? message;
}

/** The probe's outcome as one sentence an operator can act on; `target` is `host:port`. */
export function describeTlsProbe(target: string, outcome: TlsProbeOutcome, timeoutMs: number): string {
  switch (outcome.kind) {
    case 'goaway':
      return outcome.debug !== ''
        ? `${target} closed the connection after the TLS handshake: ${outcome.debug}`
        : `${target} closed the connection after the TLS handshake (HTTP/2 GOAWAY, error ${outcome.errorCode})`;
    case 'settings':
      return `${target} accepted the TLS connection and answers HTTP/2, but the gRPC connection failed: is it an orchestrator, and the same version?`;
    case 'closed':
      return `${target} closed the connection right after the TLS handshake: does it refuse this worker's client certificate (--tls-cert)? See the orchestrator's log`;
    case 'timeout':
      return `${target} accepts TCP connections but did not finish a TLS handshake within ${timeoutMs}ms: is it a TLS orchestrator?`;
    case 'error':
      return describeTlsError(target, outcome.code, outcome.message);
  }
}

function describeTlsError(target: string, code: string, message: string): string {
  if (SERVER_UNTRUSTED.has(code))
    return `the certificate of ${target} is not signed by a CA in --tls-ca (${code}): give the CA that signed the orchestrator's --tls-cert`;
  if (code === 'CERT_HAS_EXPIRED') return `the certificate of ${target} has expired (CERT_HAS_EXPIRED)`;
  if (code === 'CERT_NOT_YET_VALID') return `the certificate of ${target} is not valid yet (CERT_NOT_YET_VALID)`;
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID')
    return `the certificate of ${target} does not name the host dialled (${message}): dial a name in it, or pass --tls-server-name`;
  if (code === 'ERR_SSL_WRONG_VERSION_NUMBER' || code === 'ERR_SSL_PACKET_LENGTH_TOO_LONG')
    return `${target} does not speak TLS: a plaintext orchestrator? (drop --tls-ca, or start it with --tls-cert/--tls-key)`;
  if (code === 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED' || code === 'ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE')
    return `${target} requires a client certificate (mutual TLS): pass --tls-cert and --tls-key`;
  if (code === 'ERR_SSL_TLSV1_ALERT_UNKNOWN_CA')
    return `${target} does not trust this worker's certificate (--tls-cert): it is not signed by a CA in the orchestrator's --tls-ca`;
  if (code === 'ERR_SSL_SSLV3_ALERT_CERTIFICATE_EXPIRED')
    return `${target} refused this worker's certificate (--tls-cert) as expired`;
  if (code === 'ENOENT' || code === 'EACCES') return `cannot read the TLS files: ${message}`;
  return `TLS with ${target} failed: ${opensslWords(message)} (${code})`;
}
