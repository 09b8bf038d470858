import fs from 'node:fs';
import path from 'node:path';

/**
 * A container's CPU and memory, read from its cgroup (the kernel's own accounting, exact to the
 * nanosecond and free to read), not from `docker stats` (a one-second sample through the engine, which
 * itself costs CPU and cannot be lined up with a run of calls).
 */
export interface ContainerCgroup {
  /** Where the files were found, e.g. `v1 /sys/fs/cgroup/cpuacct/docker/<id>`. */
  where: string;
  /** CPU time the container's processes have used so far, in ms. */
  cpuMs(): number;
  /** The memory the cgroup charges now (page cache included), in bytes. */
  memoryBytes(): number;
  /** The cgroup's anonymous memory (its processes' own pages, no page cache), in bytes. */
  rssBytes(): number;
}

const read = (file: string): string => fs.readFileSync(file, 'utf8');

function statField(text: string, key: string): number {
  const m = new RegExp(`^${key} (\\d+)$`, 'm').exec(text);
  return m === null ? 0 : Number(m[1]);
}

/**
 * The cgroup of a Docker container `id`: cgroup v1 with the cgroupfs driver (`<root>/cpuacct/docker/<id>`,
 * `<root>/memory/docker/<id>`), v1 with systemd (`.../system.slice/docker-<id>.scope`), or v2 with either
 * driver (`<root>/docker/<id>`, `<root>/system.slice/docker-<id>.scope`). Undefined when none exists.
 */
export function containerCgroup(id: string, root = '/sys/fs/cgroup'): ContainerCgroup | undefined {
  const leaves = [path.join('docker', id), path.join('system.slice', `docker-${id}.scope`)];
  for (const leaf of leaves) {
    const cpu = path.join(root, 'cpuacct', leaf);
    const mem = path.join(root, 'memory', leaf);
    if (fs.existsSync(path.join(cpu, 'cpuacct.usage')) && fs.existsSync(path.join(mem, 'memory.usage_in_bytes')))
      return {
        where: `v1 ${cpu.replace(id, '<id>')}`,
        cpuMs: () => Number(read(path.join(cpu, 'cpuacct.usage'))) / 1e6,
        memoryBytes: () => Number(read(path.join(mem, 'memory.usage_in_bytes'))),
        rssBytes: () => statField(read(path.join(mem, 'memory.stat')), 'total_rss'),
      };
  }
  for (const leaf of leaves) {
    const dir = path.join(root, leaf);
    if (fs.existsSync(path.join(dir, 'cpu.stat')) && fs.existsSync(path.join(dir, 'memory.current')))
      return {
        where: `v2 ${dir.replace(id, '<id>')}`,
        cpuMs: () => statField(read(path.join(dir, 'cpu.stat')), 'usage_usec') / 1000,
        memoryBytes: () => Number(read(path.join(dir, 'memory.current'))),
        rssBytes: () => statField(read(path.join(dir, 'memory.stat')), 'anon'),
      };
  }
  return undefined;
}
