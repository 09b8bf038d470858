import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { pingEngine } from './docker-ping';
import { fakeEngineSocket } from './test-support/fake-engine-socket';

describe('pingEngine', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dp-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  async function withServer(server: net.Server, run: (file: string) => Promise<void>): Promise<void> {
    const file = path.join(dir, 's.sock');
    await new Promise<void>((resolve) => server.listen(file, resolve));
    try {
      await run(file);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  }

  it('resolves when GET /_ping answers 200', async () => {
    const engine = await fakeEngineSocket(path.join(dir, 'e.sock'));
    try {
      await expect(pingEngine({ socketPath: engine.path })).resolves.toBeUndefined();
    } finally {
      await engine.close();
    }
  });

  it('rejects another status, a dropped connection, a missing socket and silence', async () => {
    await withServer(
      http.createServer((_req, res) => res.writeHead(500).end()),
      (file) => expect(pingEngine({ socketPath: file })).rejects.toThrow('GET /_ping answered HTTP 500'),
    );
    await withServer(
      net.createServer((s) => s.destroy()),
      (file) => expect(pingEngine({ socketPath: file })).rejects.toThrow(),
    );
    await expect(pingEngine({ socketPath: path.join(dir, 'absent.sock') })).rejects.toMatchObject({ code: 'ENOENT' });
    await withServer(
      http.createServer(() => undefined),
      (file) => expect(pingEngine({ socketPath: file }, 50)).rejects.toThrow('no answer within 50 ms'),
    );
  });
});
