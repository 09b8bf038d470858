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
 *
 * CPU is the same story without an in-sandbox limit to move it to: the cgroup's quota is shared by the
 * tool and the Sentry. Booting a sandbox costs about 100 ms of CPU beyond runc's start (measured: 115-134
 * ms of `cpuacct.usage` for a 1 KB read under runsc, 33 ms under runc), so a 0.1-CPU tool (100 ms per 1 s
 * period) spent its whole first period on gVisor and waited for the next: measured 1.2 s instead of 0.33 s
 * for half of the cold file_reads. The quota gets a budget on top (`cpusBudget`), above that peak, so a tool
 * is never throttled for gVisor's own start; the price is that the tool may use up to that much more CPU
 * while gVisor is idle.
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
  /** CPUs added to the quota (per 1 s period: 250 ms, above the ~130 ms a sandbox's start was measured to use). */
  cpusBudget: 0.25,
});

/** The limits the engine is given for a tool's limits under a runtime. */
export interface RuntimeLimits {
  /** The cgroup's pids limit (`HostConfig.PidsLimit`). */
  cgroupPidsLimit: number;
  /** The cgroup's memory limit, also memory + swap (`HostConfig.Memory`, `MemorySwap`). */
  cgroupMemoryBytes: number;
  /** `RLIMIT_NPROC` of the container's processes (`HostConfig.Ulimits` nproc), when the runtime needs it. */
  nproc?: number;
  /** The CPUs the cgroup's quota is sized for (`HostConfig.CpuQuota` / `CpuPeriod`). */
  cgroupCpus: number;
}

/**
 * The engine-side limits that give a tool `pidsLimit` processes, `memoryBytes` and `cpus` (default 0: only
 * the budget, for callers that size no quota) under `runtime`.
 */
export function runtimeLimits(
  runtime: string,
  tool: { pidsLimit: number; memoryBytes: number; cpus?: number },
): RuntimeLimits {
  const cpus = tool.cpus ?? 0;
  if (!isGvisorRuntime(runtime))
    return { cgroupPidsLimit: tool.pidsLimit, cgroupMemoryBytes: tool.memoryBytes, cgroupCpus: cpus };
  const o = GVISOR_OVERHEAD;
  return {
    cgroupPidsLimit: o.pidsBase + o.pidsPerProcess * tool.pidsLimit,
    cgroupMemoryBytes: tool.memoryBytes + o.memoryBytesBase + Math.ceil(o.memoryBytesPerProcess * tool.pidsLimit),
    nproc: tool.pidsLimit,
    cgroupCpus: cpus + o.cpusBudget,
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
