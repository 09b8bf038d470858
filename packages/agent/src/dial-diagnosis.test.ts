import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { diagnoseDial } from './dial-diagnosis';

function listen(server: net.Server, target: string | number): Promise<void> {
  return new Promise((resolve) => server.listen(target as never, '127.0.0.1' as never, () => resolve()));
}

describe('diagnoseDial', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dial-diag-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('no socket at the path: ENOENT, naming the resolved path and orchestrator serve', async () => {
    const sock = path.join(dir, 'absent.sock');
    expect(await diagnoseDial(`unix://${sock}`)).toEqual({
      errno: 'ENOENT',
      message: `no socket at ${sock} (ENOENT): is \`orchestrator serve\` running with --listen unix://${sock}?`,
    });
  });

  test('a stale socket file that refuses: ECONNREFUSED', async () => {
    // A hard link outlives the listener's own unlink on close: a socket file with no one behind it.
    const live = path.join(dir, 'live.sock');
    const stale = path.join(dir, 'stale.sock');
    const server = net.createServer();
    await new Promise<void>((r) => server.listen(live, () => r()));
    fs.linkSync(live, stale);
    await new Promise<void>((r) => server.close(() => r()));
    const d = await diagnoseDial(`unix://${stale}`);
    expect(d.errno).toBe('ECONNREFUSED');
    expect(d.message).toContain(`${stale} exists but nothing accepts connections on it (ECONNREFUSED)`);
  });

  test('a file that is not a socket: ENOTSOCK', async () => {
    const file = path.join(dir, 'plain');
    fs.writeFileSync(file, '');
    expect((await diagnoseDial(`unix://${file}`)).errno).toBe('ENOTSOCK');
  });

  test('a socket this user may not connect to: EACCES', async () => {
    const server = net.createServer();
    const sock = path.join(dir, 'private.sock');
    await new Promise<void>((r) => server.listen(sock, () => r()));
    fs.chmodSync(dir, 0o755);
    fs.chmodSync(sock, 0o600);
    try {
      if (process.getuid?.() === 0) {
        // root connects anywhere: ask as nobody, through the same source file.
        const script = `require(${JSON.stringify(path.join(__dirname, 'dial-diagnosis.ts'))}).diagnoseDial(${JSON.stringify(`unix://${sock}`)}).then((d) => process.stdout.write(JSON.stringify(d)))`;
        // tsx caches in TMPDIR, and the test run's own TMPDIR is private to root: give nobody one of its own.
        const nobodyTmp = fs.mkdtempSync('/tmp/baaaht-nobody-');
        fs.chownSync(nobodyTmp, 65534, 65534);
        const out = spawnSync(process.execPath, ['--require', require.resolve('tsx/cjs'), '-e', script], {
          uid: 65534,
          gid: 65534,
          encoding: 'utf8',
          env: { ...process.env, TMPDIR: nobodyTmp },
        });
        fs.rmSync(nobodyTmp, { recursive: true, force: true });
        expect(out.stderr).toBe('');
        expect(JSON.parse(out.stdout)).toMatchObject({ errno: 'EACCES', message: expect.stringContaining('(EACCES)') });
      } else {
        expect(await diagnoseDial(`unix://${sock}`)).toMatchObject({ errno: 'EACCES' });
      }
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  });

  test('TCP: nothing on the port is ECONNREFUSED; a listener that is not gRPC is named as such', async () => {
    const server = net.createServer((s) => s.destroy());
    await listen(server, 0);
    const { port } = server.address() as net.AddressInfo;
    expect(await diagnoseDial(`127.0.0.1:${port}`)).toMatchObject({
      errno: undefined,
      message: expect.stringContaining(`127.0.0.1:${port} accepts TCP connections`),
    });
    await new Promise<void>((r) => server.close(() => r()));
    expect(await diagnoseDial(`127.0.0.1:${port}`)).toEqual({
      errno: 'ECONNREFUSED',
      message: `nothing listens on 127.0.0.1:${port} (ECONNREFUSED): is \`orchestrator serve\` running with --listen 127.0.0.1:${port}?`,
    });
  });

  test('an address that does not parse is described, not thrown', async () => {
    expect(await diagnoseDial('nonsense')).toMatchObject({
      errno: undefined,
      message: expect.stringContaining('expected'),
    });
  });
});
