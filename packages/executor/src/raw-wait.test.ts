import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import Docker from 'dockerode';
import { rawWait } from './raw-wait';

/** An HTTP server on a unix socket that answers `/containers/<id>/wait` with `handler`. */
async function engine(
  handler: (req: http.IncomingMessage, res: http.ServerResponse) => void,
): Promise<{ socketPath: string; close(): Promise<void> }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'raw-wait-'));
  const socketPath = path.join(dir, 'docker.sock');
  const server = http.createServer(handler);
  await new Promise<void>((r) => server.listen(socketPath, r));
  return {
    socketPath,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Sends the headers at once (as dockerd does), then lets the engine "die" before the body. */
const dyingEngine = (req: http.IncomingMessage, res: http.ServerResponse): void => {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.flushHeaders();
  setTimeout(() => req.socket.destroy(), 50);
};

describe('rawWait', () => {
  it("resolves with the container's exit status", async () => {
    const e = await engine((req, res) => {
      expect([req.method, req.url]).toEqual(['POST', '/containers/abc/wait']);
      res.end(JSON.stringify({ StatusCode: 143, Error: null }));
    });
    try {
      await expect(rawWait({ socketPath: e.socketPath }, 'abc')).resolves.toBe(143);
    } finally {
      await e.close();
    }
  });

  it('rejects with the HTTP status when the engine refuses (no such container)', async () => {
    const e = await engine((_req, res) => {
      res.writeHead(404).end(JSON.stringify({ message: 'No such container: gone' }));
    });
    try {
      await expect(rawWait({ socketPath: e.socketPath }, 'gone')).rejects.toMatchObject({
        statusCode: 404,
        message: expect.stringMatching(/^wait gone: HTTP 404: .*No such container/),
      });
    } finally {
      await e.close();
    }
  });

  it('rejects when the engine goes away after the headers, before the exit status', async () => {
    const e = await engine(dyingEngine);
    try {
      await expect(rawWait({ socketPath: e.socketPath }, 'abc')).rejects.toMatchObject({
        code: 'ECONNRESET',
        message: "wait abc: the engine closed the connection before the container's exit status (ECONNRESET)",
      });
    } finally {
      await e.close();
    }
  });

  it('(why it exists) dockerode never settles in that case', async () => {
    const e = await engine(dyingEngine);
    try {
      const settled = await Promise.race([
        new Docker({ socketPath: e.socketPath })
          .getContainer('abc')
          .wait()
          .then(
            () => 'resolved',
            () => 'rejected',
          ),
        new Promise((r) => setTimeout(() => r('still pending'), 1_000)),
      ]);
      expect(settled).toBe('still pending');
    } finally {
      await e.close();
    }
  });
});
