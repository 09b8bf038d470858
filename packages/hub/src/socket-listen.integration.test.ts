import {
  chmodSync,
  chownSync,
  linkSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { Agent } from '@baaaht/agent';
import type { Logger as AgentLogger } from '@baaaht/agent';
import { FakeHandler } from '@baaaht/test-utils';
import { createHub, createHubClient } from './index';
import type { Hub } from './index';
import { tempSocketDir } from './test-support/temp-socket';

jest.setTimeout(30000);

const NOBODY = 65534;

/** A socket file nobody listens on: bind, hard-link it aside, close (which unlinks only the original). */
async function staleSocketAt(path: string): Promise<void> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(`${path}.orig`, resolve));
  linkSync(`${path}.orig`, path);
  await new Promise((resolve) => server.close(resolve));
}

async function answers(address: string): Promise<boolean> {
  const client = createHubClient(address);
  try {
    await client.workers();
    return true;
  } catch {
    return false;
  } finally {
    client.close();
  }
}

describe('hub Unix socket placement and takeover', () => {
  let sock: ReturnType<typeof tempSocketDir>;
  const hubs: Hub[] = [];
  const agents: Agent[] = [];

  beforeAll(() => {
    if (process.getuid?.() !== 0) throw new Error('these tests chown sockets to another uid: run them as root');
  });

  beforeEach(() => {
    sock = tempSocketDir('baaaht-sock-');
  });

  afterEach(async () => {
    await Promise.all(agents.splice(0).map((a) => a.close({ force: true })));
    await Promise.all(hubs.splice(0).map((h) => h.close()));
    sock.cleanup();
  });

  function hub(options: Parameters<typeof createHub>[0] = {}): Hub {
    const h = createHub(options);
    hubs.push(h);
    return h;
  }

  test('a second hub on a live socket fails with ADDRESS_IN_USE and the first still answers', async () => {
    const first = await hub().listen(sock.address);
    const path = first.slice('unix://'.length);
    const inode = lstatSync(path).ino;
    await expect(hub().listen(sock.address)).rejects.toMatchObject({
      name: 'HubListenError',
      code: 'ADDRESS_IN_USE',
      message: expect.stringContaining(`address in use: ${path} answers (owner uid 0)`),
    });
    expect(lstatSync(path).ino).toBe(inode);
    expect(await answers(first)).toBe(true);
  });

  test('a stale socket is replaced', async () => {
    const path = join(sock.dir, 'hub.sock');
    await staleSocketAt(path);
    const stale = lstatSync(path).ino;
    const address = await hub().listen(sock.address);
    expect(lstatSync(path).ino).not.toBe(stale);
    expect(await answers(address)).toBe(true);
  });

  test('a regular file at the path is refused and left untouched', async () => {
    const path = join(sock.dir, 'hub.sock');
    writeFileSync(path, 'precious');
    await expect(hub().listen(sock.address)).rejects.toMatchObject({ code: 'NOT_A_SOCKET' });
    expect(readFileSync(path, 'utf8')).toBe('precious');
  });

  test('the socket is 0600 even under umask 000, with no staging directory left behind', async () => {
    const previous = process.umask(0);
    try {
      await hub().listen(sock.address);
    } finally {
      process.umask(previous);
    }
    const st = lstatSync(join(sock.dir, 'hub.sock'));
    expect(st.isSocket()).toBe(true);
    expect(st.mode & 0o7777).toBe(0o600);
    expect(readdirSync(sock.dir)).toEqual(['hub.sock']);
  });

  test('socketGroup makes it 0660 with that group, and a missing directory 0710', async () => {
    const path = join(sock.dir, 'run', 'hub.sock');
    const previous = process.umask(0);
    try {
      await hub({ socketGroup: 'nogroup' }).listen(`unix://${path}`);
    } finally {
      process.umask(previous);
    }
    const st = lstatSync(path);
    expect(st.mode & 0o7777).toBe(0o660);
    expect(st.gid).toBe(NOBODY);
    const dir = lstatSync(join(sock.dir, 'run'));
    expect(dir.mode & 0o7777).toBe(0o710);
    expect(dir.gid).toBe(NOBODY);
  });

  test('a missing socket directory is created 0700', async () => {
    await hub().listen(`unix://${join(sock.dir, 'private', 'grpc.sock')}`);
    expect(lstatSync(join(sock.dir, 'private')).mode & 0o7777).toBe(0o700);
  });

  test('a world-writable directory without the sticky bit is refused', async () => {
    const open = join(sock.dir, 'open');
    mkdirSync(open);
    chmodSync(open, 0o777);
    await expect(hub().listen(`unix://${join(open, 'hub.sock')}`)).rejects.toMatchObject({
      code: 'UNTRUSTED_SOCKET_DIR',
    });
  });

  test('close() removes its own socket, not one that replaced it', async () => {
    const own = hub();
    const path = (await own.listen(sock.address)).slice('unix://'.length);
    await own.close();
    expect(() => lstatSync(path)).toThrow(/ENOENT/);

    const replaced = hub();
    await replaced.listen(sock.address);
    unlinkSync(path);
    const other = createServer();
    await new Promise<void>((resolve) => other.listen(path, resolve));
    try {
      await replaced.close();
      expect(lstatSync(path).isSocket()).toBe(true);
    } finally {
      await new Promise((resolve) => other.close(resolve));
    }
  });

  test('the worker refuses a socket owned by another user (UNTRUSTED_SOCKET), and connects once it is fixed', async () => {
    const address = await hub().listen(sock.address);
    const path = address.slice('unix://'.length);
    chownSync(path, NOBODY, NOBODY);
    const warnings: Record<string, unknown>[] = [];
    const logger: AgentLogger = {
      trace: () => undefined,
      debug: () => undefined,
      info: () => undefined,
      warn: (message, meta) => warnings.push({ message, ...meta }),
      error: () => undefined,
    };
    const refused = Agent.create({
      handler: new FakeHandler(),
      address,
      logger,
      reconnectIntervalMs: 10,
      reconnectMaxAttempts: 1,
    });
    agents.push(refused);
    await expect(refused.start()).rejects.toMatchObject({ code: 'RECONNECT_EXHAUSTED' });
    expect(warnings[0]).toMatchObject({ code: 'UNTRUSTED_SOCKET' });
    expect(String(warnings[0]?.['error'])).toContain(`refusing orchestrator socket ${path}`);

    chownSync(path, 0, 0);
    const accepted = Agent.create({ handler: new FakeHandler(), address });
    agents.push(accepted);
    await accepted.start();
  });
});
