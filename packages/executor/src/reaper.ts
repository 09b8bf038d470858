import type { Clock } from './clock';
import type { DockerClient, ManagedContainer } from './docker-client';
import { LABELS, MANAGED_SELECTOR } from './labels';
import type { Logger } from './logger';
import { shortId } from './logger';

export interface ReaperOptions {
  docker: DockerClient;
  workerId: string;
  /** True while a task or container of this process still owns the container. */
  isLive(container: ManagedContainer): boolean;
  /** How long past its deadline label any worker's container is left alone. */
  marginMs: number;
  clock: Clock;
  logger: Logger;
  onReaped?(container: ManagedContainer): void;
}

/**
 * Which managed containers to remove: this worker's containers that no live task in this process owns
 * (a predecessor with the same worker id was killed), and any worker's containers past deadline + margin.
 */
export function selectOrphans(
  containers: ManagedContainer[],
  options: Pick<ReaperOptions, 'workerId' | 'isLive' | 'marginMs'>,
  now: number,
): ManagedContainer[] {
  return containers.filter((c) => {
    if (c.labels[LABELS.managed] !== 'true') return false;
    const mine = c.labels[LABELS.workerId] === options.workerId;
    if (mine && !options.isLive(c)) return true;
    const deadline = Number(c.labels[LABELS.deadline]);
    if (mine && options.isLive(c)) return false;
    return Number.isFinite(deadline) && deadline + options.marginMs < now;
  });
}

/** Removes orphaned containers. One pass at a time; a pass never throws. */
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
        workerId: c.labels[LABELS.workerId],
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
    return removed;
  }
}
