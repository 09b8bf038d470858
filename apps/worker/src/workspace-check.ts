import { loadPolicyFile, policyForTool } from '@baaaht/policy';
import type { Policy } from '@baaaht/policy';
import { createToolCatalog } from '@baaaht/tool-specs';
import type { WorkerConfig } from './config-schema';

/**
 * Why nothing can be mounted, or undefined when something can: no `--workspace-root` under the default
 * policy, or a policy file that allows no bind mount for any tool. Such a worker still runs the web
 * tools, but every file task it takes is denied, so start-up and `worker doctor` warn.
 */
export function noWorkspaceWarning(
  config: Pick<WorkerConfig, 'policy' | 'workspaceRoots'>,
  env: NodeJS.ProcessEnv,
): string | undefined {
  if (config.policy === undefined) {
    if (config.workspaceRoots.length > 0) return undefined;
    return (
      'no workspace root: the file tools cannot mount anything, so every file task is denied; ' +
      'pass --workspace-root DIR (or a --policy whose mounts.mount_allowlist allows a directory)'
    );
  }
  let policy: Policy;
  try {
    policy = loadPolicyFile(config.policy, { env });
  } catch {
    return undefined; // The policy check reports a file that does not load.
  }
  const tools = createToolCatalog()
    .all()
    .filter((s) => s.workspace !== 'none')
    .map((s) => s.name);
  if (tools.some((tool) => allowsMounts(policyForTool(policy, tool)))) return undefined;
  return (
    `policy ${config.policy} allows no bind mount (mounts.allow_bind_mounts with a mount_allowlist entry that is not denied): ` +
    'every file task is denied'
  );
}

function allowsMounts(policy: Policy): boolean {
  const mounts = policy.mounts;
  if (mounts?.allow_bind_mounts !== true) return false;
  const allowlist = mounts.mount_allowlist ?? [];
  return allowlist.length === 0 || allowlist.some((e) => e.mode !== 'denied');
}
