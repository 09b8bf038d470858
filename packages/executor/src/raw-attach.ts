import net from 'node:net';
import type { Writable } from 'node:stream';

/** A live attach connection to a container's stdio. */
export interface AttachStream {
  /** Writes stdin and closes it (half-close: output keeps flowing). */
  endStdin(data: Buffer): void;
  /** Writes stdin and keeps it open (a pooled container's agent reads frames until its call ends). */
  write(data: Buffer): void;
  /** Resolves when the engine closes the output stream (the container exited) or the connection fails. */
  readonly ended: Promise<void>;
  destroy(): void;
  /** The container's stdin as a stream, for attaches that stay open (session containers); ending it closes stdin. */
  readonly stdin?: Writable;
}

/** Receives multiplexed output bytes. The buffer is reused for the next read: copy what you keep. */
export type AttachDataHandler = (chunk: Buffer) => void;

export type EngineTarget = { socketPath: string } | { host: string; port: number };

const READ_BUFFER_BYTES = 64 * 1024;
const MAX_HEADER_BYTES = 16 * 1024;

/**
 * `POST /containers/{id}/attach` over our own connection, upgraded to the bare stream. Reads land in one
 * reused buffer (`onread`), so a tool printing 50 MB allocates nothing per read and the process RSS stays
 * flat; through the HTTP client every read would allocate a fresh buffer left for a later GC.
 */
export function rawAttach(
  target: EngineTarget,
  id: string,
  options: { stdin: boolean; onData: AttachDataHandler },
): Promise<AttachStream> {
  const query = `stream=1&stdout=1&stderr=1${options.stdin ? '&stdin=1' : ''}`;
  return new Promise((resolve, reject) => {
    let header: Buffer | undefined = Buffer.alloc(0);
    let settled = false;
    let endResolve!: () => void;
    const ended = new Promise<void>((r) => (endResolve = r));
    const fail = (err: Error): void => {
      if (!settled) {
        settled = true;
        reject(err);
      }
      socket.destroy();
      endResolve();
    };
    const onRead = (chunk: Buffer): void => {
      if (header === undefined) return options.onData(chunk);
      header = Buffer.concat([header, chunk]);
      const end = header.indexOf('\r\n\r\n');
      if (end < 0) {
        if (header.length > MAX_HEADER_BYTES) fail(new Error(`attach ${id}: response headers too large`));
        return;
      }
      const head = header.subarray(0, end).toString('latin1');
      const rest = header.subarray(end + 4);
      header = undefined;
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1]);
      if (status !== 101 && status !== 200) {
        return fail(
          Object.assign(new Error(`attach ${id}: HTTP ${status}: ${rest.toString('utf8').trim().slice(0, 500)}`), {
            statusCode: status,
          }),
        );
      }
      settled = true;
      resolve({
        endStdin: (data) => void socket.end(data),
        write: (data) => void socket.write(data),
        ended,
        destroy: () => void socket.destroy(),
        stdin: socket,
      });
      if (rest.length > 0) options.onData(rest);
    };
    const buffer = Buffer.allocUnsafe(READ_BUFFER_BYTES);
    const socket = net.connect({
      ...('socketPath' in target ? { path: target.socketPath } : { host: target.host, port: target.port }),
      // Output keeps flowing after we half-close to signal the end of stdin.
      allowHalfOpen: true,
      onread: {
        buffer,
        callback: (nread: number, buf: Uint8Array) => {
          onRead(Buffer.from(buf.buffer, buf.byteOffset, nread));
          return true;
        },
      },
    } as net.NetConnectOpts);
    socket.on('error', (err) => fail(err));
    socket.on('end', () => {
      endResolve();
      socket.destroy();
    });
    socket.on('close', () => {
      if (!settled) fail(new Error(`attach ${id}: connection closed before the engine answered`));
      endResolve();
    });
    socket.once('connect', () => {
      socket.write(
        `POST /containers/${encodeURIComponent(id)}/attach?${query} HTTP/1.1\r\n` +
          'Host: docker\r\nContent-Type: text/plain\r\nConnection: Upgrade\r\nUpgrade: tcp\r\nContent-Length: 0\r\n\r\n',
      );
    });
  });
}
