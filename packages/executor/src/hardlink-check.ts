import fs from 'node:fs';
import path from 'node:path';
import type { GuardRefusal } from './protected-paths';
import { resolveInWorkspace } from './workspace-resolve';

/**
 * Refuses a target that is a regular file with more than one hard link: the other name may be outside
 * the workspace, so reading returns that file and `tee` rewrites it. Checked on the host before the
 * container exists; the tool checks again on the descriptor it uses (see @baaaht/tool-specs).
 */
export function checkHardlink(root: string, relative: string): GuardRefusal | undefined {
  const resolved = resolveInWorkspace(root, relative);
  // Outside the workspace (an absolute symlink) it resolves in the container's own filesystem.
  if (!resolved.inside || !resolved.exists) return undefined;
  let st: fs.Stats;
  try {
    st = fs.lstatSync(path.join(root, resolved.relative));
  } catch {
    return undefined;
  }
  if (!st.isFile() || st.nlink <= 1) return undefined;
  const shown = resolved.relative === relative ? relative : `${relative} (${resolved.relative})`;
  return {
    code: 'HARDLINK_REFUSED',
    message: `refusing ${shown}: it is a regular file with ${st.nlink} hard links and may be a file outside the workspace (mounts.allow_hardlinks)`,
    detail: 'mounts.allow_hardlinks',
  };
}
