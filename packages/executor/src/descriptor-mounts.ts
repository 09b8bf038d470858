/**
 * The gVisor tier's mount pinning. Under runc the mount identity gate (mount-gate.ts) proves, inside the
 * container, that each bind target is the inode the policy judged. gVisor shows virtual device and inode
 * numbers, so there the proof is made by construction instead: the container never gets a path at all.
 *
 * For each container, the executor opens every judged directory again (no symlink in its last component)
 * and checks that the descriptor is the judged inode (device and inode from the policy check); a swapped
 * one fails the start (WORKSPACE_CHANGED). For each it then creates a `local` volume whose device is that
 * descriptor, `/proc/<worker pid>/fd/<n>` with `o=bind`.
 * When the container starts, the engine bind-mounts that magic link, which the kernel resolves to the open
 * file, not to a path: renaming a component or swapping in a symlink afterwards changes nothing. The
 * container then mounts the volume's own directory under the engine's root-only data root. The
 * descriptors belong to the container's volume set and stay open until the container is gone, so their
 * numbers cannot name another directory while the engine may still mount them; the volumes are removed
 * after the container, then the descriptors closed.
 *
 * That needs an engine that sees this process's `/proc/<pid>` as ours (the same pid namespace: the usual
 * local `dockerd`). That is proven once per executor, not assumed: a probe container mounts a
 * directory holding a random marker through such a volume and must read the marker back. A remote engine
 * or one in another pid namespace fails the probe, and workspace tools under gVisor are then refused
 * (MOUNT_PIN_UNAVAILABLE) with the reason. Docker can only mount directories this way, so a protected path
 * that is a file cannot be protected under gVisor (write tools are refused then, PROTECTED_PATH).
 */

import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isGvisorRuntime } from '@baaaht/policy';
import type { DockerClient, VolumeCreateSpec } from './docker-client';
import { LABELS } from './labels';
import { shortId } from './logger';
import type { Logger } from './logger';
import { StreamDemuxer } from './output-demux';
import { dockerError, ExecutorError } from './errors';
import type { ContainerCreateBody } from './docker-client';
import { buildCreateBody, containerName, NOBODY_USER, WORKSPACE_TARGET } from './container-config';
import type { ContainerPlan } from './container-config';
import { openJudgedDirectory } from './workspace-source';

/** A bind target to mount from a descriptor: the judged directory and its identity. */
export interface DescriptorMount {
  /** Path inside the container, e.g. `/workspace`. */
  target: string;
  /** The judged host directory (opened again, and compared with `dev`/`ino`, for each container). */
  source: string;
  dev: number;
  ino: number;
}

/** Names of descriptor volumes start with this (the reaper finds them by their labels). */
export const DESCRIPTOR_VOLUME_PREFIX = 'baaaht-fd-';
/** How long the probe container may take before the engine is judged unable. */
const PROBE_TIMEOUT_MS = 20_000;
const PROBE_MARKER_FILE = '.baaaht-descriptor-probe';

/** Whether a runtime's mounts are pinned by the in-container gate or by descriptor volumes. */
export function usesDescriptorMounts(runtime: string): boolean {
  return isGvisorRuntime(runtime);
}

/** The volume device naming descriptor `fd` of process `pid`. */
export function descriptorDevice(fd: number, pid: number = process.pid): string {
  if (!Number.isSafeInteger(fd) || fd < 0) throw new RangeError(`not a descriptor: ${String(fd)}`);
  return `/proc/${pid}/fd/${fd}`;
}

/** The create spec of one descriptor volume. */
export function descriptorVolumeSpec(
  name: string,
  fd: number,
  labels: Record<string, string>,
  pid: number = process.pid,
): VolumeCreateSpec {
  return { name, labels, driverOpts: { type: 'none', o: 'bind', device: descriptorDevice(fd, pid) } };
}

/** The labels on a descriptor volume: the container's ownership labels, so the same reaper rules apply. */
export function descriptorVolumeLabels(container: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of [
    LABELS.managed,
    LABELS.workerId,
    LABELS.instanceId,
    LABELS.version,
    LABELS.taskId,
    LABELS.sessionId,
    LABELS.deadline,
  ])
    if (container[key] !== undefined) out[key] = container[key];
  return out;
}

/**
 * Replaces the binds of `mounts` targets with the named volumes (same target, same read-only flag).
 * Throws when a descriptor mount has no bind in the body or no volume: never a silent path mount.
 */
export function useDescriptorVolumes(
  body: ContainerCreateBody,
  mounts: readonly DescriptorMount[],
  names: ReadonlyMap<string, string>,
): void {
  for (const m of mounts) {
    const name = names.get(m.target);
    const i = body.HostConfig.Mounts.findIndex((b) => b.Type === 'bind' && b.Target === m.target);
    if (name === undefined || i < 0) throw new Error(`descriptor mount ${m.target} has no volume or no bind`);
    const bind = body.HostConfig.Mounts[i] as { ReadOnly: boolean };
    body.HostConfig.Mounts[i] = {
      Type: 'volume',
      Source: name,
      Target: m.target,
      ReadOnly: bind.ReadOnly,
      VolumeOptions: { NoCopy: true },
    };
  }
}

/**
 * The plan's descriptor mounts as volumes, swapped into `body` for their binds; undefined when the plan has
 * none. Without descriptor volumes in the runtime, MOUNT_PIN_UNAVAILABLE; an engine error, DOCKER_ERROR.
 * Every runtime (fresh, pooled, session) creates its containers' volumes here.
 */
export async function descriptorVolumesFor(
  descriptors: DescriptorVolumes | undefined,
  plan: ContainerPlan,
  body: ContainerCreateBody,
): Promise<DescriptorVolumeSet | undefined> {
  const mounts = plan.descriptorMounts;
  if (mounts === undefined) return undefined;
  const context = { taskId: plan.taskId, tool: plan.tool };
  if (descriptors === undefined)
    throw new ExecutorError(
      'MOUNT_PIN_UNAVAILABLE',
      'this runtime has no descriptor volumes for a gVisor workspace',
      context,
    );
  const volumes = await descriptors.create(mounts, body.Labels).catch((err: unknown) => {
    throw dockerError('creating descriptor volumes', err, context);
  });
  useDescriptorVolumes(body, mounts, volumes.names);
  return volumes;
}

/** What the probe takes from a plan: the image (with `/bin/sh`), the runtime and the owner labels. */
export type ProbeLike = Pick<ContainerPlan, 'workerId' | 'instanceId' | 'version' | 'image' | 'runtime'>;

/** One container's descriptor volumes. */
export interface DescriptorVolumeSet {
  /** Volume name by target. */
  readonly names: ReadonlyMap<string, string>;
  /** Removes them (after the container is gone). Never throws: what fails is left to the reaper. */
  remove(): Promise<void>;
}

/**
 * Creates and removes descriptor volumes and answers whether the engine can use them (the probe). One per
 * executor; `owns` keeps the reaper off volumes still in use.
 */
export class DescriptorVolumes {
  private readonly live = new Set<string>();
  /** The probe's container while it exists (the reaper must leave it alone). */
  private probeContainer: string | undefined;
  private support: Promise<string | undefined> | undefined;

  constructor(
    private readonly docker: DockerClient,
    private readonly logger: Logger,
    /** The process whose descriptors the engine resolves. @default process.pid */
    private readonly pid: number = process.pid,
    /** How long the probe container may take; past it the probe is not an answer. @default 20000 */
    private readonly probeTimeoutMs: number = PROBE_TIMEOUT_MS,
  ) {}

  owns(name: string): boolean {
    return this.live.has(name);
  }

  /** True for the probe's container while the probe runs. */
  ownsContainer(id: string): boolean {
    return id === this.probeContainer;
  }

  /**
   * Opens each mount's directory and checks it is the judged one (WORKSPACE_CHANGED otherwise), then creates
   * one volume per mount on its descriptor, labelled like the container. The set holds the descriptors until
   * `remove()`. On a failure, whatever was made so far is undone.
   */
  async create(
    mounts: readonly DescriptorMount[],
    containerLabels: Record<string, string>,
  ): Promise<DescriptorVolumeSet> {
    const { docker } = this;
    if (docker.createVolume === undefined || docker.removeVolume === undefined)
      throw new ExecutorError('MOUNT_PIN_UNAVAILABLE', 'the Docker client has no volume calls');
    const labels = descriptorVolumeLabels(containerLabels);
    const names = new Map<string, string>();
    const fds: number[] = [];
    const set: DescriptorVolumeSet = {
      names,
      remove: async () => {
        await this.removeAll([...names.values()]);
        for (const fd of fds.splice(0)) fs.closeSync(fd);
      },
    };
    try {
      for (const m of mounts) {
        const fd = openJudged(m);
        fds.push(fd);
        const name = `${DESCRIPTOR_VOLUME_PREFIX}${randomBytes(8).toString('hex')}`;
        this.live.add(name);
        names.set(m.target, name);
        await docker.createVolume(descriptorVolumeSpec(name, fd, labels, this.pid));
      }
    } catch (err) {
      await set.remove();
      throw err;
    }
    return set;
  }

  /**
   * Undefined when this engine mounts this process's descriptors (proven once by a probe container, then
   * remembered), else why not, in words. The probe runs like `plan` (its image, which must have `/bin/sh`,
   * its runtime and owner labels) with a directory of its own as the workspace.
   */
  check(plan: ProbeLike): Promise<string | undefined> {
    this.support ??= this.probe(plan).catch((err: unknown) => {
      this.support = undefined; // an engine error is not an answer: ask again next time
      return `the descriptor-mount probe failed: ${err instanceof Error ? err.message : String(err)}`;
    });
    return this.support;
  }

  private async probe(like: ProbeLike): Promise<string | undefined> {
    const { docker } = this;
    if (docker.createVolume === undefined || docker.removeVolume === undefined)
      return 'the Docker client has no volume calls';
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'baaaht-fd-probe-'));
    const marker = randomBytes(16).toString('hex');
    let volumes: DescriptorVolumeSet | undefined;
    let id: string | undefined;
    try {
      fs.chmodSync(dir, 0o755);
      fs.writeFileSync(path.join(dir, PROBE_MARKER_FILE), `${marker}\n`, { mode: 0o644 });
      const plan = probePlan(like, dir, fs.statSync(dir));
      const body = buildCreateBody(
        plan,
        { argv: ['/bin/sh', '-c', `read -r x < ${PROBE_MARKER_FILE} && echo "$x"`] },
        containerName(plan.tool, plan.taskId, randomBytes(3).toString('hex')),
      );
      volumes = await descriptorVolumesFor(this, plan, body);
      id = await docker.createContainer(body);
      this.probeContainer = id;
      let out = '';
      const demux = new StreamDemuxer((which, chunk) => {
        if (which === 'stdout' && out.length < 4096) out += chunk.toString('utf8');
      });
      const stream = await docker.attachContainer(id, { stdin: false, onData: (c) => demux.push(c) });
      try {
        const created = id;
        const ran = (async () => {
          await docker.startContainer(created);
          await docker.waitContainer(created);
          await Promise.race([stream.ended, new Promise((r) => setTimeout(r, 1000).unref())]);
        })();
        let timer: NodeJS.Timeout | undefined;
        const timeout = new Promise<'timeout'>((r) => {
          timer = setTimeout(() => r('timeout'), this.probeTimeoutMs);
        });
        const settled = await Promise.race([ran.then(() => 'done' as const), timeout]).finally(() =>
          clearTimeout(timer),
        );
        ran.catch(() => undefined);
        // A slow engine is not an answer (check() asks again next time).
        if (settled === 'timeout') throw new ProbeTimeout(`it did not finish within ${this.probeTimeoutMs}ms`);
      } catch (err) {
        if (err instanceof ProbeTimeout) throw err;
        return (
          `the Docker engine cannot mount /proc/${this.pid}/fd/N (it is remote or in another pid namespace): ` +
          (err instanceof Error ? err.message : String(err))
        );
      } finally {
        stream.destroy();
      }
      if (out.trim() !== marker)
        return (
          `the Docker engine resolves /proc/${this.pid}/fd/N to something else than this process's descriptor ` +
          '(it runs in another pid namespace, e.g. the worker is in a container)'
        );
      this.logger.info('descriptor mounts: the engine mounts held descriptors; workspace tools may run under gVisor', {
        component: 'executor',
        runtime: like.runtime,
      });
      return undefined;
    } finally {
      if (id !== undefined) {
        const created = id;
        await docker.removeContainer(created).catch((err: unknown) =>
          this.logger.warn('could not remove the descriptor-mount probe container; the reaper will retry', {
            component: 'executor',
            containerId: shortId(created),
            error: String(err),
          }),
        );
        this.probeContainer = undefined;
      }
      await volumes?.remove();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }

  private async removeAll(names: string[]): Promise<void> {
    const remove = this.docker.removeVolume;
    for (const name of names) {
      try {
        if (remove !== undefined) await remove.call(this.docker, name);
        this.live.delete(name);
      } catch (err) {
        this.live.delete(name);
        this.logger.warn('could not remove descriptor volume; the reaper will retry', {
          component: 'executor',
          volume: name,
          error: String(err),
        });
      }
    }
  }
}

/** The mount's directory, opened and proven to be the judged inode (WORKSPACE_CHANGED otherwise). */
function openJudged(m: DescriptorMount): number {
  const opened = openJudgedDirectory(m.source, m.dev, m.ino);
  if ('error' in opened)
    throw new ExecutorError('WORKSPACE_CHANGED', `${m.source} (mounted at ${m.target}): ${opened.error}; nothing ran`);
  return opened.fd;
}

class ProbeTimeout extends Error {}

/** The probe's plan: `like`'s image, runtime and owner, a read-only workspace of its own, tiny limits. */
function probePlan(like: ProbeLike, dir: string, st: fs.Stats): ContainerPlan {
  return {
    workerId: like.workerId,
    instanceId: like.instanceId,
    version: like.version,
    taskId: `fd-probe-${randomBytes(4).toString('hex')}`,
    tool: 'fd-probe',
    image: like.image,
    user: NOBODY_USER,
    workspaceSource: dir,
    workspaceMode: 'readonly',
    descriptorMounts: [{ target: WORKSPACE_TARGET, source: dir, dev: st.dev, ino: st.ino }],
    protectedPaths: [],
    allowHardlinks: false,
    cpus: 0.5,
    memoryBytes: 32 * 1024 * 1024,
    pidsLimit: 8,
    tmpfsBytes: 1024 * 1024,
    readOnlyRootfs: true,
    runtime: like.runtime,
    deadlineMs: Date.now() + PROBE_TIMEOUT_MS,
  };
}
