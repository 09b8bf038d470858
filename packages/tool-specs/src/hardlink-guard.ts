import type { CommandResult, ToolCommand, ToolContext } from './types';

/**
 * In-container half of the hard-link rule. The runner checks the link count on the host before any
 * container exists; these commands check it again on the very file descriptor the tool then reads or
 * writes, so a hard link planted between the host check and the run is still refused.
 *
 * The scripts are constants: the file travels as the positional `$1`, never inside the script text.
 * `/proc/self/fd/3` is the descriptor the shell opened, so `stat -L` sees the inode actually used.
 */

/** Exit status the guard scripts use for "refused: more than one hard link". */
export const HARDLINK_EXIT_CODE = 86;

const CHECK =
  'if [ -f /proc/self/fd/3 ] && [ "$(stat -L -c %h /proc/self/fd/3)" != 1 ]; then ' +
  `echo "refusing $1: it is a regular file with more than one hard link" >&2; exit ${HARDLINK_EXIT_CODE}; fi; `;

/** Opens `$1` for reading on fd 3, checks it, then runs the rest of argv with that fd as stdin. */
export const GUARDED_READ_SCRIPT = `exec 3<"$1"; ${CHECK}shift; exec "$@" <&3`;

/**
 * Opens `$1` read-write without truncating (creating it if missing), checks it, then truncates and
 * writes stdin through the same inode (`/proc/self/fd/3` reopens the open file, not the path).
 */
export const GUARDED_WRITE_SCRIPT = `exec 3<>"$1"; ${CHECK}exec cat >/proc/self/fd/3`;

const guarded = (ctx: ToolContext): boolean => ctx.allowHardlinks !== true;

/** Runs `argv` (a filter such as `cat` or `sed -n ...`) on `file`, refusing a hard-linked file unless allowed. */
export function readFileCommand(file: string, filter: readonly string[], ctx: ToolContext): ToolCommand {
  if (!guarded(ctx)) return { argv: [...filter, '--', file] };
  return { argv: ['sh', '-c', GUARDED_READ_SCRIPT, 'sh', file, ...filter] };
}

/** Writes `content` (on stdin, never in argv) to `file`, refusing a hard-linked file unless allowed. */
export function writeFileCommand(file: string, content: string, ctx: ToolContext): ToolCommand {
  if (!guarded(ctx)) return { argv: ['tee', '--', file], stdin: content };
  return { argv: ['sh', '-c', GUARDED_WRITE_SCRIPT, 'sh', file], stdin: content };
}

/** Whether a step failed because the in-container guard refused a hard-linked file. */
export function refusedHardlink(result: CommandResult): boolean {
  return result.exitCode === HARDLINK_EXIT_CODE && result.stderr.includes('more than one hard link');
}
