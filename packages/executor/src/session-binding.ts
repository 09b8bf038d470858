import type { ContainerPlan } from './container-config';
import { WORKSPACE_TARGET } from './container-config';

/**
 * What a session is bound to: everything about its container that a call's judged plan decides. The
 * first call (or `prewarmSession`) fixes it; a later call is run in the session only when its own judged
 * plan would have shaped the same container, else it is refused with `SESSION_MISMATCH` naming the fields.
 *
 * One exception: a session whose workspace is mounted read-write also takes read-only calls (the typed
 * read-only tools run fixed programs that do not write); a read-write call in a read-only session is a
 * mismatch. Limits are compared exactly: the session's container limits are every call's limits.
 */
export interface SessionBinding {
  image: string;
  runtime: string;
  user: string;
  /** `dev:ino` of the judged workspace directory and its real path (for humans); null without a workspace. */
  workspace: { source: string; identity: string } | null;
  workspaceMode: 'readonly' | 'readwrite';
  /** `target=dev:ino` of each nested read-only bind over protected paths, sorted. */
  protectedMounts: string;
  protectedPaths: string;
  allowHardlinks: boolean;
  cpus: number;
  memoryBytes: number;
  pidsLimit: number;
  tmpfsBytes: number;
  readOnlyRootfs: boolean;
}

/** The binding a judged plan asks for. */
export function bindingOf(plan: ContainerPlan): SessionBinding {
  const pin = plan.pins?.find((p) => p.target === WORKSPACE_TARGET);
  return {
    image: plan.image,
    runtime: plan.runtime,
    user: plan.user,
    workspace:
      plan.workspaceSource === undefined
        ? null
        : { source: plan.workspaceSource, identity: pin === undefined ? 'unpinned' : `${pin.dev}:${pin.ino}` },
    workspaceMode: plan.workspaceMode,
    protectedMounts: (plan.protectedMounts ?? [])
      .map((m) => `${m.target}=${m.dev}:${m.ino}`)
      .sort()
      .join(','),
    protectedPaths: [...plan.protectedPaths].sort().join(','),
    allowHardlinks: plan.allowHardlinks,
    cpus: plan.cpus,
    memoryBytes: plan.memoryBytes,
    pidsLimit: plan.pidsLimit,
    tmpfsBytes: plan.tmpfsBytes,
    readOnlyRootfs: plan.readOnlyRootfs,
  };
}

const show = (v: unknown): string => (v === null ? 'none' : typeof v === 'string' ? `'${v}'` : String(v));

/**
 * What differs between the session's binding and a call's, as `field: session vs call` lines; empty when
 * the call may run in the session.
 */
export function bindingMismatch(session: SessionBinding, call: SessionBinding): string[] {
  const out: string[] = [];
  const diff = (field: string, a: unknown, b: unknown): void => {
    if (a !== b) out.push(`${field}: ${show(a)} vs ${show(b)}`);
  };
  if (session.workspace?.identity !== call.workspace?.identity)
    out.push(
      `workspace: ${session.workspace === null ? 'none' : `'${session.workspace.source}' (${session.workspace.identity})`}` +
        ` vs ${call.workspace === null ? 'none' : `'${call.workspace.source}' (${call.workspace.identity})`}`,
    );
  if (session.workspaceMode === 'readonly' && call.workspaceMode === 'readwrite')
    out.push('workspace mode: readonly vs readwrite');
  // A read-only call needs no protected binds; a read-write one must see the session's.
  if (call.workspaceMode === 'readwrite') diff('protected mounts', session.protectedMounts, call.protectedMounts);
  diff('image', session.image, call.image);
  diff('runtime', session.runtime, call.runtime);
  diff('user', session.user, call.user);
  diff('protected paths', session.protectedPaths, call.protectedPaths);
  diff('allowHardlinks', session.allowHardlinks, call.allowHardlinks);
  diff('cpus', session.cpus, call.cpus);
  diff('memoryBytes', session.memoryBytes, call.memoryBytes);
  diff('pidsLimit', session.pidsLimit, call.pidsLimit);
  diff('tmpfsBytes', session.tmpfsBytes, call.tmpfsBytes);
  diff('readOnlyRootfs', session.readOnlyRootfs, call.readOnlyRootfs);
  return out;
}
