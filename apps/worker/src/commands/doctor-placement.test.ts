import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { socketPlacementCheck } from './doctor-command';

describe('worker doctor: socket placement', () => {
  let dir: string;
  let server: net.Server | undefined;

  beforeAll(() => {
    if (process.getuid?.() !== 0) throw new Error('this test chowns a socket to another uid: run it as root');
  });
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'baaaht-doctor-'));
  });
  afterEach(async () => {
    if (server) await new Promise((resolve) => server?.close(resolve));
    server = undefined;
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function listen(p: string): Promise<void> {
    server = net.createServer();
    await new Promise<void>((resolve) => server?.listen(p, resolve));
  }

  test('TCP addresses have no placement check', () => {
    expect(socketPlacementCheck('127.0.0.1:7443')).toBeUndefined();
  });

  test('a socket of ours in a private directory passes', async () => {
    const sock = path.join(dir, 'grpc.sock');
    await listen(sock);
    expect(socketPlacementCheck(`unix://${sock}`)).toMatchObject({
      ok: true,
      detail: expect.stringContaining('in a private directory (mode 0700)'),
    });
  });

  test('a socket owned by another user fails, with the fix', async () => {
    const sock = path.join(dir, 'grpc.sock');
    await listen(sock);
    fs.chownSync(sock, 65534, 65534);
    expect(socketPlacementCheck(`unix://${sock}`)).toMatchObject({
      ok: false,
      detail: expect.stringContaining('owned by nobody (uid 65534)'),
      fix: expect.any(String),
    });
  });

  test('no socket yet: says whether its directory is a safe place', () => {
    expect(socketPlacementCheck(`unix://${path.join(dir, 'sub', 'grpc.sock')}`)).toMatchObject({
      ok: true,
      detail: expect.stringContaining('creates'),
    });
    fs.chmodSync(dir, 0o777);
    expect(socketPlacementCheck(`unix://${path.join(dir, 'grpc.sock')}`)).toMatchObject({ ok: false });
  });
});
