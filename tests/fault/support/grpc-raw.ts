/**
 * Talking to the hub's Unix socket below grpc-js: raw junk on the socket, and
 * gRPC requests framed by hand over node:http2 (so a message can claim, and
 * carry, more bytes than any grpc-js client would send).
 */
import http2 from 'node:http2';
import net from 'node:net';

/** Writes `bytes` to the socket and resolves once the server closes it or `limitMs` passes. */
export function sendRaw(
  socketPath: string,
  bytes: Buffer,
  limitMs = 10_000,
): Promise<{ closedByServer: boolean; received: number }> {
  return new Promise((resolve) => {
    let received = 0;
    const s = net.connect(socketPath);
    const timer = setTimeout(() => {
      s.destroy();
      resolve({ closedByServer: false, received });
    }, limitMs);
    s.on('data', (d) => (received += d.length));
    s.on('error', () => undefined);
    s.on('close', () => {
      clearTimeout(timer);
      resolve({ closedByServer: true, received });
    });
    s.write(bytes);
  });
}

export interface RawGrpcResult {
  /** The `grpc-status` trailer (or header, for trailers-only responses), if any arrived. */
  grpcStatus: number | undefined;
  grpcMessage: string | undefined;
  /** Set when the stream or session failed instead (reset, GOAWAY, socket closed). */
  error: string | undefined;
}

/**
 * One unary call with a hand-made gRPC frame: 5-byte prefix (flag, big-endian length) then `body`.
 * `declaredLength` lets the prefix lie about the size.
 */
export function rawGrpcCall(
  socketPath: string,
  method: string,
  body: Buffer,
  options: { declaredLength?: number; limitMs?: number } = {},
): Promise<RawGrpcResult> {
  return new Promise((resolve) => {
    const session = http2.connect('http://localhost', { createConnection: () => net.connect(socketPath) });
    let grpcStatus: number | undefined;
    let grpcMessage: string | undefined;
    let settled = false;
    const finish = (error?: string): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      session.destroy();
      resolve({ grpcStatus, grpcMessage, error });
    };
    const timer = setTimeout(() => finish('no answer within limit'), options.limitMs ?? 60_000);
    session.on('error', (err) => finish(`session: ${err.message}`));
    const req = session.request({
      ':method': 'POST',
      ':path': method,
      'content-type': 'application/grpc',
      te: 'trailers',
    });
    const take = (headers: http2.IncomingHttpHeaders): void => {
      if (headers['grpc-status'] !== undefined) grpcStatus = Number(headers['grpc-status']);
      if (headers['grpc-message'] !== undefined) grpcMessage = decodeURIComponent(String(headers['grpc-message']));
    };
    req.on('response', take);
    req.on('trailers', take);
    req.on('data', () => undefined);
    req.on('error', (err) => finish(`stream: ${err.message}`));
    req.on('close', () => finish(grpcStatus === undefined ? `stream closed (rst code ${req.rstCode})` : undefined));
    const prefix = Buffer.alloc(5);
    prefix.writeUInt8(0, 0);
    prefix.writeUInt32BE(options.declaredLength ?? body.length, 1);
    req.write(prefix);
    // Write in chunks so a server that resets the stream early stops us early.
    const chunk = 1024 * 1024;
    let at = 0;
    const pump = (): void => {
      while (at < body.length && !req.destroyed) {
        const ok = req.write(body.subarray(at, Math.min(at + chunk, body.length)));
        at += chunk;
        if (!ok) {
          req.once('drain', pump);
          return;
        }
      }
      if (!req.destroyed) req.end();
    };
    pump();
  });
}
