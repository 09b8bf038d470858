import { posix } from 'node:path';
import { ToolSpecError } from './errors';

/** Where tools see the workspace; absolute paths in parameters must be under it. */
export const WORKSPACE_DIR = '/workspace';

/** Longest accepted path, in UTF-8 bytes (Linux PATH_MAX). */
export const MAX_PATH_BYTES = 4096;

/**
 * Checks a model-supplied path and returns it relative to the workspace (`.` for the root),
 * or a message saying why it is refused. Absolute paths are accepted only under `/workspace`.
 */
export function checkWorkspacePath(input: string): { ok: true; relative: string } | { ok: false; message: string } {
  if (input.length === 0) return { ok: false, message: "must not be empty (use '.' for the workspace root)" };
  if (input.includes('\0')) return { ok: false, message: 'must not contain NUL bytes' };
  if (Buffer.byteLength(input, 'utf8') > MAX_PATH_BYTES) {
    return { ok: false, message: `is longer than ${MAX_PATH_BYTES} bytes` };
  }
  let relative: string;
  if (input.startsWith('/')) {
    const abs = posix.normalize(input);
    if (abs !== WORKSPACE_DIR && !abs.startsWith(`${WORKSPACE_DIR}/`)) {
      return { ok: false, message: `absolute paths must be inside ${WORKSPACE_DIR} (got '${truncate(input)}')` };
    }
    relative = abs === WORKSPACE_DIR ? '.' : abs.slice(WORKSPACE_DIR.length + 1);
  } else {
    relative = posix.normalize(input);
  }
  relative = relative.replace(/\/+$/, '');
  if (relative === '') relative = '.';
  if (relative === '..' || relative.startsWith('../')) {
    return { ok: false, message: `must stay inside the workspace ('..' leaves it: '${truncate(input)}')` };
  }
  return { ok: true, relative };
}

/** Normalises a workspace path, throwing `INVALID_PATH` naming the parameter. */
export function normalizeWorkspacePath(input: string, param = 'path', tool?: string): string {
  const checked = checkWorkspacePath(input);
  if (!checked.ok) throw new ToolSpecError('INVALID_PATH', `${param} ${checked.message}`, { tool });
  return checked.relative;
}

/**
 * The container path for a workspace path: always `<workspaceDir>/<relative>`, so it starts with `/`
 * and can never be read as an option. Re-checks the path so an unvalidated call cannot escape.
 */
export function containerPath(input: unknown, workspaceDir: string, param = 'path', tool?: string): string {
  if (typeof input !== 'string') throw new ToolSpecError('INVALID_PATH', `${param} must be a string`, { tool });
  if (!workspaceDir.startsWith('/') || workspaceDir.includes('\0')) {
    throw new ToolSpecError('INVALID_CONTEXT', `workspaceDir must be an absolute path (got '${workspaceDir}')`, {
      tool,
    });
  }
  const relative = normalizeWorkspacePath(input, param, tool);
  const root = workspaceDir === '/' ? '' : workspaceDir.replace(/\/+$/, '');
  return relative === '.' ? root || '/' : `${root}/${relative}`;
}

/** The workspace-relative form of a container path the tools printed, or undefined if it is outside. */
export function relativeToWorkspace(path: string, workspaceDir: string): string | undefined {
  const root = workspaceDir.replace(/\/+$/, '');
  if (path === root) return '.';
  return path.startsWith(`${root}/`) ? path.slice(root.length + 1) : undefined;
}

function truncate(s: string): string {
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}
