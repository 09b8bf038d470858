import { engineMountDenial } from './engine-paths';

describe('engineMountDenial: the floor under every policy', () => {
  const env = {};
  it.each([
    ['/', /expose the always-denied system path/],
    ['/var', /expose .*\/var\/run\/docker|expose .*\/var\/lib\/docker/],
    ['/var/lib', /expose .*\/var\/lib\/docker/],
    ['/var/lib/docker', /inside the always-denied system path '\/var\/lib\/docker'/],
    ['/var/lib/docker/volumes/x/_data', /inside .*\/var\/lib\/docker/],
    ['/var/lib/containerd/io.containerd.snapshotter.v1.overlayfs', /inside .*\/var\/lib\/containerd/],
    ['/run/containerd', /inside/],
    ['/run/docker', /inside/],
    ['/run', /expose/],
    ['/etc', /inside the always-denied system path '\/etc'/],
    ['/proc/1/root', /inside the always-denied system path '\/proc'/],
  ])('%s is refused', (source, message) => {
    expect(engineMountDenial(source, env)).toEqual(expect.stringMatching(message));
  });

  it.each(['/tmp/ws', '/srv/projects/a', '/home/user/repo', '/var/lib/dockerish', '/etcetera'])(
    '%s is allowed',
    (source) => {
      expect(engineMountDenial(source, env)).toBeUndefined();
    },
  );

  it('the socket DOCKER_HOST points at, and its directory, are refused', () => {
    const e = { DOCKER_HOST: 'unix:///srv/engine/docker.sock' };
    expect(engineMountDenial('/srv/engine/docker.sock', e)).toMatch(/inside/);
    expect(engineMountDenial('/srv/engine', e)).toMatch(/expose '?.*\/srv\/engine\/docker.sock/);
    expect(engineMountDenial('/srv/other', e)).toBeUndefined();
    expect(engineMountDenial('/srv/engine', { DOCKER_HOST: 'tcp://127.0.0.1:2375' })).toBeUndefined();
  });
});
