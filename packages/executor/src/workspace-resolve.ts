import fs from 'node:fs';
import path from 'node:path';
import { WORKSPACE_TARGET } from './container-config';

/** Where a workspace-relative path lands, judged the way the container's kernel would walk it. */
export type WorkspaceResolution =
  /** Inside the workspace: the resolved relative path (`.` for the root), and whether it exists. */
  | { inside: true; relative: string; exists: boolean }
  /** It leaves the workspace: `..` above the root, or a symlink to an absolute path outside /workspace. */
  | { inside: false; reason: string };

const MAX_SYMLINK_HOPS = 40;

/**
 * Resolves `relative` under the workspace root `root` (a realpath) component by component with lstat,
 * following symlinks with container semantics: a relative target resolves from its directory, an
 * absolute one against the container's root, where only `/workspace/...` is the workspace. A missing
 * component ends the walk; the rest is appended as written (it would be created there).
 */
export function resolveInWorkspace(root: string, relative: string): WorkspaceResolution {
  let pending = relative.split('/');
  const done: string[] = [];
  let hops = 0;
  while (pending.length > 0) {
    const part = pending.shift() as string;
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (done.length === 0) return { inside: false, reason: `'${relative}' leaves the workspace through '..'` };
      done.pop();
      continue;
    }
    let st: fs.Stats;
    try {
      st = fs.lstatSync(path.join(root, ...done, part));
    } catch {
      // ENOENT or ENOTDIR: nothing further exists; the kernel would create (or fail) right here.
      const rest = path.posix.normalize([part, ...pending].join('/'));
      return { inside: true, relative: path.posix.join(...done, rest).replace(/\/+$/, '') || '.', exists: false };
    }
    if (!st.isSymbolicLink()) {
      done.push(part);
      continue;
    }
    if (++hops > MAX_SYMLINK_HOPS) return { inside: false, reason: `too many symlinks resolving '${relative}'` };
    const target = fs.readlinkSync(path.join(root, ...done, part));
    if (target.startsWith('/')) {
      const norm = path.posix.normalize(target);
      if (norm !== WORKSPACE_TARGET && !norm.startsWith(`${WORKSPACE_TARGET}/`))
        return { inside: false, reason: `'${relative}' is a symlink to ${target}, outside ${WORKSPACE_TARGET}` };
      done.length = 0;
      pending = [...norm.slice(WORKSPACE_TARGET.length).split('/'), ...pending];
    } else {
      pending = [...target.split('/'), ...pending];
    }
  }
  return { inside: true, relative: done.join('/') || '.', exists: true };
}

/**
 * The host's view: the deepest existing ancestor of `root/relative` through realpath, with the missing
 * tail appended. Relative to `root` when it stays inside, else undefined.
 */
export function hostRealRelative(root: string, relative: string): string | undefined {
  let existing = path.join(root, relative);
  const tail: string[] = [];
  for (;;) {
    try {
      const real = path.join(fs.realpathSync.native(existing), ...tail);
      const rel = path.relative(root, real);
      if (rel === '') return '.';
      return rel.startsWith('..') || path.isAbsolute(rel) ? undefined : rel.split(path.sep).join('/');
    } catch {
      const parent = path.dirname(existing);
      if (parent === existing) return undefined;
      tail.unshift(path.basename(existing));
      existing = parent;
    }
  }
}
