import { posix } from 'node:path';

/**
 * Checks one `mounts.protected_paths` entry: relative to the workspace root, no `..`, no NUL.
 * Returns its normalised form (no `./`, no trailing slash) or why it is refused.
 */
export function checkProtectedPath(entry: string): { ok: true; path: string } | { ok: false; message: string } {
  if (entry.length === 0) return { ok: false, message: 'must not be empty' };
  if (entry.includes('\0')) return { ok: false, message: 'must not contain NUL bytes' };
  if (entry.startsWith('/')) return { ok: false, message: `must be relative to the workspace root (got '${entry}')` };
  if (entry.split('/').includes('..')) return { ok: false, message: `must not contain '..' (got '${entry}')` };
  const path = posix.normalize(entry).replace(/\/+$/, '');
  if (path === '' || path === '.') return { ok: false, message: 'must name a path inside the workspace, not its root' };
  return { ok: true, path };
}

/**
 * The protected entry that covers a normalised workspace-relative path (`.git` covers `.git` and
 * `.git/hooks/x`), or undefined. Compared case-insensitively: on a case-insensitive filesystem
 * `.GIT/config` is `.git/config`.
 */
export function protectedPathOf(relative: string, protectedPaths: readonly string[]): string | undefined {
  const target = relative.replace(/\/+$/, '').toLowerCase();
  return protectedPaths.find((entry) => {
    const checked = checkProtectedPath(entry);
    if (!checked.ok) return false;
    const p = checked.path.toLowerCase();
    return target === p || target.startsWith(`${p}/`);
  });
}
