import { failedStep } from './argv-helpers';
import { fsErrorFromStderr } from './fs-errors';
import type { FsError } from './fs-errors';
import { refusedHardlink, refusedSpecialFile } from './hardlink-guard';
import type { CommandResult, ToolRunOutcome } from './types';

/**
 * The typed error of a failed file-tool step: an in-container guard refusal (`HARDLINK_REFUSED`,
 * `NOT_A_REGULAR_FILE`) or a file-system error read from stderr, naming the workspace path `shown`.
 * The container path `file` is cut out of stderr first, so a name such as `Is a directory` cannot
 * choose the code.
 */
export function fileStepError(
  result: CommandResult,
  file: string,
  shown: string,
  verb: 'read' | 'write' | 'edit',
): { code: string; message: string } | undefined {
  if (refusedHardlink(result))
    return { code: 'HARDLINK_REFUSED', message: `refusing to ${verb} ${shown}: it has more than one hard link` };
  if (refusedSpecialFile(result)) {
    return {
      code: 'NOT_A_REGULAR_FILE',
      message: `refusing to ${verb} ${shown}: it is not a regular file (a FIFO, socket or device)`,
    };
  }
  return fsErrorOf(result, file, shown);
}

/** `fsErrorFromStderr` on stderr without the paths the tool printed (`paths`: container paths). */
export function fsErrorOf(
  result: CommandResult,
  paths: string | readonly string[],
  shown: string,
): FsError | undefined {
  let stderr = result.stderr;
  // Longest first, so a file's path goes before its directory's.
  const all = (typeof paths === 'string' ? [paths] : [...paths]).sort((a, b) => b.length - a.length);
  for (const p of all) stderr = stderr.split(p).join('');
  return fsErrorFromStderr(stderr, shown);
}

/** The outcome of a step that failed, typed when possible, else with `fallback`'s code and message. */
export function failedFileStep(
  result: CommandResult,
  typed: { code: string; message: string } | undefined,
  fallback: { code: string; message: string },
  stderrSoFar = '',
): ToolRunOutcome {
  const { code, message } = typed ?? fallback;
  return failedStep(result, code, message, stderrSoFar);
}
