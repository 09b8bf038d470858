import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';

/** A listening Unix socket; `close()` stops it. */
export interface FakeEngineSocket {
  path: string;
  /** Requests seen, as `METHOD /path`. */
  requests: string[];
  close(): Promise<void>;
}

/**
 * A Unix socket at `file` (parents created) that speaks just enough of the Engine API for discovery:
 * `GET /_ping` answers 200 `OK` when `answers` (the default), else every connection is dropped at once.
 */
export async function fakeEngineSocket(file: string, options: { answers?: boolean } = {}): Promise<FakeEngineSocket> {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const requests: string[] = [];
  const server: net.Server =
    options.answers === false
      ? net.createServer((s) => s.destroy())
      : http.createServer((req, res) => {
          requests.push(`${req.method ?? '?'} ${req.url ?? '?'}`);
          if (req.url === '/_ping') res.writeHead(200, { 'content-type': 'text/plain' }).end('OK');
          else res.writeHead(404).end();
        });
  await new Promise<void>((resolve) => server.listen(file, resolve));
  return { path: file, requests, close: () => new Promise((resolve) => server.close(() => resolve())) };
}
