/**
 * What an OCI runtime changes about a container's limits, and how an operator registers one.
 *
 * Under runc the tool's processes are host tasks in the container's cgroup, so the cgroup's pids and
 * memory limits are the tool's limits. Under gVisor (`runsc`) they are not: the tool's processes live
 * inside the sandbox kernel (the Sentry), and the cgroup holds the Sentry, its gofer and, on the
 * ptrace platform, a host stub process per sandboxed process, each with a thread per Sentry thread that
 * entered it. Measured here (runsc 20221219, ptrace platform, 2 cores, `pids.peak` and
 * `memory.max_usage_in_bytes` of the container's cgroup, see README "gVisor tier"): an idle sandbox
 * takes about 60 host tasks and 14 MiB; a tool holding 16 processes 163-376 tasks; 64 processes
 * 556-2588 tasks and up to 85 MiB more than the same workload under runc. And when the Sentry cannot
 * create a thread it dies (the container exits 2 with no output) instead of failing the tool's fork.
 *
 * So under gVisor the tool's process limit is enforced inside the sandbox, as `RLIMIT_NPROC` (the
 * Sentry counts its own tasks per user, and every process of a tool runs as one user; measured: the
 * same limit admits exactly the same number of processes as runc's cgroup limit, and a fork beyond it
 * fails with EAGAIN the same way), and the cgroup gets the tool's limits plus gVisor's budget: a
 * backstop that bounds the host tasks and memory of the whole sandbox without ever starving a tool
 * that stays within its own limits. Never set RLIMIT_NPROC under runc: there it counts every process
 * of that uid on the host.
 */

import { isGvisorRuntime } from '@baaaht/policy';

const MiB = 1024 * 1024;

/**
 * gVisor's own share of a container's cgroup, on top of the tool's limits: a base for the sandbox and a
 * part per process the tool may have. Set with margin above the largest values measured (see above):
 * 64 processes of a fork bomb peaked at 2588 host tasks (budget 4224) and 85 MiB (budget 112 MiB).
 */
export const GVISOR_OVERHEAD = Object.freeze({
  pidsBase: 128,
  pidsPerProcess: 64,
  memoryBytesBase: 16 * MiB,
  memoryBytesPerProcess: 1.5 * MiB,
});

/** The limits the engine is given for a tool's limits under a runtime. */
export interface RuntimeLimits {
  /** The cgroup's pids limit (`HostConfig.PidsLimit`). */
  cgroupPidsLimit: number;
  /** The cgroup's memory limit, also memory + swap (`HostConfig.Memory`, `MemorySwap`). */
  cgroupMemoryBytes: number;
  /** `RLIMIT_NPROC` of the container's processes (`HostConfig.Ulimits` nproc), when the runtime needs it. */
  nproc?: number;
}

/** The engine-side limits that give a tool `pidsLimit` processes and `memoryBytes` under `runtime`. */
export function runtimeLimits(runtime: string, tool: { pidsLimit: number; memoryBytes: number }): RuntimeLimits {
  if (!isGvisorRuntime(runtime)) return { cgroupPidsLimit: tool.pidsLimit, cgroupMemoryBytes: tool.memoryBytes };
  const o = GVISOR_OVERHEAD;
  return {
    cgroupPidsLimit: o.pidsBase + o.pidsPerProcess * tool.pidsLimit,
    cgroupMemoryBytes: tool.memoryBytes + o.memoryBytesBase + Math.ceil(o.memoryBytesPerProcess * tool.pidsLimit),
    nproc: tool.pidsLimit,
  };
}

/**
 * The engine configuration that registers gVisor: `--network=none` because tool containers have no
 * network anyway, `--host-uds=open` so web tools can connect to the egress proxy's Unix socket that is
 * bind-mounted into the sandbox (gVisor refuses host sockets otherwise).
 */
export const GVISOR_DAEMON_JSON =
  '{"runtimes": {"runsc": {"path": "/usr/bin/runsc", "runtimeArgs": ["--network=none", "--host-uds=open"]}}}';

/** How to register `runtime` with dockerd, in one sentence (the executor's error and `worker doctor` say it). */
export function runtimeRegistrationHint(runtime: string): string {
  if (isGvisorRuntime(runtime)) {
    const snippet =
      runtime === 'runsc' ? GVISOR_DAEMON_JSON : GVISOR_DAEMON_JSON.replace('"runsc": {', `"${runtime}": {`);
    return (
      `install gVisor (apt-get install runsc), add ${snippet} to /etc/docker/daemon.json ` +
      '(merged with what is there), then restart dockerd'
    );
  }
  return `add {"runtimes": {"${runtime}": {"path": "/path/to/${runtime}"}}} to /etc/docker/daemon.json, then restart dockerd`;
}
