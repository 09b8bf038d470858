import fs from 'node:fs';
import path from 'node:path';
import { checkProtectedPath, protectedPathOf } from '@baaaht/tool-specs';
import { WORKSPACE_TARGET } from './container-config';
import { hostRealRelative, resolveInWorkspace } from './workspace-resolve';

/** A protected workspace path mounted read-only over the read-write workspace. */
export interface ProtectedMount {
  /** Host path (inside the workspace realpath; no component is a symlink). */
  source: string;
  /** `/workspace/<protected path>`. */
  target: string;
  /** Host identity from lstat, so a later in-container check can prove the mount is this inode. */
  dev: number;
  ino: number;
}

export interface GuardRefusal {
  code: 'PROTECTED_PATH' | 'HARDLINK_REFUSED';
  message: string;
  /** The policy rule: `mounts.protected_paths` or `mounts.allow_hardlinks`. */
  detail: string;
}

const RULE = 'mounts.protected_paths';

/** The normalised, de-duplicated list (entries were validated by the options or the policy). */
export function normalizeProtectedPaths(list: readonly string[]): string[] {
  const out = new Set<string>();
  for (const entry of list) {
    const checked = checkProtectedPath(entry);
    if (checked.ok) out.add(checked.path);
  }
  return [...out];
}

/**
 * The read-only nested binds for a read-write task: each protected path that exists at task start.
 * Every component is lstat'ed: a symlink is refused, because Docker would resolve a bind source that
 * is a symlink on the host, possibly to somewhere outside the workspace.
 */
export function resolveProtectedMounts(
  root: string,
  protectedPaths: readonly string[],
): { mounts: ProtectedMount[] } | { refusal: GuardRefusal } {
  const mounts: ProtectedMount[] = [];
  for (const entry of normalizeProtectedPaths(protectedPaths)) {
    let st: fs.Stats | undefined;
    let walked = root;
    for (const part of entry.split('/')) {
      walked = path.join(walked, part);
      try {
        st = fs.lstatSync(walked);
      } catch {
        st = undefined;
        break;
      }
      if (st.isSymbolicLink()) {
        const at = path.relative(root, walked);
        return {
          refusal: {
            code: 'PROTECTED_PATH',
            message: `refusing write tools: ${at} is a symlink, so protected path ${entry} cannot be mounted read-only safely (${RULE})`,
            detail: RULE,
          },
        };
      }
    }
    if (st === undefined) continue;
    mounts.push({ source: walked, target: `${WORKSPACE_TARGET}/${entry}`, dev: st.dev, ino: st.ino });
  }
  return { mounts };
}

/**
 * Refuses writing `relative` (a normalised workspace path) when it, or where it resolves to through
 * symlinks (container view and host realpath), falls under a protected path.
 */
export function checkProtectedWrite(
  root: string,
  relative: string,
  protectedPaths: readonly string[],
): GuardRefusal | undefined {
  const resolved = resolveInWorkspace(root, relative);
  const candidates = [relative, resolved.inside ? resolved.relative : undefined, hostRealRelative(root, relative)];
  for (const candidate of candidates) {
    if (candidate === undefined) continue;
    const hit = protectedPathOf(candidate, protectedPaths);
    if (hit === undefined) continue;
    const via = candidate === relative ? '' : ` (it resolves to ${candidate})`;
    return {
      code: 'PROTECTED_PATH',
      message: `refusing to write ${relative}${via}: ${hit} is protected by ${RULE}`,
      detail: RULE,
    };
  }
  return undefined;
}
