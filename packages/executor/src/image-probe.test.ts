import { LABELS } from './labels';
import { PROBE_SCRIPT, probeToolImages, toolPrograms } from './image-probe';
import type { ProbeToolImagesOptions, ToolImageNeed } from './image-probe';
import { FakeDocker } from './test-support/fake-docker';

const TOOLS: ToolImageNeed[] = [
  { tool: 'file_read', image: 'img:busybox', programs: ['sh', 'cat', 'sed', 'stat'] },
  { tool: 'fetch_url', image: 'img:busybox', programs: ['sh', 'curl', 'dd', 'cat'] },
  { tool: 'list', image: 'img:gone', programs: ['find', 'stat'] },
];

function options(docker: FakeDocker, extra: Partial<ProbeToolImagesOptions> = {}): ProbeToolImagesOptions {
  return {
    docker,
    tools: TOOLS,
    pullPolicy: 'never',
    runtime: 'runc',
    workerId: 'w-probe',
    instanceId: 'i-probe',
    version: '0.0.0',
    ...extra,
  };
}

describe('probeToolImages', () => {
  it('runs one hardened container per present image with the programs as arguments, and removes it', async () => {
    const docker = new FakeDocker();
    docker.images.add('img:busybox');
    docker.program = (c) => {
      c.stdout('missing curl\nbaaaht-probe-done\n');
      c.exit(0);
    };
    const results = await probeToolImages(options(docker));
    expect(docker.containers).toHaveLength(1);
    const [c] = docker.containers;
    expect(c?.body.Cmd).toEqual(['sh', '-c', PROBE_SCRIPT, 'probe', 'cat', 'curl', 'dd', 'sed', 'sh', 'stat']);
    expect(c?.body).toMatchObject({ User: '65534:65534', NetworkDisabled: true, Image: 'img:busybox' });
    expect(c?.body.HostConfig).toMatchObject({ ReadonlyRootfs: true, CapDrop: ['ALL'], Mounts: [] });
    expect(c?.body.Labels).toMatchObject({ [LABELS.workerId]: 'w-probe', [LABELS.instanceId]: 'i-probe' });
    expect(docker.live()).toEqual([]);
    expect(results).toEqual([
      { tool: 'file_read', image: 'img:busybox', status: 'ready' },
      expect.objectContaining({ tool: 'fetch_url', status: 'unavailable', missing: ['curl'] }),
      expect.objectContaining({
        tool: 'list',
        status: 'unavailable',
        reason: expect.stringMatching(/pull policy is never/),
      }),
    ]);
    expect(results[1]?.reason).toBe('image img:busybox lacks curl (fetch_url needs sh, curl, dd, cat)');
  });

  it('a missing image that may be pulled later is will-pull, and is not run', async () => {
    const docker = new FakeDocker();
    const [result] = await probeToolImages(
      options(docker, { tools: [TOOLS[2] as ToolImageNeed], pullPolicy: 'if-missing' }),
    );
    expect(result).toMatchObject({ status: 'will-pull' });
    expect(docker.containers).toHaveLength(0);
  });

  it('a probe that does not answer within the timeout leaves its tools unchecked and its container removed', async () => {
    const docker = new FakeDocker();
    docker.images.add('img:busybox');
    docker.program = () => undefined; // never exits
    const results = await probeToolImages(options(docker, { tools: TOOLS.slice(0, 2), timeoutMs: 50 }));
    expect(results.map((r) => r.status)).toEqual(['unchecked', 'unchecked']);
    expect(results[0]?.reason).toMatch(/no answer within 50ms/);
    expect(docker.live()).toEqual([]);
  });

  it('an image without sh: tools that need it are unavailable, the others unchecked', async () => {
    const docker = new FakeDocker();
    docker.images.add('img:busybox');
    docker.startContainer = () => Promise.reject(new Error('exec: "sh": executable file not found in $PATH'));
    const results = await probeToolImages(
      options(docker, {
        tools: [TOOLS[0] as ToolImageNeed, { tool: 'find', image: 'img:busybox', programs: ['find'] }],
      }),
    );
    expect(results).toEqual([
      expect.objectContaining({ tool: 'file_read', status: 'unavailable', missing: ['sh'] }),
      expect.objectContaining({ tool: 'find', status: 'unchecked' }),
    ]);
    expect(docker.live()).toEqual([]);
  });

  it("a workspace tool also needs the mount gate's /bin/sh and stat (not under gVisor, which has no gate)", () => {
    expect(toolPrograms({ programs: ['find'], workspace: 'readonly' }, 'runc')).toEqual(['find', '/bin/sh', 'stat']);
    expect(toolPrograms({ programs: ['find'], workspace: 'readonly' }, 'runsc')).toEqual(['find']);
    expect(toolPrograms({ programs: ['curl'], workspace: 'none' }, 'runc')).toEqual(['curl']);
  });
});
