import { execFileSync } from 'node:child_process';

/** Ids of all containers (running or not) carrying `label` (`key` or `key=value`); `dockerHost` @default DOCKER_HOST. */
export function containersWithLabel(label: string, dockerHost?: string): string[] {
  const host = dockerHost === undefined ? [] : ['--host', dockerHost];
  const out = execFileSync('docker', [...host, 'ps', '-aq', '--filter', `label=${label}`], { encoding: 'utf8' });
  return out.split('\n').filter(Boolean);
}

/** Names of volumes carrying `label` (the gVisor tier's descriptor volumes). */
export function volumesWithLabel(label: string, dockerHost?: string): string[] {
  const host = dockerHost === undefined ? [] : ['--host', dockerHost];
  const out = execFileSync('docker', [...host, 'volume', 'ls', '-q', '--filter', `label=${label}`], {
    encoding: 'utf8',
  });
  return out.split('\n').filter(Boolean);
}

/** Force-removes containers carrying `label`; returns how many there were. For test teardown only. */
export function removeContainersWithLabel(label: string): number {
  const ids = containersWithLabel(label);
  if (ids.length) execFileSync('docker', ['rm', '-f', ...ids], { stdio: 'pipe' });
  return ids.length;
}

/** The parts of `docker inspect <container>` the tests read. */
export interface ContainerInspect {
  Id: string;
  State: { Running: boolean; Status: string };
  Config: { Labels: Record<string, string> | null };
  HostConfig: {
    Memory: number;
    MemorySwap: number;
    NanoCpus: number;
    CpuPeriod: number;
    CpuQuota: number;
    PidsLimit: number | null;
  };
}

/** `docker inspect` of one container, parsed. */
export function inspectContainer(id: string): ContainerInspect {
  const out = execFileSync('docker', ['inspect', '--type', 'container', id], { encoding: 'utf8' });
  const [first] = JSON.parse(out) as ContainerInspect[];
  if (first === undefined) throw new Error(`docker inspect ${id}: no such container`);
  return first;
}

/**
 * Ids of containers the engine created with `label` (`key=value`) from `sinceMs` until now, from its event
 * log: proves a container was never created, even one that was removed again. Waits up to a second for
 * the log to be complete (`--until` is rounded up to the next whole second).
 */
export function containersCreatedWithLabel(label: string, sinceMs: number): string[] {
  const out = execFileSync(
    'docker',
    [
      'events',
      '--since',
      String(Math.floor(sinceMs / 1000)),
      '--until',
      String(Math.ceil(Date.now() / 1000)),
      '--filter',
      'type=container',
      '--filter',
      'event=create',
      '--filter',
      `label=${label}`,
      '--format',
      '{{.Actor.ID}}',
    ],
    { encoding: 'utf8' },
  );
  return out.split('\n').filter(Boolean);
}
