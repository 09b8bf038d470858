import type { Socket } from 'node:net';
import tls from 'node:tls';
import type { TLSSocket } from 'node:tls';
import { clientCertVerdict, goawayFrame } from './client-cert-verdict';
import { HubError } from './errors';
import type { Logger } from './logger';

export interface TlsListenerOptions {
  /** Host to bind (brackets of an IPv6 literal are removed). */
  host: string;
  /** 0 picks a free port. */
  port: number;
  cert: Buffer;
  key: Buffer;
  /** CA bundle client certificates must chain to. @default undefined (the system roots, when a certificate is required) */
  ca?: Buffer;
  /** Mutual TLS: a connection without a certificate that chains to `ca` is refused. */
  requireClientCert: boolean;
  logger: Logger;
  /** Called with each connection whose handshake (and, for mutual TLS, client certificate) passed. */
  accept(socket: TLSSocket): void;
  /** How long a refused connection stays open so the client can read why, unless it closes first. @default 2000 */
  refusalLingerMs?: number;
}

/**
 * - `listening`: accepting TCP connections and running TLS handshakes;
 * - `closing`: no new connections, handshakes and refused connections cut; waiting for the accepted
 *   connections (grpc-js's to end) to close;
 * - `closed`: the port is released and no connection is left.
 */
export type TlsListenerState = 'listening' | 'closing' | 'closed';

/**
 * The hub's TLS front on TCP: does the handshake itself so that a refused client, and why, is visible on
 * both sides (see client-cert-verdict.ts); connections that pass go to grpc-js through a connection
 * injector. Handshake failures (a client that does not trust our certificate, plaintext on a TLS port)
 * are logged with the peer's address.
 */
export class TlsListener {
  private currentState: TlsListenerState = 'listening';
  /** Connections not handed to `accept`: in their handshake, or refused and lingering. */
  private readonly unaccepted = new Set<Socket>();
  private closed: Promise<void> | undefined;

  private constructor(
    private readonly server: tls.Server,
    private readonly options: TlsListenerOptions,
  ) {}

  static async listen(options: TlsListenerOptions): Promise<TlsListener> {
    const server = tls.createServer({
      cert: options.cert,
      key: options.key,
      ...(options.ca !== undefined ? { ca: options.ca } : {}),
      requestCert: options.requireClientCert,
      // Verified after the handshake (clientCertVerdict), so the refusal can say why.
      rejectUnauthorized: false,
      ALPNProtocols: ['h2'],
      minVersion: 'TLSv1.2',
    });
    const listener = new TlsListener(server, options);
    server.on('connection', (raw: Socket) => listener.track(raw));
    server.on('secureConnection', (socket: TLSSocket) => listener.secured(socket));
    server.on('tlsClientError', (err: NodeJS.ErrnoException, socket: TLSSocket) =>
      listener.handshakeFailed(err, socket),
    );
    const host = options.host.replace(/^\[|\]$/g, '');
    await new Promise<void>((resolve, reject) => {
      const onError = (err: Error): void => reject(err);
      server.once('error', onError);
      server.listen(options.port, host, () => {
        server.off('error', onError);
        resolve();
      });
    }).catch((err: unknown) => {
      throw new HubError('INTERNAL', `cannot listen on ${options.host}:${options.port}: ${(err as Error).message}`, {
        cause: err,
      });
    });
    // A listener error after binding (rare: EMFILE on accept) must not crash the process.
    server.on('error', (err) => options.logger.error('TLS listener error', { component: 'hub', error: err.message }));
    return listener;
  }

  get state(): TlsListenerState {
    return this.currentState;
  }

  get port(): number {
    const address = this.server.address();
    return typeof address === 'object' && address !== null ? address.port : 0;
  }

  /**
   * Stops accepting and cuts connections that were not accepted; resolves once every connection is
   * closed. Accepted ones belong to grpc-js: start this, shut the gRPC server down, then await it.
   */
  close(): Promise<void> {
    if (this.closed !== undefined) return this.closed;
    this.currentState = 'closing';
    this.closed = new Promise<void>((resolve) =>
      this.server.close(() => {
        this.currentState = 'closed';
        resolve();
      }),
    );
    for (const socket of this.unaccepted) socket.destroy();
    return this.closed;
  }

  private track(raw: Socket): void {
    this.unaccepted.add(raw);
    raw.once('close', () => this.unaccepted.delete(raw));
  }

  /** The raw TCP socket under a TLS one leaves `unaccepted`: grpc-js owns the connection now. */
  private hand(socket: TLSSocket): void {
    const raw = (socket as TLSSocket & { _parent?: Socket })._parent;
    if (raw !== undefined) this.unaccepted.delete(raw);
    this.unaccepted.delete(socket);
    this.options.accept(socket);
  }

  private secured(socket: TLSSocket): void {
    if (this.currentState !== 'listening') {
      socket.destroy();
      return;
    }
    if (!this.options.requireClientCert) return this.hand(socket);
    const verdict = clientCertVerdict({
      authorized: socket.authorized,
      authorizationError: socket.authorizationError,
      peerCertificate: socket.getPeerCertificate(),
    });
    if (verdict.accepted) return this.hand(socket);
    this.options.logger.warn(`refused a TLS client: ${verdict.reason}`, {
      component: 'hub',
      peer: peerOf(socket),
      code: verdict.code,
      subject: verdict.subject,
    });
    this.refuse(socket, verdict.reason);
  }

  /** Sends the reason as an HTTP/2 GOAWAY, reads and drops what the client sends, closes. */
  private refuse(socket: TLSSocket, reason: string): void {
    const timer = setTimeout(() => socket.destroy(), this.options.refusalLingerMs ?? 2000);
    timer.unref();
    socket.on('error', () => undefined);
    socket.on('close', () => clearTimeout(timer));
    // Reading keeps the kernel from answering unread data with a reset that would drop our frame.
    socket.resume();
    socket.end(goawayFrame(`orchestrator refused the client certificate: ${reason}`));
  }

  private handshakeFailed(err: NodeJS.ErrnoException, socket: TLSSocket): void {
    // Resets and timeouts without a TLS word are port probes or clients that gave up: not worth a warning.
    const level = err.code?.startsWith('ERR_SSL_') ? 'warn' : 'debug';
    this.options.logger[level](`TLS handshake with a client failed: ${tlsReason(err)}`, {
      component: 'hub',
      peer: peerOf(socket),
      code: err.code ?? '',
    });
  }
}

function peerOf(socket: TLSSocket): string {
  const host = socket.remoteAddress;
  if (host === undefined) return 'unknown';
  return host.includes(':') ? `[${host}]:${socket.remotePort ?? 0}` : `${host}:${socket.remotePort ?? 0}`;
}

/** OpenSSL's words without its file and line noise: `tlsv1 alert unknown ca`. */
function tlsReason(err: NodeJS.ErrnoException): string {
  const m = /SSL routines:[^:]*:([^:]+)/.exec(err.message);
  const words = m?.[1] ?? err.message;
  if (err.code === 'ERR_SSL_TLSV1_ALERT_UNKNOWN_CA')
    return `${words}: the client does not trust the orchestrator's certificate (its --tls-ca lacks the CA that signed --tls-cert)`;
  if (err.code === 'ERR_SSL_WRONG_VERSION_NUMBER' || err.code === 'ERR_SSL_HTTP_REQUEST')
    return `${words}: the client does not speak TLS (a worker without --tls-ca?)`;
  return words;
}
