/**
 * Typed file-system failures a model can act on, read from what the tool (busybox `cat`, `sed`, `tee`,
 * `ls`, `find`, `grep`) printed on stderr. Each names the workspace path, never the container path.
 * `PERMISSION_DENIED` says only what the tool saw; the executor adds the uid the tool ran as and the fix.
 */
export type FsErrorCode =
  'NOT_FOUND' | 'IS_A_DIRECTORY' | 'NOT_A_DIRECTORY' | 'PERMISSION_DENIED' | 'NOT_A_REGULAR_FILE';

export interface FsError {
  code: FsErrorCode;
  message: string;
}

export const FS_ERROR_CODES: readonly FsErrorCode[] = Object.freeze([
  'NOT_FOUND',
  'IS_A_DIRECTORY',
  'NOT_A_DIRECTORY',
  'PERMISSION_DENIED',
  'NOT_A_REGULAR_FILE',
]);

const PATTERNS: ReadonlyArray<[RegExp, FsErrorCode, (path: string) => string]> = [
  // busybox sh says "can't open X: no such file" / "can't create X: nonexistent directory" for ENOENT and ENOTDIR.
  [
    /No such file or directory|: no such file$|: nonexistent directory$/m,
    'NOT_FOUND',
    (p) => `${p} does not exist in the workspace`,
  ],
  [/Is a directory/, 'IS_A_DIRECTORY', (p) => `${p} is a directory, not a file`],
  [/Not a directory/, 'NOT_A_DIRECTORY', (p) => `a component of ${p} is not a directory`],
  [/Permission denied|Operation not permitted/, 'PERMISSION_DENIED', (p) => `permission denied on ${p}`],
];

/** The typed error for a failed command's stderr, naming `path` (workspace-relative); undefined if none fits. */
export function fsErrorFromStderr(stderr: string, path: string): FsError | undefined {
  for (const [pattern, code, message] of PATTERNS) if (pattern.test(stderr)) return { code, message: message(path) };
  return undefined;
}

export function isFsErrorCode(code: string | undefined): code is FsErrorCode {
  return code !== undefined && (FS_ERROR_CODES as readonly string[]).includes(code);
}
