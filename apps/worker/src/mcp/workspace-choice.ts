/**
 * Which host directory a call mounts at `/workspace`: the `workspace` argument, validated against the
 * workspace roots, else the single root. The client's MCP roots may narrow what is allowed, never widen
 * it: a directory is allowed when it is below (or is) a configured root and, if the client gave roots,
 * below one of those too. With no configured root the argument is required and the policy alone judges
 * it (the executor's gate, `POLICY_DENIED`). On this host (the stdio door) paths are compared after
 * resolving symlinks and must be existing directories; the fleet door names directories on the workers'
 * hosts, so it compares them as written (normalised) and leaves the real-path check to the worker's policy.
 */
import fs from 'node:fs';
import path from 'node:path';

export type WorkspaceChoice =
  /** Mount this directory (a real path). */
  | { ok: true; path: string }
  /** Refused: `code` is the typed code the call's `isError` result carries. */
  | { ok: false; code: 'INVALID_PARAMS' | 'NOT_FOUND' | 'POLICY_DENIED'; message: string };

/** The real path of an existing directory, or why not. */
function realDirectory(dir: string): { ok: true; path: string } | { ok: false; message: string } {
  let real: string;
  try {
    real = fs.realpathSync(dir);
  } catch {
    return { ok: false, message: `workspace ${dir} does not exist` };
  }
  if (!fs.statSync(real).isDirectory()) return { ok: false, message: `workspace ${dir} is not a directory` };
  return { ok: true, path: real };
}

const realOrSelf = (dir: string): string => {
  try {
    return fs.realpathSync(dir);
  } catch {
    return path.resolve(dir);
  }
};

export interface WorkspaceChoiceOptions {
  /**
   * The directories are on this host: resolve symlinks and require an existing directory. False for the
   * orchestrator, whose workers mount directories of their own hosts. @default true
   */
  onThisHost?: boolean;
}

/** `dir` is `root` or below it. */
export function isWithin(dir: string, root: string): boolean {
  const rel = path.relative(root, dir);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/**
 * The directories a call may use: the configured roots, narrowed by the client's roots when it gave any
 * (where a client root is below a configured one, the client root; where a configured root is below a
 * client root, the configured root).
 */
export function effectiveRoots(
  configured: readonly string[],
  client: readonly string[] | undefined,
  options: WorkspaceChoiceOptions = {},
): string[] {
  const resolve = options.onThisHost === false ? (dir: string) => path.resolve(dir) : realOrSelf;
  const roots = configured.map(resolve);
  if (client === undefined) return outermost(roots);
  const given = client.map(resolve);
  if (roots.length === 0) return outermost(given);
  const out: string[] = [];
  for (const r of roots)
    for (const c of given) {
      if (isWithin(c, r)) out.push(c);
      else if (isWithin(r, c)) out.push(r);
    }
  return outermost(out);
}

/** `dirs` without duplicates and without any directory below another one of them, in their order. */
function outermost(dirs: readonly string[]): string[] {
  const unique = [...new Set(dirs)];
  return unique.filter((d) => !unique.some((other) => other !== d && isWithin(d, other)));
}

/** The directory to mount for `argument` (the call's `workspace`, possibly absent). */
export function chooseWorkspace(
  argument: unknown,
  configured: readonly string[],
  client: readonly string[] | undefined,
  options: WorkspaceChoiceOptions = {},
): WorkspaceChoice {
  const roots = effectiveRoots(configured, client, options);
  const narrowed = client !== undefined && configured.length > 0;
  const listed = roots.join(', ');
  if (argument === undefined || argument === null || argument === '') {
    if (roots.length === 1) return { ok: true, path: roots[0] as string };
    if (roots.length === 0 && narrowed)
      return {
        ok: false,
        code: 'POLICY_DENIED',
        message: `no workspace is allowed: the client's roots share no directory with the workspace roots (${configured.join(', ')})`,
      };
    if (roots.length === 0)
      return {
        ok: false,
        code: 'INVALID_PARAMS',
        message:
          'workspace is required: this server has no workspace root (start it with --workspace-root DIR to set a default)',
      };
    return {
      ok: false,
      code: 'INVALID_PARAMS',
      message: `workspace is required: there are several workspace roots, name one of them (or a directory below one): ${listed}`,
    };
  }
  if (typeof argument !== 'string') return { ok: false, code: 'INVALID_PARAMS', message: 'workspace must be a string' };
  if (argument.includes('\0')) return { ok: false, code: 'INVALID_PARAMS', message: 'workspace must not contain NUL' };
  let requested = argument;
  if (!path.isAbsolute(requested)) {
    if (roots.length !== 1)
      return {
        ok: false,
        code: 'INVALID_PARAMS',
        message: `workspace must be an absolute path${roots.length > 1 ? ` (the workspace roots: ${listed})` : ''}`,
      };
    requested = path.resolve(roots[0] as string, requested);
  }
  const real =
    options.onThisHost === false ? { ok: true as const, path: path.resolve(requested) } : realDirectory(requested);
  if (!real.ok) return { ok: false, code: 'NOT_FOUND', message: real.message };
  // No configured root and no client roots: the policy is the only judge, at run time.
  if (roots.length === 0 && !narrowed) return { ok: true, path: real.path };
  if (roots.some((r) => isWithin(real.path, r))) return { ok: true, path: real.path };
  const whose = narrowed ? "the workspace roots as narrowed by the client's roots" : 'the workspace roots';
  return {
    ok: false,
    code: 'POLICY_DENIED',
    message: `workspace ${argument} is outside ${whose}: ${listed || '(none)'}`,
  };
}
