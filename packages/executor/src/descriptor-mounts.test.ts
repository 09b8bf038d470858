import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildCreateBody } from './container-config';
import type { ContainerPlan } from './container-config';
import type { VolumeCreateSpec } from './docker-client';
import {
  DescriptorVolumes,
  descriptorDevice,
  descriptorVolumeLabels,
  descriptorVolumeSpec,
  useDescriptorVolumes,
  usesDescriptorMounts,
} from './descriptor-mounts';
import { ExecutorError } from './errors';
import { LABELS } from './labels';
import { quietLogger } from './logger';
import { FakeDocker } from './test-support/fake-docker';
import type { FakeContainer } from './test-support/fake-docker';

/**
 * A fake engine with volumes that "mounts" like dockerd in our pid namespace: at container start it
 * resolves each volume's device (`/proc/<pid>/fd/N`) through the real /proc, so the probe reads the
 * marker through the descriptor exactly as the kernel would follow the magic link.
 */
class VolumeDocker extends FakeDocker {
  readonly volumes = new Map<string, VolumeCreateSpec>();
  readonly removedVolumes: string[] = [];
  failCreateAt: number | undefined;

  async createVolume(spec: VolumeCreateSpec): Promise<void> {
    this.calls.push(`createVolume ${spec.name}`);
    if (this.failCreateAt !== undefined && this.volumes.size + 1 === this.failCreateAt)
      throw Object.assign(new Error('volume create failed'), { statusCode: 500 });
    this.volumes.set(spec.name, spec);
  }

  async removeVolume(name: string): Promise<void> {
    this.calls.push(`removeVolume ${name}`);
    this.volumes.delete(name);
    this.removedVolumes.push(name);
  }

  async listVolumes(): Promise<Array<{ name: string; labels: Record<string, string> }>> {
    return [...this.volumes.values()].map((v) => ({ name: v.name, labels: v.labels }));
  }

  /** What a container reads at `target`/`file`, through the volume's device. */
  readThrough(c: FakeContainer, target: string, file: string): string | undefined {
    const m = c.body.HostConfig.Mounts.find((x) => x.Target === target);
    if (m === undefined || m.Type !== 'volume') return undefined;
    const device = this.volumes.get(m.Source)?.driverOpts['device'];
    try {
      return device === undefined ? undefined : fs.readFileSync(path.join(device, file), 'utf8');
    } catch {
      return undefined;
    }
  }
}

const like = { workerId: 'w', instanceId: 'i1', version: '0', image: 'img:busybox', runtime: 'runsc' };

function plan(dir: string, extra: Partial<ContainerPlan> = {}): ContainerPlan {
  const st = fs.statSync(dir);
  return {
    ...like,
    taskId: 't1',
    tool: 'file_read',
    user: '65534:65534',
    workspaceSource: dir,
    workspaceMode: 'readonly',
    pins: [{ target: '/workspace', dev: st.dev, ino: st.ino }],
    descriptorMounts: [{ target: '/workspace', source: dir, dev: st.dev, ino: st.ino }],
    protectedPaths: [],
    allowHardlinks: false,
    cpus: 1,
    memoryBytes: 64 << 20,
    pidsLimit: 10,
    tmpfsBytes: 1 << 20,
    readOnlyRootfs: true,
    deadlineMs: 1_000_000,
    ...extra,
  };
}

let dir: string;
beforeEach(() => {
  dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'baaaht-fd-unit-')));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const openFds = (): number => fs.readdirSync('/proc/self/fd').length;

describe('descriptor volume specs', () => {
  it('only gVisor runtimes use descriptor mounts', () => {
    expect(usesDescriptorMounts('runsc')).toBe(true);
    expect(usesDescriptorMounts('runsc-kvm')).toBe(true);
    expect(usesDescriptorMounts('runc')).toBe(false);
  });

  it('a local bind volume on /proc/<pid>/fd/<n>; nothing else is accepted as a descriptor', () => {
    expect(descriptorVolumeSpec('v', 7, { a: 'b' }, 42)).toEqual({
      name: 'v',
      labels: { a: 'b' },
      driverOpts: { type: 'none', o: 'bind', device: '/proc/42/fd/7' },
    });
    expect(descriptorDevice(3)).toBe(`/proc/${process.pid}/fd/3`);
    for (const bad of [-1, 1.5, Number.NaN]) expect(() => descriptorDevice(bad)).toThrow(RangeError);
  });

  it("volumes carry the container's ownership labels only (never a task's own labels)", () => {
    expect(
      descriptorVolumeLabels({
        [LABELS.managed]: 'true',
        [LABELS.workerId]: 'w',
        [LABELS.instanceId]: 'i',
        [LABELS.deadline]: '5',
        [LABELS.tool]: 'file_read',
        'org.baaaht.label.team': 'x',
      }),
    ).toEqual({ [LABELS.managed]: 'true', [LABELS.workerId]: 'w', [LABELS.instanceId]: 'i', [LABELS.deadline]: '5' });
  });

  it('the body gets the volume in place of the bind (same target, same read-only flag) and no mount gate', () => {
    const p = plan(dir, { workspaceMode: 'readwrite' });
    const body = buildCreateBody(p, { argv: ['cat', 'a'] }, 'n');
    expect(body.Cmd).toEqual(['cat', 'a']);
    useDescriptorVolumes(body, p.descriptorMounts ?? [], new Map([['/workspace', 'baaaht-fd-x']]));
    expect(body.HostConfig.Mounts).toEqual([
      { Type: 'volume', Source: 'baaaht-fd-x', Target: '/workspace', ReadOnly: false, VolumeOptions: { NoCopy: true } },
    ]);
    // A descriptor mount without its volume is a bug, never a silent path mount.
    const other = buildCreateBody(p, { argv: ['cat'] }, 'n');
    expect(() => useDescriptorVolumes(other, p.descriptorMounts ?? [], new Map())).toThrow(/no volume/);
  });
});

describe('DescriptorVolumes.create', () => {
  it('opens the judged directory, creates a volume on that descriptor, and closes it after remove()', async () => {
    const docker = new VolumeDocker();
    const volumes = new DescriptorVolumes(docker, quietLogger);
    const before = openFds();
    const set = await volumes.create(plan(dir).descriptorMounts ?? [], { [LABELS.managed]: 'true' });
    const name = set.names.get('/workspace') as string;
    expect(volumes.owns(name)).toBe(true);
    const device = docker.volumes.get(name)?.driverOpts['device'] as string;
    expect(device).toMatch(new RegExp(`^/proc/${process.pid}/fd/\\d+$`));
    expect(fs.readlinkSync(device)).toBe(dir);
    expect(openFds()).toBe(before + 1);
    await set.remove();
    expect(docker.removedVolumes).toEqual([name]);
    expect(volumes.owns(name)).toBe(false);
    expect(openFds()).toBe(before);
  });

  it('a directory swapped after the check is refused (WORKSPACE_CHANGED), three ways, with nothing left', async () => {
    const docker = new VolumeDocker();
    const volumes = new DescriptorVolumes(docker, quietLogger);
    const outside = fs.mkdtempSync(path.join(os.tmpdir(), 'baaaht-fd-outside-'));
    try {
      const swaps: Array<(ws: string) => void> = [
        // The last component becomes a symlink to outside.
        (ws) => {
          fs.renameSync(ws, `${ws}.moved`);
          fs.symlinkSync(outside, ws);
        },
        // Another directory in its place.
        (ws) => {
          fs.renameSync(ws, `${ws}.moved`);
          fs.mkdirSync(ws);
        },
        // Gone.
        (ws) => fs.rmSync(ws, { recursive: true }),
      ];
      for (const [i, swap] of swaps.entries()) {
        const ws = path.join(dir, `ws${i}`);
        fs.mkdirSync(ws);
        const p = plan(ws);
        swap(ws);
        const before = openFds();
        const err = await volumes.create(p.descriptorMounts ?? [], {}).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(ExecutorError);
        expect((err as ExecutorError).code).toBe('WORKSPACE_CHANGED');
        expect(openFds()).toBe(before);
      }
      expect(docker.volumes.size).toBe(0);
    } finally {
      fs.rmSync(outside, { recursive: true, force: true });
    }
  });

  it('an engine error on the second volume undoes the first and closes both descriptors', async () => {
    const docker = new VolumeDocker();
    docker.failCreateAt = 2;
    const sub = path.join(dir, '.git');
    fs.mkdirSync(sub);
    const st = fs.statSync(sub);
    const mounts = [
      ...(plan(dir).descriptorMounts ?? []),
      { target: '/workspace/.git', source: sub, dev: st.dev, ino: st.ino },
    ];
    const before = openFds();
    await expect(new DescriptorVolumes(docker, quietLogger).create(mounts, {})).rejects.toThrow('volume create failed');
    expect(docker.volumes.size).toBe(0);
    expect(docker.removedVolumes).toHaveLength(2);
    expect(openFds()).toBe(before);
  });

  it('a client without volume calls is MOUNT_PIN_UNAVAILABLE', async () => {
    const err = await new DescriptorVolumes(new FakeDocker(), quietLogger)
      .create(plan(dir).descriptorMounts ?? [], {})
      .catch((e: unknown) => e);
    expect((err as ExecutorError).code).toBe('MOUNT_PIN_UNAVAILABLE');
  });
});

describe('DescriptorVolumes.check (the probe)', () => {
  function probeProgram(docker: VolumeDocker): (c: FakeContainer) => void {
    return (c) => {
      const text = docker.readThrough(c, '/workspace', '.baaaht-descriptor-probe');
      if (text !== undefined) c.stdout(text);
      c.exit(text === undefined ? 1 : 0);
    };
  }

  it('passes when the engine resolves our descriptor, once per executor; removes its container and volume', async () => {
    const docker = new VolumeDocker();
    docker.program = probeProgram(docker);
    const volumes = new DescriptorVolumes(docker, quietLogger);
    expect(await volumes.check(like)).toBeUndefined();
    expect(await volumes.check(like)).toBeUndefined();
    expect(docker.calls.filter((c) => c === 'create')).toHaveLength(1);
    expect(docker.live()).toHaveLength(0);
    expect(docker.volumes.size).toBe(0);
    const body = docker.containers[0]?.body;
    expect(body?.HostConfig.Runtime).toBe('runsc');
    expect(body?.Labels[LABELS.instanceId]).toBe('i1');
    expect(body?.HostConfig.Mounts[0]).toMatchObject({ Type: 'volume', ReadOnly: true });
  });

  it('fails when the engine sees another process under our pid (another pid namespace): the marker does not match', async () => {
    const docker = new VolumeDocker();
    docker.program = probeProgram(docker);
    // pid 1's descriptors stand in for "another process with our pid in the engine's namespace".
    const problem = await new DescriptorVolumes(docker, quietLogger, 1).check(like);
    expect(problem).toMatch(/resolves \/proc\/1\/fd\/N to something else than this process's descriptor/);
    expect(docker.live()).toHaveLength(0);
    expect(docker.volumes.size).toBe(0);
  });

  it('a probe that does not finish is not an answer: it is asked again; the reaper leaves its container alone meanwhile', async () => {
    const docker = new VolumeDocker();
    const volumes = new DescriptorVolumes(docker, quietLogger, process.pid, 50);
    const owned: boolean[] = [];
    docker.program = (c) => void owned.push(volumes.ownsContainer(c.id)); // never exits
    expect(await volumes.check(like)).toMatch(/probe failed: it did not finish within 50ms/);
    expect(owned).toEqual([true]);
    expect(volumes.ownsContainer(docker.containers[0]?.id ?? '')).toBe(false);
    expect(docker.live()).toHaveLength(0);
    docker.program = probeProgram(docker);
    expect(await volumes.check(like)).toBeUndefined();
    expect(docker.calls.filter((c) => c === 'create')).toHaveLength(2);
  });

  it('fails when the engine refuses the mount (a remote engine has no such path), and asks again after an engine error', async () => {
    const docker = new VolumeDocker();
    const start = docker.startContainer.bind(docker);
    let refuse = true;
    docker.startContainer = async (id) => {
      if (refuse) throw new Error('error while mounting volume: no such file or directory');
      return start(id);
    };
    docker.program = probeProgram(docker);
    const volumes = new DescriptorVolumes(docker, quietLogger);
    expect(await volumes.check(like)).toMatch(/cannot mount \/proc\/\d+\/fd\/N.*no such file or directory/);
    // An answer is remembered...
    refuse = false;
    expect(await volumes.check(like)).toMatch(/cannot mount/);
    // ...an engine error before the answer is not.
    const failing = new VolumeDocker();
    failing.createVolume = async () => {
      throw new Error('engine down');
    };
    const again = new DescriptorVolumes(failing, quietLogger);
    expect(await again.check(like)).toMatch(/probe failed: creating descriptor volumes: engine down/);
    failing.createVolume = VolumeDocker.prototype.createVolume.bind(failing);
    failing.program = probeProgram(failing);
    expect(await again.check(like)).toBeUndefined();
  });
});
