import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { dockerConnectionFromEnv } from './docker-client';

describe('dockerConnectionFromEnv', () => {
  it('defaults to the standard socket', () => {
    expect(dockerConnectionFromEnv({})).toEqual({ socketPath: '/var/run/docker.sock' });
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
