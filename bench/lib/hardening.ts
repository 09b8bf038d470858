import { randomBytes } from 'node:crypto';
import { buildCreateBody, NOBODY_USER, resolveExecutorOptions } from '@baaaht/executor';
import type { ContainerPlan } from '@baaaht/executor';
import { getToolSpec } from '@baaaht/tool-specs';

/** The argv the baselines run for the 1 KB read (the executor runs file_read's own, gated, command). */
export const READ_ARGV = ['cat', '--', '/workspace/file.txt'];

export type CreateBody = ReturnType<typeof buildCreateBody>;

/**
 * The Docker create body the executor sends for a 1 KB `file_read` (its `buildCreateBody`, with
 * file_read's limits, the default tmpfs and runtime, the unprivileged user of a root-owned workspace),
 * running `argv` instead of the tool's gated command. The baselines copy their settings from it, so
 * they follow the executor when its hardening changes.
 */
export function executorCreateBody(image: string, workspace: string, argv: readonly string[] = READ_ARGV): CreateBody {
  const spec = getToolSpec('file_read');
  const defaults = resolveExecutorOptions({});
  const plan: ContainerPlan = {
    workerId: `bench-${process.pid}`,
    instanceId: `bench-${process.pid}`,
    version: 'bench',
    taskId: `bench-${randomBytes(4).toString('hex')}`,
    tool: 'file_read',
    image,
    user: NOBODY_USER,
    workspaceSource: workspace,
    workspaceMode: 'readonly',
    protectedPaths: [],
    allowHardlinks: false,
    cpus: spec.resources.cpus,
    memoryBytes: spec.resources.memoryBytes,
    pidsLimit: spec.resources.pidsLimit,
    tmpfsBytes: defaults.tmpfsBytes,
    readOnlyRootfs: spec.readOnlyRootfs,
    runtime: defaults.runtime,
    deadlineMs: Date.now() + 3_600_000,
  };
  return buildCreateBody(plan, { argv: [...argv] }, `baaaht-bench-${randomBytes(4).toString('hex')}`);
}

/**
 * `docker run` flags for the same container: limits (CPU period and quota, memory, swap, pids), user,
 * read-only root, tmpfs, capabilities, no-new-privileges, init, IPC, `--network none` (the CLI has no
 * NetworkDisabled), `--log-driver none`, runtime and mounts. Only the executor's own labels are left out.
 */
export function cliFlagsFor(body: CreateBody): string[] {
  const h = body.HostConfig;
  const flags = [
    `--cpu-period=${h.CpuPeriod}`,
    `--cpu-quota=${h.CpuQuota}`,
    `--memory=${h.Memory}b`,
    `--memory-swap=${h.MemorySwap}b`,
    `--pids-limit=${h.PidsLimit}`,
    `--user=${body.User}`,
    `--workdir=${body.WorkingDir}`,
    `--network=${h.NetworkMode}`,
    `--log-driver=${h.LogConfig.Type}`,
    `--ipc=${h.IpcMode}`,
    `--runtime=${h.Runtime ?? 'runc'}`,
    '--entrypoint=',
  ];
  if (h.ReadonlyRootfs) flags.push('--read-only');
  if (h.Init) flags.push('--init');
  for (const cap of h.CapDrop) flags.push(`--cap-drop=${cap}`);
  for (const opt of h.SecurityOpt) flags.push(`--security-opt=${opt}`);
  for (const [dest, opts] of Object.entries(h.Tmpfs)) flags.push(`--tmpfs=${dest}:${opts}`);
  for (const e of body.Env) flags.push(`--env=${e}`);
  for (const m of h.Mounts)
    flags.push(`--mount=type=${m.Type},source=${m.Source},target=${m.Target}${m.ReadOnly ? ',readonly' : ''}`);
  return flags;
}
