import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A 127.0.0.1 test server: `/page`, `/slow?ms=N&id=X` (holds the response, so a
 * fetch_url task is in flight for N ms) and `/redirect?to=URL` (a 302, for the
 * redirect-to-metadata case). Records every request path.
 */
export interface TestWeb {
  port: number;
  url(path: string): string;
  requests: string[];
  /** Requests whose query has `id=<id>`. */
  hits(id: string): number;
  close(): Promise<void>;
}

export async function startTestWeb(): Promise<TestWeb> {
  const requests: string[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    requests.push(url.pathname + url.search);
    if (url.pathname === '/page') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('hello from the loopback test server\n');
    } else if (url.pathname === '/slow') {
      const timer = setTimeout(
        () => {
          timers.delete(timer);
          res.writeHead(200, { 'content-type': 'text/plain' });
          res.end(`slow page done ${url.searchParams.get('id') ?? ''}\n`);
        },
        Number(url.searchParams.get('ms') ?? '3000'),
      );
      timers.add(timer);
    } else if (url.pathname === '/redirect') {
      res.writeHead(302, { location: url.searchParams.get('to') ?? '/' });
      res.end();
    } else {
      res.writeHead(404);
      res.end('not found\n');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    port,
    url: (p) => `http://127.0.0.1:${port}${p}`,
    requests,
    hits: (id) => requests.filter((r) => new URL(r, 'http://x').searchParams.get('id') === id).length,
    close: () =>
      new Promise<void>((resolve) => {
        for (const t of timers) clearTimeout(t);
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
