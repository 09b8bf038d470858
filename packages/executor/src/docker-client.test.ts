import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createDockerClient, dockerConnectionFromEnv } from './docker-client';
import { captureLogger } from './test-support/capture-logger';
import { fakeEngineSocket } from './test-support/fake-engine-socket';

/** Discovery that sees no socket anywhere: the result depends on the environment alone, not on this host. */
const nothingOnDisk = {
  stat: (): never => {
    throw Object.assign(new Error('ENOENT'), { code: 'ENOENT' });
  },
};

describe('dockerConnectionFromEnv', () => {
  it('defaults to the standard socket', () => {
    expect(dockerConnectionFromEnv({}, nothingOnDisk)).toEqual({ socketPath: '/var/run/docker.sock' });
  });

  it('reads unix:// and tcp:// from DOCKER_HOST', () => {
    expect(dockerConnectionFromEnv({ DOCKER_HOST: 'unix:///run/user/1000/docker.sock' })).toEqual({
      socketPath: '/run/user/1000/docker.sock',
    });
    expect(dockerConnectionFromEnv({ DOCKER_HOST: 'tcp://127.0.0.1:2375' })).toEqual({
      host: '127.0.0.1',
      port: 2375,
      protocol: 'http',
    });
  });

  it('uses TLS with the certificates in DOCKER_CERT_PATH when DOCKER_TLS_VERIFY is set', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'certs-'));
    for (const f of ['ca.pem', 'cert.pem', 'key.pem']) fs.writeFileSync(path.join(dir, f), f);
    try {
      const c = dockerConnectionFromEnv({
        DOCKER_HOST: 'tcp://127.0.0.1',
        DOCKER_TLS_VERIFY: '1',
        DOCKER_CERT_PATH: dir,
      });
      expect(c).toMatchObject({ host: '127.0.0.1', port: 2376, protocol: 'https' });
      expect('ca' in c && c.ca?.toString()).toBe('ca.pem');
    } finally {
      fs.rmSync(dir, { recursive: true });
    }
  });

  it('rejects other schemes with a TypeError', () => {
    expect(() => dockerConnectionFromEnv({ DOCKER_HOST: 'ssh://host' })).toThrow(TypeError);
  });
});

describe('createDockerClient', () => {
  it('composes the resource clients on one engine, flat and by resource, logging as component docker', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dc-'));
    const engine = await fakeEngineSocket(path.join(dir, 'engine.sock'));
    const { logger, entries } = captureLogger();
    try {
      const client = createDockerClient({ connection: { socketPath: engine.path }, logger });
      expect(client.connection).toEqual({ socketPath: engine.path });
      expect(client.discovery).toBeUndefined();
      expect(client.createContainer).toBe(client.containers.createContainer);
      expect(client.imageExists).toBe(client.images.imageExists);
      expect(client.runtimes).toBe(client.engine.runtimes);
      await client.engine.ping();
      expect(engine.requests).toEqual(['GET /_ping']);
      expect(entries).toEqual([
        { level: 'debug', message: 'pinging engine', meta: { component: 'docker' } },
        { level: 'debug', message: 'engine answered', meta: { component: 'docker' } },
      ]);
    } finally {
      await engine.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('finds its engine by discovery when no connection is given', () => {
    const client = createDockerClient({ env: { DOCKER_HOST: 'tcp://127.0.0.1:2375' }, discovery: nothingOnDisk });
    expect(client.discovery).toMatchObject({ strategy: 'docker-host-env', host: 'tcp://127.0.0.1:2375' });
    expect(client.connection).toEqual({ host: '127.0.0.1', port: 2375, protocol: 'http' });
  });
});
