import type { CommandResult, ToolCommand, ToolContext } from './types';

/**
 * In-container half of the file tools' guards. The runner checks the target on the host before any
 * container exists (protected paths, hard links, file type); these constant scripts check it again in
 * the container, so a file swapped in between the host check and the run is still refused:
 *
 * - a FIFO, socket or device is refused before it is opened (opening a FIFO for reading blocks until a
 *   writer appears, reading a device never ends), then the opened descriptor must be a regular file;
 * - a regular file with more than one hard link is refused on the very descriptor the tool then reads
 *   or writes (unless `ctx.allowHardlinks`).
 *
 * The file travels as the positional `$1`, never inside the script text. `/proc/self/fd/3` is the
 * descriptor the shell opened, so `[ -f ]` and `stat -L` see the inode actually used.
 *
 * Residual: the read script tests the path and then opens it; a FIFO swapped in within that window
 * still blocks the open (busybox sh has no non-blocking open). Such a task ends at its timeout. The
 * write script opens read-write, which never blocks on a FIFO, so its descriptor check has no window.
 */

/** Exit status the guard scripts use for "refused: more than one hard link". */
export const HARDLINK_EXIT_CODE = 86;
/** Exit status the guard scripts use for "refused: not a regular file (a FIFO, socket or device)". */
export const SPECIAL_FILE_EXIT_CODE = 87;

const REFUSE_SPECIAL = `echo "refusing $1: it is not a regular file (a FIFO, socket or device)" >&2; exit ${SPECIAL_FILE_EXIT_CODE}`;

/**
 * Before opening. Only what `stat` proved is reported here (a test that fails may be EACCES on a
 * parent, not ENOENT), in the kernel's wording so fsErrorFromStderr types it; a path that cannot be
 * stat'ed is left to the open, whose error says which.
 */
const PATH_CHECK =
  'if [ -d "$1" ]; then echo "$1: Is a directory" >&2; exit 1; fi; ' +
  `if [ -e "$1" ] && [ ! -f "$1" ]; then ${REFUSE_SPECIAL}; fi; `;
/** ash reports ENOTDIR on create as "nonexistent directory": say which it is when the parent is a file. */
const PARENT_CHECK =
  'if [ -e "${1%/*}" ] && [ ! -d "${1%/*}" ]; then echo "${1%/*}: Not a directory" >&2; exit 1; fi; ';
const FD_REGULAR = `if [ ! -f /proc/self/fd/3 ]; then ${REFUSE_SPECIAL}; fi; `;
const FD_ONE_LINK =
  'if [ "$(stat -L -c %h /proc/self/fd/3)" != 1 ]; then ' +
  `echo "refusing $1: it is a regular file with more than one hard link" >&2; exit ${HARDLINK_EXIT_CODE}; fi; `;

const readScript = (links: string): string => `${PATH_CHECK}exec 3<"$1"; ${FD_REGULAR}${links}shift; exec "$@" <&3`;
const writeScript = (links: string): string =>
  `${PATH_CHECK}${PARENT_CHECK}exec 3<>"$1"; ${FD_REGULAR}${links}exec cat >/proc/self/fd/3`;

/** Opens `$1` for reading on fd 3, checks it, then runs the rest of argv with that fd as stdin. */
export const GUARDED_READ_SCRIPT = readScript(FD_ONE_LINK);
/** `GUARDED_READ_SCRIPT` without the hard-link check (`allowHardlinks`). */
export const READ_SCRIPT = readScript('');

/**
 * Opens `$1` read-write without truncating (creating it if missing), checks it, then truncates and
 * writes stdin through the same inode (`/proc/self/fd/3` reopens the open file, not the path).
 */
export const GUARDED_WRITE_SCRIPT = writeScript(FD_ONE_LINK);
/** `GUARDED_WRITE_SCRIPT` without the hard-link check (`allowHardlinks`). */
export const WRITE_SCRIPT = writeScript('');

const guarded = (ctx: ToolContext): boolean => ctx.allowHardlinks !== true;

/** Runs `argv` (a filter such as `cat` or `sed -n ...`) on `file`, refusing special files and (unless allowed) hard links. */
export function readFileCommand(file: string, filter: readonly string[], ctx: ToolContext): ToolCommand {
  return { argv: ['sh', '-c', guarded(ctx) ? GUARDED_READ_SCRIPT : READ_SCRIPT, 'sh', file, ...filter] };
}

/** Writes `content` (on stdin, never in argv) to `file`, refusing special files and (unless allowed) hard links. */
export function writeFileCommand(file: string, content: string, ctx: ToolContext): ToolCommand {
  return { argv: ['sh', '-c', guarded(ctx) ? GUARDED_WRITE_SCRIPT : WRITE_SCRIPT, 'sh', file], stdin: content };
}

/** Whether a step failed because the in-container guard refused a hard-linked file. */
export function refusedHardlink(result: CommandResult): boolean {
  return result.exitCode === HARDLINK_EXIT_CODE && result.stderr.includes('more than one hard link');
}

/** Whether a step failed because the in-container guard refused a FIFO, socket or device. */
export function refusedSpecialFile(result: CommandResult): boolean {
  return result.exitCode === SPECIAL_FILE_EXIT_CODE && result.stderr.includes('it is not a regular file');
}
