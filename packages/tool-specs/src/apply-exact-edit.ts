/** Result of an exact string replacement: the new content, or a stable failure code. */
export type ExactEditResult =
  | { ok: true; content: string; replacements: number }
  | { ok: false; code: 'EDIT_NO_MATCH' | 'EDIT_AMBIGUOUS' | 'EDIT_INVALID'; message: string };

/**
 * Replaces `oldString` with `newString` in `content`, literally (no regex, no `$&` patterns).
 * Without `replaceAll`, `oldString` must occur exactly once, so the model cannot edit the wrong place.
 */
export function applyExactEdit(
  content: string,
  oldString: string,
  newString: string,
  replaceAll = false,
): ExactEditResult {
  if (oldString === '') return { ok: false, code: 'EDIT_INVALID', message: 'old_string must not be empty' };
  if (oldString === newString)
    return { ok: false, code: 'EDIT_INVALID', message: 'old_string and new_string are identical' };
  const parts = content.split(oldString);
  const count = parts.length - 1;
  if (count === 0) return { ok: false, code: 'EDIT_NO_MATCH', message: 'old_string was not found in the file' };
  if (count > 1 && !replaceAll) {
    return {
      ok: false,
      code: 'EDIT_AMBIGUOUS',
      message: `old_string occurs ${count} times; add surrounding context to make it unique or set replace_all`,
    };
  }
  // split/join rather than String.replace: replacement strings would otherwise interpret `$` sequences.
  return { ok: true, content: parts.join(newString), replacements: count };
}
