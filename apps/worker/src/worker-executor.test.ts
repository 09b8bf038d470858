import type { DockerDiscovery } from '@baaaht/executor';
import { executorEnv } from './worker-executor';

const discovered = (over: Partial<DockerDiscovery>): DockerDiscovery => ({
  strategy: 'podman',
  host: 'unix:///run/user/1000/podman/podman.sock',
  connection: { socketPath: '/run/user/1000/podman/podman.sock' },
  reason: 'test',
  candidates: [],
  ...over,
});

describe('executorEnv', () => {
  it('pins a discovered socket as DOCKER_HOST, so the mount floor refuses it', () => {
    expect(executorEnv({ HOME: '/h' }, discovered({}))).toEqual({
      HOME: '/h',
      DOCKER_HOST: 'unix:///run/user/1000/podman/podman.sock',
    });
  });

  it('leaves DOCKER_HOST and TCP engines as they are', () => {
    const env = { DOCKER_HOST: 'unix:///srv/docker.sock' };
    expect(executorEnv(env, discovered({ strategy: 'docker-host-env' }))).toBe(env);
    const tcp = discovered({
      strategy: 'docker-context',
      host: 'tcp://10.0.0.5:2375',
      connection: { host: '10.0.0.5', port: 2375, protocol: 'http' },
    });
    expect(executorEnv({}, tcp)).toEqual({});
  });
});
