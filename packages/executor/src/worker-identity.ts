import fs from 'node:fs';
import path from 'node:path';
import { ExecutorError } from './errors';
import type { ResolvedExecutorOptions } from './executor-options';
import type { InstanceLease, InstanceRegistry } from './instance-registry';
import type { Logger } from './logger';

/** Applies `workerIdConflict` when a live instance on this host already holds the worker id. */
export function claimWorkerId(registry: InstanceRegistry, options: ResolvedExecutorOptions, logger: Logger): string {
  const base = options.workerId;
  const holders = registry.liveHolders(base);
  if (holders.length === 0) return base;
  const holder = holders[0] as InstanceLease;
  const held = `worker id '${base}' is held by live instance ${holder.instanceId} (pid ${holder.pid})`;
  if (options.workerIdConflict === 'refuse')
    throw new ExecutorError('WORKER_ID_IN_USE', `${held}; choose another name (--name) or stop that worker`);
  if (options.workerIdConflict === 'share') {
    logger.warn(`${held}; sharing it (each instance reaps only its own containers)`, { component: 'executor' });
    return base;
  }
  for (let n = 2; ; n++) {
    const candidate = `${base}-${n}`;
    if (registry.liveHolders(candidate).length === 0) {
      logger.info(`${held}; this instance takes '${candidate}'`, { component: 'executor', workerId: candidate });
      return candidate;
    }
  }
}

let cachedVersion: string | undefined;
/** This package's version, for the `org.baaaht.version` label. */
export function packageVersion(): string {
  if (cachedVersion === undefined) {
    try {
      const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8')) as {
        version?: string;
      };
      cachedVersion = pkg.version ?? '0.0.0';
    } catch {
      cachedVersion = '0.0.0';
    }
  }
  return cachedVersion;
}
