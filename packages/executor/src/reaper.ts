import type { Clock } from './clock';
import type { DockerClient, ManagedContainer, ManagedVolume } from './docker-client';
import { LABELS, MANAGED_SELECTOR } from './labels';
import type { InstanceLiveness } from './instance-registry';
import type { Logger } from './logger';
import { shortId } from './logger';

export interface ReaperOptions {
  docker: DockerClient;
  workerId: string;
  /** This executor's instance id: its own containers are reaped when no live task owns them. */
  instanceId: string;
  /** Whether another instance is provably gone (its lease names a dead process). */
  liveness(instanceId: string): InstanceLiveness;
  /** True while a task or container of this process still owns the container. */
  isLive(container: ManagedContainer): boolean;
  /** True while this process still uses the volume (the gVisor tier's descriptor volumes). @default never */
  isLiveVolume?(name: string): boolean;
  /** How long past its deadline label any worker's container is left alone. */
  marginMs: number;
  clock: Clock;
  logger: Logger;
  onReaped?(container: ManagedContainer): void;
  /** After each pass, with the instance ids the remaining containers carry (so dead leases can be pruned). */
  afterPass?(referencedInstances: Set<string>): void;
}

/**
 * Which managed containers to remove: this instance's containers that no live task owns, containers of
 * an instance that is provably gone (a killed predecessor, whatever its worker id), and any container
 * past deadline + margin. A container of another live instance, or of one whose fate cannot be proven
 * (no lease here: another host, another user, or a version without instance labels), is left alone
 * until its deadline passes, even when it carries the same worker id.
 */
export function selectOrphans(
  containers: ManagedContainer[],
  options: Pick<ReaperOptions, 'instanceId' | 'isLive' | 'liveness' | 'marginMs'>,
  now: number,
): ManagedContainer[] {
  return containers.filter((c) => {
    if (c.labels[LABELS.managed] !== 'true') return false;
    const instance = c.labels[LABELS.instanceId];
    if (instance === options.instanceId) return !options.isLive(c);
    if (instance !== undefined && options.liveness(instance) === 'gone') return true;
    // A pooled container that is no longer running served its call or lost its worker (its stdin closed
    // with the attach, so the agent exited): past its idle deadline nobody can still be using it.
    const idleDeadline = Number(c.labels[LABELS.poolIdleDeadline]);
    if (c.labels[LABELS.pool] === '1' && c.state !== 'running' && idleDeadline + options.marginMs < now) return true;
    const deadline = Number(c.labels[LABELS.deadline]);
    return Number.isFinite(deadline) && deadline + options.marginMs < now;
  });
}

/**
 * Which managed volumes (descriptor volumes, see descriptor-mounts.ts) to remove: by the containers'
 * rules, from their labels (this instance's when it no longer uses them, a gone instance's, any past its
 * deadline). One still mounted by a container is refused by the engine and retried next pass.
 */
export function selectOrphanVolumes(
  volumes: ManagedVolume[],
  options: Pick<ReaperOptions, 'instanceId' | 'isLiveVolume' | 'liveness' | 'marginMs'>,
  now: number,
): ManagedVolume[] {
  return volumes.filter((v) => {
    if (v.labels[LABELS.managed] !== 'true') return false;
    const instance = v.labels[LABELS.instanceId];
    if (instance === options.instanceId) return !(options.isLiveVolume?.(v.name) ?? false);
    if (instance !== undefined && options.liveness(instance) === 'gone') return true;
    const deadline = Number(v.labels[LABELS.deadline]);
    return Number.isFinite(deadline) && deadline + options.marginMs < now;
  });
}

/** Removes orphaned containers (and descriptor volumes). One pass at a time; a pass never throws. */
export class Reaper {
  private running: Promise<number> | undefined;

  constructor(private readonly options: ReaperOptions) {}

  /** One pass; resolves with the number of containers removed. Concurrent calls share a pass. */
  reapOnce(): Promise<number> {
    this.running ??= this.pass().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async pass(): Promise<number> {
    const { docker, logger } = this.options;
    let containers: ManagedContainer[];
    try {
      containers = await docker.listContainers(MANAGED_SELECTOR);
    } catch (err) {
      logger.warn('reaper: could not list containers', { component: 'reaper', error: String(err) });
      return 0;
    }
    const orphans = selectOrphans(containers, this.options, this.options.clock.now());
    let removed = 0;
    for (const c of orphans) {
      const meta = {
        component: 'reaper',
        containerId: shortId(c.id),
        taskId: c.labels[LABELS.taskId],
        sessionId: c.labels[LABELS.sessionId],
        workerId: c.labels[LABELS.workerId],
        instanceId: c.labels[LABELS.instanceId],
      };
      try {
        await docker.removeContainer(c.id);
        removed++;
        this.options.onReaped?.(c);
        logger.info('reaper: removed orphaned container', meta);
      } catch (err) {
        logger.warn('reaper: could not remove container', { ...meta, error: String(err) });
      }
    }
    await this.reapVolumes();
    const removedIds = new Set(orphans.map((c) => c.id));
    const referenced = new Set(
      containers
        .filter((c) => !removedIds.has(c.id))
        .map((c) => c.labels[LABELS.instanceId])
        .filter((id): id is string => id !== undefined),
    );
    try {
      this.options.afterPass?.(referenced);
    } catch (err) {
      logger.warn('reaper: after-pass hook failed', { component: 'reaper', error: String(err) });
    }
    return removed;
  }

  private async reapVolumes(): Promise<void> {
    const { docker, logger } = this.options;
    if (docker.listVolumes === undefined || docker.removeVolume === undefined) return;
    let volumes: ManagedVolume[];
    try {
      volumes = await docker.listVolumes(MANAGED_SELECTOR);
    } catch (err) {
      logger.warn('reaper: could not list volumes', { component: 'reaper', error: String(err) });
      return;
    }
    for (const v of selectOrphanVolumes(volumes, this.options, this.options.clock.now())) {
      try {
        await docker.removeVolume(v.name);
        logger.info('reaper: removed orphaned volume', { component: 'reaper', volume: v.name });
      } catch (err) {
        // Usually still mounted by a container this pass could not remove; the next pass retries.
        logger.debug('reaper: could not remove volume', { component: 'reaper', volume: v.name, error: String(err) });
      }
    }
  }
}
