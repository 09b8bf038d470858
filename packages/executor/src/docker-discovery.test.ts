import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { discoverDockerEngine, discoverDockerEngineSync } from './docker-discovery';
import type { DockerDiscoveryOptions } from './docker-discovery';
import { fakeEngineSocket } from './test-support/fake-engine-socket';
import type { FakeEngineSocket } from './test-support/fake-engine-socket';

let dir: string;
let sockets: FakeEngineSocket[];

beforeEach(() => {
  // Short: a Unix socket path has to fit in 108 bytes.
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dd-'));
  sockets = [];
});
afterEach(async () => {
  await Promise.all(sockets.map((s) => s.close()));
  fs.rmSync(dir, { recursive: true, force: true });
});

async function serve(rel: string, answers = true): Promise<string> {
  const s = await fakeEngineSocket(path.join(dir, rel), { answers });
  sockets.push(s);
  return s.path;
}

/** No host state: every system path points into the temp dir, the uid is fixed. */
function options(env: NodeJS.ProcessEnv, extra: Partial<DockerDiscoveryOptions> = {}): DockerDiscoveryOptions {
  return {
    env,
    uid: 4242,
    paths: {
      defaultSocket: path.join(dir, 'var/run/docker.sock'),
      runUserDir: path.join(dir, 'run/user'),
      podmanSocket: path.join(dir, 'run/podman/podman.sock'),
    },
    ...extra,
  };
}

const statuses = (d: { candidates: Array<{ strategy: string; status: string }> }): string[] =>
  d.candidates.map((c) => `${c.strategy}:${c.status}`);

describe('discoverDockerEngine: the order', () => {
  it('takes DOCKER_HOST first, and as final: it is chosen even when it does not answer', async () => {
    await serve('var/run/docker.sock');
    const d = await discoverDockerEngine(
      options({ DOCKER_HOST: 'unix:///nowhere/docker.sock' }, { ping: () => Promise.reject(new Error('ENOENT')) }),
    );
    expect(d).toMatchObject({
      strategy: 'docker-host-env',
      host: 'unix:///nowhere/docker.sock',
      connection: { socketPath: '/nowhere/docker.sock' },
    });
    expect(d.reason).toBe('DOCKER_HOST is set; does not answer GET /_ping: ENOENT');
    expect(d.candidates[0]).toEqual({ ...d.candidates[0], status: 'found' });
    expect(d.candidates.find((c) => c.strategy === 'default-socket')).toMatchObject({
      status: 'skipped',
      reason: 'found, but docker-host-env comes first',
    });
  });

  it('reads tcp:// DOCKER_HOST as before', () => {
    const d = discoverDockerEngineSync(options({ DOCKER_HOST: 'tcp://127.0.0.1:2375' }));
    expect(d).toMatchObject({
      strategy: 'docker-host-env',
      host: 'tcp://127.0.0.1:2375',
      reason: 'DOCKER_HOST is set',
    });
    expect(d.connection).toEqual({ host: '127.0.0.1', port: 2375, protocol: 'http' });
  });

  it('rejects a DOCKER_HOST it cannot use with a TypeError', () => {
    expect(() => discoverDockerEngineSync(options({ DOCKER_HOST: 'ssh://host' }))).toThrow(TypeError);
  });

  it('uses the default socket when it exists, and lists why every other candidate was skipped', async () => {
    const sock = await serve('var/run/docker.sock');
    const d = await discoverDockerEngine(options({}));
    expect(d).toMatchObject({ strategy: 'default-socket', host: `unix://${sock}` });
    expect(d.reason).toBe('the default socket; answers GET /_ping');
    expect(d.candidates).toEqual([
      { strategy: 'docker-host-env', status: 'skipped', reason: 'DOCKER_HOST is unset' },
      { strategy: 'docker-context', status: 'skipped', reason: 'neither DOCKER_CONFIG nor HOME is set' },
      { strategy: 'default-socket', host: `unix://${sock}`, status: 'answered', reason: d.reason },
      {
        strategy: 'rootless',
        host: `unix://${dir}/run/user/4242/docker.sock`,
        status: 'skipped',
        reason: 'does not exist',
      },
      {
        strategy: 'podman',
        host: `unix://${dir}/run/user/4242/podman/podman.sock`,
        status: 'skipped',
        reason: 'does not exist',
      },
      { strategy: 'podman', host: `unix://${dir}/run/podman/podman.sock`, status: 'skipped', reason: 'does not exist' },
    ]);
  });

  it('skips a path that exists but is not a socket', () => {
    fs.mkdirSync(path.join(dir, 'var/run'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'var/run/docker.sock'), '');
    const d = discoverDockerEngineSync(options({}));
    expect(d.candidates[2]).toMatchObject({
      strategy: 'default-socket',
      status: 'skipped',
      reason: 'exists but is not a socket',
    });
  });

  it('falls back to the default socket when nothing is found, saying so', async () => {
    const d = await discoverDockerEngine(options({}, { ping: () => Promise.reject(new Error('unexpected ping')) }));
    expect(d).toMatchObject({
      strategy: 'default-socket',
      host: `unix://${dir}/var/run/docker.sock`,
      reason: 'no candidate applies; trying the default socket',
    });
    expect(d.candidates.every((c) => c.status === 'skipped')).toBe(true);
  });

  it('passes over a socket that does not answer for a later one that does (the sync form does not ping)', async () => {
    await serve('var/run/docker.sock', false);
    const rootless = await serve('xdg/docker.sock');
    const env = { XDG_RUNTIME_DIR: path.join(dir, 'xdg') };
    const d = await discoverDockerEngine(options(env));
    expect(d).toMatchObject({ strategy: 'rootless', host: `unix://${rootless}` });
    expect(d.reason).toBe("rootless Docker's socket in XDG_RUNTIME_DIR; answers GET /_ping");
    expect(d.candidates[2]).toMatchObject({ strategy: 'default-socket', status: 'skipped' });
    expect(d.candidates[2]?.reason).toMatch(/^does not answer GET \/_ping: /);
    expect(discoverDockerEngineSync(options(env)).strategy).toBe('default-socket');
  });

  it('when no socket answers, chooses the first one found, so errors name it', async () => {
    const sock = await serve('var/run/docker.sock', false);
    await serve('xdg/docker.sock', false);
    const d = await discoverDockerEngine(options({ XDG_RUNTIME_DIR: path.join(dir, 'xdg') }));
    expect(d).toMatchObject({ strategy: 'default-socket', host: `unix://${sock}` });
    expect(d.reason).toMatch(
      /^the default socket; does not answer GET \/_ping: .*\(no candidate answers: using the first one found\)$/,
    );
    expect(statuses(d)).toEqual([
      'docker-host-env:skipped',
      'docker-context:skipped',
      'default-socket:found',
      'rootless:skipped',
      'podman:skipped',
      'podman:skipped',
    ]);
  });

  it('uses /run/user/<uid> when XDG_RUNTIME_DIR is unset, and skips it when the uid is unknown too', async () => {
    const sock = await serve('run/user/4242/docker.sock');
    expect(discoverDockerEngineSync(options({}))).toMatchObject({ strategy: 'rootless', host: `unix://${sock}` });
    const d = discoverDockerEngineSync(options({}, { uid: undefined }));
    expect(d.candidates.filter((c) => c.strategy === 'rootless' || c.strategy === 'podman')).toEqual([
      { strategy: 'rootless', status: 'skipped', reason: 'XDG_RUNTIME_DIR is unset and the uid is unknown' },
      { strategy: 'podman', status: 'skipped', reason: 'XDG_RUNTIME_DIR is unset and the uid is unknown' },
      { strategy: 'podman', host: `unix://${dir}/run/podman/podman.sock`, status: 'skipped', reason: 'does not exist' },
    ]);
  });

  it("finds rootful Podman's socket last", async () => {
    const sock = await serve('run/podman/podman.sock');
    const d = await discoverDockerEngine(options({}));
    expect(d).toMatchObject({
      strategy: 'podman',
      host: `unix://${sock}`,
      reason: "rootful Podman's socket; answers GET /_ping",
    });
  });

  it('uses an injected stat and ping (no filesystem, no socket)', async () => {
    const seen: string[] = [];
    const d = await discoverDockerEngine({
      env: {},
      uid: 1000,
      stat: (file) => {
        seen.push(file);
        if (file === '/run/user/1000/podman/podman.sock') return { isSocket: () => true };
        throw Object.assign(new Error('nope'), { code: 'ENOENT' });
      },
      ping: async () => undefined,
    });
    expect(d).toMatchObject({ strategy: 'podman', host: 'unix:///run/user/1000/podman/podman.sock' });
    expect(seen).toEqual([
      '/var/run/docker.sock',
      '/run/user/1000/docker.sock',
      '/run/user/1000/podman/podman.sock',
      '/run/podman/podman.sock',
    ]);
  });
});

describe('discoverDockerEngine: rootless engines end to end (a fake engine on a real socket)', () => {
  it('chooses Podman at $XDG_RUNTIME_DIR/podman/podman.sock when nothing else is there', async () => {
    const sock = await fakeEngineSocket(path.join(dir, 'xdg/podman/podman.sock'));
    sockets.push(sock);
    const d = await discoverDockerEngine({
      env: { XDG_RUNTIME_DIR: path.join(dir, 'xdg') },
      paths: {
        defaultSocket: path.join(dir, 'absent/docker.sock'),
        podmanSocket: path.join(dir, 'absent/podman.sock'),
      },
    });
    expect(d.strategy).toBe('podman');
    expect(d.host).toBe(`unix://${sock.path}`);
    expect(d.connection).toEqual({ socketPath: sock.path });
    expect(d.reason).toBe("rootless Podman's socket in XDG_RUNTIME_DIR; answers GET /_ping");
    expect(sock.requests).toEqual(['GET /_ping']);
    expect(d.candidates.find((c) => c.host === `unix://${sock.path}`)?.status).toBe('answered');
  });

  it('chooses rootless Docker at $XDG_RUNTIME_DIR/docker.sock before Podman', async () => {
    const docker = await fakeEngineSocket(path.join(dir, 'xdg/docker.sock'));
    const podman = await fakeEngineSocket(path.join(dir, 'xdg/podman/podman.sock'));
    sockets.push(docker, podman);
    const d = await discoverDockerEngine({
      env: { XDG_RUNTIME_DIR: path.join(dir, 'xdg') },
      paths: {
        defaultSocket: path.join(dir, 'absent/docker.sock'),
        podmanSocket: path.join(dir, 'absent/podman.sock'),
      },
    });
    expect(d).toMatchObject({ strategy: 'rootless', host: `unix://${docker.path}` });
    expect(podman.requests).toEqual([]);
    expect(d.candidates.find((c) => c.host === `unix://${podman.path}`)).toMatchObject({
      status: 'skipped',
      reason: 'found, but rootless comes first',
    });
  });
});

describe('discoverDockerEngine: the docker CLI context', () => {
  function writeContext(home: string, name: string, host: string, current = true): string {
    const config = path.join(home, '.docker');
    const digest = createHash('sha256').update(name).digest('hex');
    fs.mkdirSync(path.join(config, 'contexts/meta', digest), { recursive: true });
    if (current) fs.writeFileSync(path.join(config, 'config.json'), JSON.stringify({ currentContext: name }));
    fs.writeFileSync(
      path.join(config, 'contexts/meta', digest, 'meta.json'),
      JSON.stringify({ Name: name, Endpoints: { docker: { Host: host, SkipTLSVerify: false } } }),
    );
    return path.join(config, 'contexts/tls', digest, 'docker');
  }

  it("takes the current context's socket before the default socket", async () => {
    await serve('var/run/docker.sock');
    const colima = await serve('colima/docker.sock');
    const home = path.join(dir, 'home');
    writeContext(home, 'colima', `unix://${colima}`);
    const d = await discoverDockerEngine(options({ HOME: home }));
    expect(d).toMatchObject({ strategy: 'docker-context', host: `unix://${colima}` });
    expect(d.reason).toBe("docker context 'colima'; answers GET /_ping");
  });

  it('honours DOCKER_CONTEXT and DOCKER_CONFIG, and reads TLS material for tcp:// endpoints', () => {
    const config = path.join(dir, 'cfg');
    const tls = writeContext(path.join(dir, 'unused'), 'remote', 'tcp://10.0.0.5:2376', false);
    fs.renameSync(path.join(dir, 'unused/.docker'), config);
    const tlsDir = tls.replace(path.join(dir, 'unused/.docker'), config);
    fs.mkdirSync(tlsDir, { recursive: true });
    fs.writeFileSync(path.join(tlsDir, 'ca.pem'), 'CA');
    const d = discoverDockerEngineSync(options({ DOCKER_CONFIG: config, DOCKER_CONTEXT: 'remote' }));
    expect(d).toMatchObject({ strategy: 'docker-context', host: 'tcp://10.0.0.5:2376' });
    expect(d.connection).toMatchObject({ host: '10.0.0.5', port: 2376, protocol: 'https' });
    expect('ca' in d.connection && d.connection.ca?.toString()).toBe('CA');
  });

  it.each([
    ['no config.json', () => undefined, /config\.json: does not exist$/],
    [
      "the 'default' context",
      (home: string) => {
        fs.mkdirSync(path.join(home, '.docker'), { recursive: true });
        fs.writeFileSync(path.join(home, '.docker/config.json'), JSON.stringify({ currentContext: 'default' }));
      },
      /^the current context is 'default'/,
    ],
    [
      'an ssh:// endpoint',
      (home: string) => void writeContext(home, 'far', 'ssh://me@far'),
      /only unix:\/\/ and tcp:\/\/ are supported$/,
    ],
    [
      'a context without meta.json',
      (home: string) => {
        fs.mkdirSync(path.join(home, '.docker'), { recursive: true });
        fs.writeFileSync(path.join(home, '.docker/config.json'), JSON.stringify({ currentContext: 'gone' }));
      },
      /^context 'gone': .*meta\.json: does not exist$/,
    ],
  ])('skips %s, saying why', (_what, arrange: (home: string) => void, reason) => {
    const home = path.join(dir, 'home');
    arrange(home);
    const d = discoverDockerEngineSync(options({ HOME: home }));
    expect(d.candidates[1]?.status).toBe('skipped');
    expect(d.candidates[1]?.reason).toMatch(reason);
  });
});
