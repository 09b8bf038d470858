import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ExecutorError } from './errors';

/**
 * One lease file per live executor instance, so a reaper removes only containers whose instance is
 * provably gone. Worker names are per host by default, so two workers on one engine can share one; the
 * instance id is per process object and never shared. "Provably gone" means the lease exists and the
 * process it names is dead, or its pid now belongs to a process that started at another time (pid reuse).
 * A container whose lease file is missing (another host's or user's registry, or a lease already pruned)
 * is never judged gone: only its deadline label lets a reaper remove it.
 */
export interface InstanceLease {
  instanceId: string;
  workerId: string;
  version: string;
  pid: number;
  /** Process start time in clock ticks since boot (`/proc/<pid>/stat` field 22). */
  startTime: string;
  createdAt: string;
}

export type InstanceLiveness = 'live' | 'gone' | 'unknown';

/** `$XDG_RUNTIME_DIR/baaaht/instances`, else `/run/baaaht/instances` as root, else a per-uid directory in tmp. */
export function defaultInstanceDir(env: NodeJS.ProcessEnv = process.env): string {
  const xdg = env.XDG_RUNTIME_DIR;
  if (xdg !== undefined && path.isAbsolute(xdg)) return path.join(xdg, 'baaaht', 'instances');
  const uid = process.getuid?.() ?? -1;
  if (uid === 0) return '/run/baaaht/instances';
  return path.join(os.tmpdir(), `baaaht-${uid}`, 'instances');
}

/** Start time of a process, or undefined when there is no such process. */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses; fields after the last ')' are fixed.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

const LEASE_NAME = /^[0-9a-f-]{36}\.json$/;

export class InstanceRegistry {
  private constructor(readonly dir: string) {}

  /**
   * Opens (creating, 0700) the registry directory. It must belong to this user and be writable by no one
   * else: whoever can write leases there could make live containers look orphaned.
   */
  static open(dir: string): InstanceRegistry {
    try {
      fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    } catch (err) {
      throw new ExecutorError('INSTANCE_DIR_UNSAFE', `cannot create the instance directory '${dir}': ${String(err)}`, {
        cause: err,
      });
    }
    const st = fs.lstatSync(dir);
    const uid = process.getuid?.() ?? st.uid;
    if (!st.isDirectory() || st.uid !== uid || (st.mode & 0o022) !== 0) {
      throw new ExecutorError(
        'INSTANCE_DIR_UNSAFE',
        `the instance directory '${dir}' must be a directory owned by uid ${uid} and writable by no one else ` +
          `(it is ${st.isDirectory() ? 'a directory' : 'not a directory'} owned by uid ${st.uid}, mode ` +
          `${(st.mode & 0o777).toString(8)}); remove it or set instanceDir`,
      );
    }
    return new InstanceRegistry(dir);
  }

  /** Writes this process's lease (atomically: a temporary file renamed into place). */
  acquire(workerId: string, version: string): InstanceLease {
    const lease: InstanceLease = {
      instanceId: randomUUID(),
      workerId,
      version,
      pid: process.pid,
      startTime: processStartTime(process.pid) ?? '',
      createdAt: new Date().toISOString(),
    };
    const file = this.file(lease.instanceId);
    fs.writeFileSync(`${file}.tmp`, JSON.stringify(lease), { mode: 0o600 });
    fs.renameSync(`${file}.tmp`, file);
    return lease;
  }

  release(instanceId: string): void {
    fs.rmSync(this.file(instanceId), { force: true });
  }

  read(instanceId: string): InstanceLease | undefined {
    if (!LEASE_NAME.test(`${instanceId}.json`)) return undefined;
    try {
      return JSON.parse(fs.readFileSync(this.file(instanceId), 'utf8')) as InstanceLease;
    } catch {
      return undefined;
    }
  }

  liveness(instanceId: string): InstanceLiveness {
    const lease = this.read(instanceId);
    if (lease === undefined) return 'unknown';
    return isLeaseLive(lease) ? 'live' : 'gone';
  }

  /** Live leases other than `except` holding `workerId`. */
  liveHolders(workerId: string, except?: string): InstanceLease[] {
    return this.all().filter((l) => l.workerId === workerId && l.instanceId !== except && isLeaseLive(l));
  }

  /** Deletes the leases of dead processes whose instance owns none of `stillReferenced`. */
  prune(stillReferenced: ReadonlySet<string>): number {
    let pruned = 0;
    for (const lease of this.all()) {
      if (isLeaseLive(lease) || stillReferenced.has(lease.instanceId)) continue;
      this.release(lease.instanceId);
      pruned++;
    }
    return pruned;
  }

  private all(): InstanceLease[] {
    let names: string[];
    try {
      names = fs.readdirSync(this.dir).filter((n) => LEASE_NAME.test(n));
    } catch {
      return [];
    }
    return names.map((n) => this.read(n.slice(0, -'.json'.length))).filter((l): l is InstanceLease => l !== undefined);
  }

  private file(instanceId: string): string {
    return path.join(this.dir, `${instanceId}.json`);
  }
}

function isLeaseLive(lease: InstanceLease): boolean {
  const now = processStartTime(lease.pid);
  return now !== undefined && (lease.startTime === '' || now === lease.startTime);
}
