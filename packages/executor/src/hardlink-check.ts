import fs from 'node:fs';
import path from 'node:path';
import type { GuardRefusal } from './protected-paths';
import { resolveInWorkspace } from './workspace-resolve';

/** A declared target that exists inside the workspace, lstat'ed after resolving its symlinks there. */
export interface ResolvedTarget {
  /** `relative`, or `relative (resolved)` when a symlink led elsewhere in the workspace. */
  shown: string;
  st: fs.Stats;
}

/**
 * Resolves and lstats a declared target once, for both checks below; undefined when it does not exist or
 * resolves outside the workspace (there the tool's in-container guard judges it).
 */
export function resolveTarget(root: string, relative: string): ResolvedTarget | undefined {
  const resolved = resolveInWorkspace(root, relative);
  // Outside the workspace (an absolute symlink) it resolves in the container's own filesystem: the tool's guard judges it.
  if (!resolved.inside || !resolved.exists) return undefined;
  try {
    const st = fs.lstatSync(path.join(root, resolved.relative));
    return { shown: resolved.relative === relative ? relative : `${relative} (${resolved.relative})`, st };
  } catch {
    return undefined;
  }
}

/**
 * Refuses a target that is a regular file with more than one hard link: the other name may be outside
 * the workspace, so reading returns that file and `tee` rewrites it. Checked on the host before the
 * container exists; the tool checks again on the descriptor it uses (see @baaaht/tool-specs).
 */
export function checkHardlink(
  root: string,
  relative: string,
  target = resolveTarget(root, relative),
): GuardRefusal | undefined {
  if (target === undefined || !target.st.isFile() || target.st.nlink <= 1) return undefined;
  return {
    code: 'HARDLINK_REFUSED',
    message: `refusing ${target.shown}: it is a regular file with ${target.st.nlink} hard links and may be a file outside the workspace (mounts.allow_hardlinks)`,
    detail: 'mounts.allow_hardlinks',
  };
}

/** A file tool cannot act on its target as it is: a failure the model can fix, not a policy refusal. */
export interface TargetFailure {
  code: 'NOT_A_REGULAR_FILE' | 'IS_A_DIRECTORY';
  message: string;
}

/**
 * A declared file target that exists and is a directory, FIFO, socket or device. File tools read and
 * write regular files only; opening a FIFO blocks until a writer appears and a device may never end,
 * so these fail here, at once, before any container. The tool's in-container guard checks again.
 */
export function checkTargetType(
  root: string,
  relative: string,
  target = resolveTarget(root, relative),
): TargetFailure | undefined {
  if (target === undefined || target.st.isFile()) return undefined;
  if (target.st.isDirectory()) return { code: 'IS_A_DIRECTORY', message: `${target.shown} is a directory, not a file` };
  const kind = target.st.isFIFO()
    ? 'a FIFO'
    : target.st.isSocket()
      ? 'a socket'
      : target.st.isCharacterDevice()
        ? 'a character device'
        : target.st.isBlockDevice()
          ? 'a block device'
          : 'not a regular file';
  return {
    code: 'NOT_A_REGULAR_FILE',
    message: `${target.shown} is ${kind}, not a regular file; file tools only read and write regular files`,
  };
}
