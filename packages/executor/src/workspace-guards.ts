import { checkWorkspacePath } from '@baaaht/tool-specs';
import type { ToolSpec } from '@baaaht/tool-specs';
import type { ContainerPlan } from './container-config';
import { checkHardlink, checkTargetType, resolveTarget } from './hardlink-check';
import type { TargetFailure } from './hardlink-check';
import { checkProtectedWrite, resolveProtectedMounts } from './protected-paths';
import type { GuardRefusal } from './protected-paths';

/**
 * Host-side checks of one task's workspace before any container exists: the files the tool declares
 * (`workspaceTargets`) against protected paths, their type (a regular file, or nothing yet) and hard
 * links, then the read-only nested binds a read-write task gets. Returns the plan with
 * `protectedMounts`, a refusal (status `denied`) or a failure (status `failed`: the file is not one a
 * file tool can act on).
 */
export function guardWorkspace(
  spec: Pick<ToolSpec, 'workspaceTargets'>,
  params: Record<string, unknown>,
  plan: ContainerPlan,
): { plan: ContainerPlan } | { refusal: GuardRefusal } | { failure: TargetFailure } {
  const root = plan.workspaceSource;
  if (root === undefined) return { plan };
  for (const target of spec.workspaceTargets?.(params) ?? []) {
    const checked = checkWorkspacePath(target.path);
    // A malformed path is refused by the tool itself with INVALID_PATH.
    if (!checked.ok) continue;
    const protectedRefusal =
      target.access === 'write' ? checkProtectedWrite(root, checked.relative, plan.protectedPaths) : undefined;
    if (protectedRefusal !== undefined) return { refusal: protectedRefusal };
    // Resolved once for both checks: the type and the link count are read from the same lstat.
    const resolved = resolveTarget(root, checked.relative);
    const failure = checkTargetType(root, checked.relative, resolved);
    if (failure !== undefined) return { failure };
    const refusal = plan.allowHardlinks ? undefined : checkHardlink(root, checked.relative, resolved);
    if (refusal !== undefined) return { refusal };
  }
  if (plan.workspaceMode !== 'readwrite' || plan.protectedPaths.length === 0) return { plan };
  const resolved = resolveProtectedMounts(root, plan.protectedPaths);
  if ('refusal' in resolved) return resolved;
  return { plan: { ...plan, protectedMounts: resolved.mounts } };
}
