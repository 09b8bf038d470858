import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { createPolicyEnforcer, defaultPolicy } from '@baaaht/policy';
import type { Executor, ExecutorOptions } from '@baaaht/executor';
import { createToolCatalog } from '@baaaht/tool-specs';
import { containerCgroup } from './cgroup';
import type { ContainerCgroup } from './cgroup';
import { cpuSecondsOf } from './cpu';
import { benchExecutor, floodTool } from './setup';

/** An executor whose tasks with a session id run in sessions (the pool stays off: only sessions are measured). */
export function sessionExecutor(tag: string, options: ExecutorOptions = {}): Promise<Executor> {
  return benchExecutor({
    workerId: `bench-${tag}-${process.pid}`,
    sessions: { enabled: true, maxSessions: 32, idleMs: 600_000 },
    ...options,
  });
}

/** The default policy over `ws` with the exec tool enabled (`tools.exec.enabled`), which is off unless a policy says so. */
export function execPolicy(ws: string): NonNullable<ExecutorOptions['policy']> {
  return createPolicyEnforcer({ ...defaultPolicy({ workspaceRoots: [ws] }), tools: { exec: { enabled: true } } });
}

/** The bench catalog with file_read given `cpus` (its session then has that much CPU): the quota-free row. */
export function fileReadWithCpus(cpus: number): NonNullable<ExecutorOptions['catalog']> {
  return createToolCatalog({ custom: [floodTool], overrides: { file_read: { resources: { cpus } } } });
}

/** The 1 KB read in session `sessionId`; throws unless it completed. */
export async function readInSession(executor: Executor, ws: string, sessionId: string): Promise<void> {
  const r = await executor.executeTask({ tool: 'file_read', params: { path: 'file.txt' }, mountSource: ws, sessionId });
  if (r.status !== 'completed') throw new Error(`session file_read: ${r.status} ${r.error?.message}`);
}

/** `exec` running `true` (through the tool's `/bin/sh -c`) in session `sessionId`; throws unless it exited 0. */
export async function execTrueInSession(executor: Executor, ws: string, sessionId: string): Promise<void> {
  const r = await executor.executeTask({ tool: 'exec', params: { command: 'true' }, mountSource: ws, sessionId });
  if (r.status !== 'completed' || r.exitCode !== 0) throw new Error(`session exec: ${r.status} ${r.error?.message}`);
}

/** The container of a live session, and its cgroup. */
export function sessionContainer(executor: Executor, sessionId: string): { id: string; cgroup: ContainerCgroup } {
  const id = executor.listSessions().find((s) => s.sessionId === sessionId)?.containerId ?? null;
  if (id === null) throw new Error(`bench: session ${sessionId} has no container`);
  const cgroup = containerCgroup(id);
  if (cgroup === undefined) throw new Error(`bench: no cgroup found for container ${id.slice(0, 12)}`);
  return { id, cgroup };
}

/**
 * The engine processes that relay a session's stdio (Docker attach): dockerd and the container's
 * containerd shim. Their CPU over an interval is informative only: dockerd is shared with every other
 * container on the host.
 */
export function relayCpuMs(containerId: string): () => number {
  const pids = [pidOf(['-x', 'dockerd']), pidOf(['-f', `containerd-shim.* -id ${containerId}`])].filter(
    (p): p is number => p !== undefined,
  );
  return () => pids.reduce((sum, pid) => sum + (fs.existsSync(`/proc/${pid}`) ? cpuSecondsOf(pid) * 1000 : 0), 0);
}

function pidOf(args: string[]): number | undefined {
  try {
    const pid = Number(execFileSync('pgrep', args, { encoding: 'utf8' }).trim().split('\n')[0]);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}
