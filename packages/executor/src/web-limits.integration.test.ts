/**
 * Byte limits of the web tools hold whatever the server sends: chunked bodies, a Content-Length that is
 * too small or too large. The body is cut at the limit, `truncated` says so, and curl stops downloading:
 * a raw loopback server counts what it managed to hand to the kernel and sees the client go away.
 */
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import type { Executor } from './executor';
import { loopbackPolicy, openTestExecutor, testWorkerId, workerContainers } from './test-support/integration';

jest.setTimeout(120_000);

const MB10 = 10 * 1024 * 1024;
const MB100 = 100 * 1024 * 1024;
const CHUNK = Buffer.alloc(64 * 1024, 'a');

/** What the server saw of one response. */
interface Served {
  path: string;
  /** Body bytes the kernel accepted before the client went away (or all of them). */
  sent: number;
  /** The client closed the connection before the server finished sending. */
  clientLeftEarly: boolean;
}

interface Route {
  status?: number;
  headers: string[];
  /** Body bytes to send, in 64 KiB writes; `chunked` frames them with chunked transfer encoding. */
  body: number;
  chunked?: boolean;
  contentType?: string;
}

const ROUTES: Record<string, Route> = {
  '/chunked-10mb': { headers: ['Transfer-Encoding: chunked'], body: MB10, chunked: true },
  '/chunked-100mb': { headers: ['Transfer-Encoding: chunked'], body: MB100, chunked: true },
  '/honest-10mb': { headers: [`Content-Length: ${MB10}`], body: MB10 },
  '/claims-100-sends-10mb': { headers: ['Content-Length: 100'], body: MB10 },
  '/claims-10mb-sends-5000': { headers: [`Content-Length: ${MB10}`], body: 5000 },
  '/error-10mb': { status: 404, headers: ['Transfer-Encoding: chunked'], body: MB10, chunked: true },
  '/search': { headers: ['Transfer-Encoding: chunked'], body: MB100, chunked: true, contentType: 'application/json' },
};

let server: net.Server;
let base: string;
const served: Served[] = [];
const finished: Array<Promise<void>> = [];

/** Writes `data`; resolves false once the client is gone. */
function write(socket: net.Socket, data: Buffer | string): Promise<boolean> {
  return new Promise((resolve) => {
    if (socket.destroyed) return resolve(false);
    socket.write(data, (err) => resolve(err === undefined || err === null));
  });
}

async function serve(socket: net.Socket, path: string): Promise<void> {
  const route = ROUTES[path.split('?')[0] ?? ''];
  const record: Served = { path, sent: 0, clientLeftEarly: false };
  served.push(record);
  if (route === undefined) {
    await write(socket, 'HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
    socket.end();
    return;
  }
  const type = route.contentType ?? 'text/plain';
  const head = [`HTTP/1.1 ${route.status ?? 200} X`, `Content-Type: ${type}`, 'Connection: close', ...route.headers];
  if (!(await write(socket, `${head.join('\r\n')}\r\n\r\n`))) return;
  // A JSON body that is valid only if it arrives whole: `{"results":[` then padding.
  let prefix = type === 'application/json' ? Buffer.from('{"results":[') : Buffer.alloc(0);
  while (record.sent < route.body) {
    const piece = Buffer.concat([prefix, CHUNK]).subarray(0, Math.min(CHUNK.length, route.body - record.sent));
    prefix = Buffer.alloc(0);
    const framed = route.chunked
      ? Buffer.concat([Buffer.from(`${piece.length.toString(16)}\r\n`), piece, Buffer.from('\r\n')])
      : piece;
    if (!(await write(socket, framed))) {
      record.clientLeftEarly = true;
      return;
    }
    record.sent += piece.length;
  }
  if (route.chunked) await write(socket, '0\r\n\r\n');
  socket.end();
}

beforeAll(async () => {
  server = net.createServer((socket) => {
    socket.on('error', () => undefined);
    let request = '';
    const onData = (d: Buffer): void => {
      request += d.toString('latin1');
      if (!request.includes('\r\n\r\n')) return;
      socket.off('data', onData);
      const path = request.split(' ')[1] ?? '/';
      finished.push(serve(socket, path));
    };
    socket.on('data', onData);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((r) => server.close(() => r())));

const workerId = testWorkerId('web-limits');
let ex: Executor;

beforeAll(async () => {
  ex = await openTestExecutor(workerId, { policy: loopbackPolicy, searchBackendUrl: base });
});

afterAll(async () => {
  await ex.close();
  expect(workerContainers(workerId)).toEqual([]);
});

/** Runs fetch_url and waits until the server has finished with the response. */
async function fetchVia(
  path: string,
  maxBytes: number,
): Promise<{ r: Awaited<ReturnType<Executor['executeTask']>>; seen: Served }> {
  const before = served.length;
  const r = await ex.executeTask({ tool: 'fetch_url', params: { url: `${base}${path}`, max_bytes: maxBytes } });
  await Promise.all(finished);
  const seen = served.slice(before).find((s) => s.path === path);
  if (seen === undefined) throw new Error(`the server never saw ${path}`);
  return { r, seen };
}

it('a chunked 10 MB body with max_bytes 1000: exactly 1000 bytes, truncated, and the client left early', async () => {
  const { r, seen } = await fetchVia('/chunked-10mb', 1000);
  expect(r).toMatchObject({ status: 'completed', exitCode: 0, truncated: true });
  expect(Buffer.byteLength(r.stdout)).toBe(1000);
  expect(r.stdout).toBe('a'.repeat(1000));
  expect(r.stderr).toBe('note: response body cut at 1000 bytes\n');
  expect(seen.clientLeftEarly).toBe(true);
  console.log(
    `chunked 10 MiB, max_bytes 1000: the server handed ${seen.sent} bytes to the kernel before the client left`,
  );
});

it('what the server manages to send past the cut is bounded by socket buffers, not by the body', async () => {
  // 100 MiB offered: what got out before curl left is the loopback and proxy buffers (a few MiB), not the body.
  const { r, seen } = await fetchVia('/chunked-100mb', 1000);
  expect(r).toMatchObject({ status: 'completed', truncated: true });
  expect(seen.clientLeftEarly).toBe(true);
  console.log(
    `chunked 100 MiB, max_bytes 1000: the server handed ${seen.sent} bytes to the kernel before the client left`,
  );
  expect(seen.sent).toBeLessThan(MB10);
});

it('an honest Content-Length above max_bytes is cut too (no longer refused outright)', async () => {
  const { r, seen } = await fetchVia('/honest-10mb', 1000);
  expect(r).toMatchObject({ status: 'completed', truncated: true });
  expect(r.stdout).toBe('a'.repeat(1000));
  expect(seen.clientLeftEarly).toBe(true);
  expect(seen.sent).toBeLessThan(MB10);
});

it('Content-Length: 100 with 10 MB sent: the declared 100 bytes, and curl does not read on', async () => {
  const { r, seen } = await fetchVia('/claims-100-sends-10mb', 1000);
  expect(r).toMatchObject({ status: 'completed', truncated: false });
  expect(r.stdout).toBe('a'.repeat(100));
  expect(seen.clientLeftEarly).toBe(true);
  console.log(`Content-Length 100, 10 MiB sent: the server handed ${seen.sent} bytes to the kernel`);
  expect(seen.sent).toBeLessThan(MB10);
  const small = await fetchVia('/claims-100-sends-10mb', 50);
  expect(small.r).toMatchObject({ status: 'completed', truncated: true });
  expect(small.r.stdout).toBe('a'.repeat(50));
});

it('Content-Length larger than the body: cut at max_bytes when the body reaches it, else the short body and a failure', async () => {
  const cut = await fetchVia('/claims-10mb-sends-5000', 1000);
  expect(cut.r).toMatchObject({ status: 'completed', truncated: true });
  expect(cut.r.stdout).toBe('a'.repeat(1000));
  const short = await fetchVia('/claims-10mb-sends-5000', 10_000);
  expect(short.r).toMatchObject({ status: 'failed', truncated: false, error: { code: 'TOOL_FAILED' } });
  expect(short.r.stdout).toBe('a'.repeat(5000));
  // curl 18: the transfer closed with bytes remaining.
  expect(short.r.exitCode).toBe(18);
});

it('an HTTP error with a long body is cut and still fails as an HTTP error', async () => {
  const { r, seen } = await fetchVia('/error-10mb', 1000);
  expect(r).toMatchObject({ status: 'failed', exitCode: 22, truncated: true, error: { code: 'TOOL_FAILED' } });
  expect(r.stdout).toBe('a'.repeat(1000));
  expect(r.stderr).toContain('returned error: 404');
  expect(r.stderr).not.toContain('(23)');
  expect(seen.clientLeftEarly).toBe(true);
});

it('web_search: a backend response past the cap fails with a typed error, and the download stops', async () => {
  const before = served.length;
  const r = await ex.executeTask({ tool: 'web_search', params: { query: 'big' } });
  await Promise.all(finished);
  const seen = served.slice(before).find((s) => s.path.startsWith('/search'));
  expect(r).toMatchObject({
    status: 'failed',
    truncated: true,
    error: { code: 'TOOL_FAILED', detail: 'SEARCH_RESPONSE_TOO_LARGE' },
  });
  expect(Buffer.byteLength(r.stdout)).toBe(1024 * 1024);
  expect(seen?.clientLeftEarly).toBe(true);
  expect(seen?.sent).toBeLessThan(MB10);
});
