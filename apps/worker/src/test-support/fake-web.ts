import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A 127.0.0.1 server with a page (`/page`), a slow page (`/slow?ms=N`), a page that sends `bytes` bytes of
 * `x` and then stalls until the client leaves (`/stall?bytes=N`) and a fake SearXNG (`/search?q=&format=json`).
 */
export interface FakeWeb {
  port: number;
  url(path: string): string;
  requests: string[];
  close(): Promise<void>;
}

export async function startFakeWeb(): Promise<FakeWeb> {
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
          res.end('slow page done\n');
        },
        Number(url.searchParams.get('ms') ?? '1000'),
      );
      timers.add(timer);
    } else if (url.pathname === '/stall') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('x'.repeat(Number(url.searchParams.get('bytes') ?? '4096')));
    } else if (url.pathname === '/search' && url.searchParams.get('format') === 'json') {
      const q = url.searchParams.get('q') ?? '';
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          query: q,
          results: [
            { title: `First result for ${q}`, url: 'https://example.org/1', content: 'snippet one' },
            { title: 'Second', url: 'https://example.org/2', content: 'snippet two' },
            { title: 'Third', url: 'https://example.org/3', content: 'snippet three' },
          ],
        }),
      );
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
    close: () =>
      new Promise<void>((resolve) => {
        for (const t of timers) clearTimeout(t);
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A policy file that lets tools mount `workspace` and reach 127.0.0.1:`port` (the default policy forbids loopback). */
export function loopbackPolicyYaml(workspace: string, port: number): string {
  return [
    'id: worker-cli-test',
    'mode: strict',
    'mounts:',
    '  allow_bind_mounts: true',
    '  mount_allowlist:',
    `    - path: ${JSON.stringify(workspace)}`,
    '      mode: readwrite',
    'network:',
    '  allow_network: true',
    '  allow_private: true',
    '  allowed_networks: ["127.0.0.0/8"]',
    `  allowed_ports: [${port}]`,
    '',
  ].join('\n');
}
