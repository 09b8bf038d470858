import { chmodSync, chownSync, lchownSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultSocketAddress, defaultSocketPath, inspectSocketPath } from './socket-placement';

// These tests chown to another uid, which needs root (as in CI and the dev container).
const NOBODY = 65534;
const runningAsRoot = process.getuid?.() === 0;

describe('inspectSocketPath', () => {
  let dir: string;
  const servers: Server[] = [];

  async function socketAt(path: string): Promise<string> {
    const server = createServer();
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(path, resolve));
    return path;
  }

  beforeAll(() => {
    if (!runningAsRoot) throw new Error('socket-placement tests chown files to another uid: run them as root');
  });

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'baaaht-place-'));
  });

  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
    rmSync(dir, { recursive: true, force: true });
  });

  test('a socket owned by self in a private directory is trusted', async () => {
    const sock = await socketAt(join(dir, 'grpc.sock'));
    expect(inspectSocketPath(sock)).toMatchObject({ verdict: 'trusted', ownerUid: 0, shared: false });
  });

  test('a missing socket is absent, not untrusted', () => {
    expect(inspectSocketPath(join(dir, 'none.sock')).verdict).toBe('absent');
  });

  test('a socket owned by another uid is refused, naming the owner', async () => {
    const sock = await socketAt(join(dir, 'grpc.sock'));
    chownSync(sock, NOBODY, NOBODY);
    const placement = inspectSocketPath(sock);
    expect(placement).toMatchObject({ verdict: 'untrusted', ownerUid: NOBODY, ownerName: 'nobody', entry: sock });
    expect(placement.problem).toContain(`${sock} is owned by nobody (uid ${NOBODY})`);
  });

  test('a socket in a world-writable directory without the sticky bit is refused', async () => {
    const open = join(dir, 'open');
    mkdirSync(open);
    chmodSync(open, 0o777);
    const sock = await socketAt(join(open, 'grpc.sock'));
    const placement = inspectSocketPath(sock);
    expect(placement).toMatchObject({ verdict: 'untrusted', entry: open, directoryMode: '0777' });
    expect(placement.problem).toMatch(/writable by group or others without the sticky bit/);
    expect(placement.fix).toMatch(/chmod go-w/);
  });

  test('a group-writable directory without the sticky bit is refused too', async () => {
    const group = join(dir, 'group');
    mkdirSync(group);
    chmodSync(group, 0o770);
    const sock = await socketAt(join(group, 'grpc.sock'));
    expect(inspectSocketPath(sock)).toMatchObject({ verdict: 'untrusted', directoryMode: '0770' });
  });

  test('in a sticky /tmp-like directory a socket owned by self is allowed, one owned by another is refused', async () => {
    const sticky = join(dir, 'sticky');
    mkdirSync(sticky);
    chmodSync(sticky, 0o1777);
    const mine = await socketAt(join(sticky, 'mine.sock'));
    expect(inspectSocketPath(mine)).toMatchObject({ verdict: 'trusted', shared: true, directoryMode: '1777' });
    const theirs = await socketAt(join(sticky, 'theirs.sock'));
    chownSync(theirs, NOBODY, NOBODY);
    const placement = inspectSocketPath(theirs);
    expect(placement).toMatchObject({ verdict: 'untrusted', ownerUid: NOBODY, directoryMode: '1777' });
    expect(placement.problem).toMatch(/in shared directory .* \(mode 1777\)/);
  });

  test('a symlink to a socket owned by another user is refused; to one owned by self, followed', async () => {
    const other = join(dir, 'other');
    mkdirSync(other);
    const theirs = await socketAt(join(other, 'grpc.sock'));
    chownSync(theirs, NOBODY, NOBODY);
    const link = join(dir, 'link.sock');
    symlinkSync(theirs, link);
    expect(inspectSocketPath(link)).toMatchObject({ verdict: 'untrusted', entry: theirs, ownerUid: NOBODY });

    const mine = await socketAt(join(other, 'mine.sock'));
    const good = join(dir, 'good.sock');
    symlinkSync('other/mine.sock', good);
    expect(inspectSocketPath(good)).toMatchObject({ verdict: 'trusted', resolvedPath: mine });
  });

  test('a symlink owned by another user in a sticky directory is refused before it is followed', async () => {
    const sticky = join(dir, 'sticky');
    mkdirSync(sticky);
    chmodSync(sticky, 0o1777);
    const mine = await socketAt(join(dir, 'mine.sock'));
    const link = join(sticky, 'grpc.sock');
    symlinkSync(mine, link);
    lchownSync(link, NOBODY, NOBODY);
    expect(inspectSocketPath(link)).toMatchObject({ verdict: 'untrusted', entry: link, ownerUid: NOBODY });
  });

  test('a directory owned by another user on the way is refused', async () => {
    const theirs = join(dir, 'theirs');
    mkdirSync(theirs);
    const sock = await socketAt(join(theirs, 'grpc.sock'));
    chownSync(theirs, NOBODY, NOBODY);
    expect(inspectSocketPath(sock)).toMatchObject({ verdict: 'untrusted', entry: theirs, ownerUid: NOBODY });
    expect(inspectSocketPath(sock, { trustedUids: [NOBODY] }).verdict).toBe('trusted');
  });

  test('a regular file where the socket should be is refused', () => {
    const file = join(dir, 'grpc.sock');
    writeFileSync(file, 'not a socket');
    const placement = inspectSocketPath(file);
    expect(placement).toMatchObject({ verdict: 'untrusted', entry: file });
    expect(placement.problem).toBe(`${file} is not a socket`);
  });

  test('expect: directory checks a place to create a socket in', () => {
    expect(inspectSocketPath(dir, { expect: 'directory' }).verdict).toBe('trusted');
    chmodSync(dir, 0o777);
    expect(inspectSocketPath(dir, { expect: 'directory' })).toMatchObject({ verdict: 'untrusted', entry: dir });
  });
});

describe('defaultSocketPath', () => {
  test('root: /run/baaaht', () => {
    expect(defaultSocketPath({ XDG_RUNTIME_DIR: '/run/user/0' }, 0)).toBe('/run/baaaht/grpc.sock');
  });
  test('a user: under XDG_RUNTIME_DIR', () => {
    expect(defaultSocketAddress({ XDG_RUNTIME_DIR: '/run/user/1000' }, 1000)).toBe(
      'unix:///run/user/1000/baaaht/grpc.sock',
    );
  });
  test('a user without XDG_RUNTIME_DIR: a per-user directory under TMPDIR, never /tmp/baaaht-grpc.sock', () => {
    expect(defaultSocketPath({}, 1000)).toBe('/tmp/baaaht-1000/grpc.sock');
    expect(defaultSocketPath({ TMPDIR: '/var/tmp' }, 1000)).toBe('/var/tmp/baaaht-1000/grpc.sock');
  });
});
