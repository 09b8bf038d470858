import fs from 'node:fs';
import path from 'node:path';

/**
 * Realpath of the mount source (so a symlinked source mounts its target, and the policy sees the real
 * path) and its owner, whose uid:gid the tool runs as.
 */
export function resolveWorkspace(
  mountSource: string | undefined,
): { path: string; uid: number; gid: number } | { error: string } {
  if (mountSource === undefined || mountSource === '')
    return { error: 'mountSource is required for this tool (the host directory mounted at /workspace)' };
  if (!path.isAbsolute(mountSource)) return { error: `mountSource must be an absolute path (got '${mountSource}')` };
  try {
    const real = fs.realpathSync(mountSource);
    const st = fs.statSync(real);
    if (!st.isDirectory()) return { error: `mountSource '${mountSource}' is not a directory` };
    return { path: real, uid: st.uid, gid: st.gid };
  } catch (err) {
    return {
      error: `mountSource '${mountSource}' cannot be used: ${err instanceof Error ? err.message : String(err)}`,
    };
  }
}
