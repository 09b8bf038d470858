import net from 'node:net';

/**
 * A minimal SOCKS5 client over a Unix socket: greets, asks CONNECT to a domain name, and resolves with
 * the reply code and the socket (left open on success so the caller can tunnel).
 */
export async function socksConnect(
  socketPath: string,
  host: string,
  port: number,
): Promise<{ rep: number; socket: net.Socket }> {
  const socket = net.connect(socketPath);
  const chunks: Buffer[] = [];
  let waiter: (() => void) | undefined;
  socket.on('data', (c: Buffer) => {
    chunks.push(c);
    waiter?.();
  });
  socket.on('error', () => undefined);
  const read = async (n: number): Promise<Buffer> => {
    for (;;) {
      const all = Buffer.concat(chunks);
      if (all.length >= n) {
        chunks.length = 0;
        if (all.length > n) chunks.push(all.subarray(n));
        return all.subarray(0, n);
      }
      if (socket.destroyed || socket.readableEnded) throw new Error('socks server closed the connection');
      await new Promise<void>((r) => {
        waiter = r;
        socket.once('close', r);
      });
    }
  };
  await new Promise<void>((r, j) => {
    socket.once('connect', r);
    socket.once('error', j);
  });
  socket.write(Buffer.from([5, 1, 0]));
  expectBytes(await read(2), [5, 0]);
  const name = Buffer.from(host);
  const port2 = Buffer.alloc(2);
  port2.writeUInt16BE(port);
  socket.write(Buffer.concat([Buffer.from([5, 1, 0, 3, name.length]), name, port2]));
  const reply = await read(10);
  return { rep: reply[1] as number, socket };
}

function expectBytes(got: Buffer, want: number[]): void {
  if (!got.equals(Buffer.from(want))) throw new Error(`unexpected SOCKS bytes ${got.toString('hex')}`);
}
