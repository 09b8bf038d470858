/**
 * The in-container half of grep: a constant `sh -c` script that walks the tree with busybox `find`,
 * searches only regular files, and prints NUL-framed output the parser below reads back exactly.
 *
 * Why a walk of our own: `grep -r` opens every entry, so a FIFO hangs it until the timeout and a
 * symlink to `/dev/zero` fills its memory; its `file:line:text` output cannot be parsed back when a
 * name contains a newline or `:N:`; and busybox grep has no `--include`/`--exclude`.
 *
 * Every model value reaches the scripts as a positional argument (`$2`...) of the main script, or as
 * an operand of a fixed `find` primary (`-name GLOB`, `-path GLOB`) built by `findFilter()`; the main
 * script exports the search settings so the child scripts `find -exec` starts see them as variables.
 * The scripts never contain `{}`: `find -exec ... ;` would substitute file names into them.
 *
 * Output of the main script, as `\0HEADER\0BODY` records:
 * - `\0F<container path>\0` then `grep -n` lines (`N:text\n`) of that file: one record per matched file;
 * - `\0S\0<special> <binary> <truncated>\n` once, last: skipped special files, skipped binary files,
 *   1 when more matches existed than were printed.
 * Names cannot contain NUL, and NUL bytes of included binary lines are printed as `?`, so a record
 * boundary is always ours.
 */

/** Exit status of the main script when `path` does not exist. */
export const GREP_NOT_FOUND_EXIT = 2;

/** Files whose first 8 KiB hold a NUL byte are binary. */
export const BINARY_PROBE_BYTES = 8192;

const STATE = '/tmp/baaaht-grep.state';

/**
 * Runs for each batch of regular files (`$0` = `batch`), for one file whose path holds a newline
 * (`one`), or for special files to count (`special`). `find` runs them one at a time and waits for
 * each, so their records never interleave and the state file (`total binary special truncated done`)
 * needs no lock. `grep -c` over a whole batch finds the files that match (its `name:count` lines are
 * exact because no name in a batch holds a newline); only those files are probed for NUL bytes and
 * searched again with `grep -n`, so a file that does not match costs no process of its own.
 */
export const GREP_CHILD_SCRIPT = [
  `st=${STATE}`,
  'read -r total binary special trunc done <"$st" || exit 0',
  'save() { echo "$total $binary $special $trunc $done" >"$st"; }',
  'if [ "$0" = special ]; then special=$((special + $#)); save; exit 0; fi',
  '[ "$done" = 1 ] && exit 0',
  'max=$GREP_MAX',
  'search() { grep "$GREP_MODE" ${GREP_ICASE:+-i} -e "$GREP_PATTERN" "$@"; }',
  'emit() {',
  `  if [ "$GREP_BINARY" != 1 ] && [ "$(head -c ${BINARY_PROBE_BYTES} -- "$1" | tr -dc '\\0' | wc -c)" -gt 0 ]; then`,
  '    binary=$((binary + 1)); return 0',
  '  fi',
  '  rem=$((max - total))',
  '  if [ "$rem" -le 0 ]; then trunc=1; done=1; return 1; fi',
  '  n=$2',
  '  if [ "$n" -gt "$rem" ]; then n=$rem; trunc=1; done=1; fi',
  '  printf \'\\0F%s\\0\' "$1"',
  `  if [ "$GREP_BINARY" = 1 ]; then search -n -m "$n" -- "$1" | tr '\\0' '?'; else search -n -m "$n" -- "$1"; fi`,
  '  total=$((total + n))',
  '  [ "$done" != 1 ]',
  '}',
  'if [ "$0" = one ]; then',
  '  c=$(search -c -m $((max + 1)) -- "$1")',
  '  [ "${c:-0}" -gt 0 ] && emit "$1" "$c"',
  '  save; exit 0',
  'fi',
  'search -c -H -m $((max + 1)) -- "$@" | grep -v \':0$\' | {',
  '  while IFS= read -r line; do emit "${line%:*}" "${line##*:}" || break; done',
  '  save',
  '}',
].join('\n');

/**
 * `sh -c GREP_MAIN_SCRIPT grep CHILD ROOT MAX BINARY MODE ICASE PATTERN [find filter...]`.
 * A directory is walked without following symlinks (`find` without `-L`): regular files go to the
 * search, every other non-directory is counted as special. A regular file is searched as is; any
 * other root (a symlink, a FIFO) is counted as special; a missing one exits 2.
 */
export const GREP_MAIN_SCRIPT = [
  'child=$1 root=$2',
  'GREP_MAX=$3 GREP_BINARY=$4 GREP_MODE=$5 GREP_ICASE=$6 GREP_PATTERN=$7',
  'export GREP_MAX GREP_BINARY GREP_MODE GREP_ICASE GREP_PATTERN',
  'shift 7',
  `st=${STATE}`,
  'echo "0 0 0 0 0" >"$st" || exit 3',
  'if [ -d "$root" ] && [ ! -L "$root" ]; then',
  "  nl='",
  "'",
  '  find "$root" -mindepth 1 "$@" -type f -path "*$nl*" -exec sh -c "$child" one {} \\; \\',
  '    -o -type f -exec sh -c "$child" batch {} + -o ! -type d -exec sh -c "$child" special {} +',
  'elif [ -f "$root" ] && [ ! -L "$root" ]; then',
  '  sh -c "$child" one "$root"',
  'elif [ -e "$root" ] || [ -L "$root" ]; then',
  '  sh -c "$child" special "$root"',
  'else',
  '  echo "grep: $root: No such file or directory" >&2',
  `  exit ${GREP_NOT_FOUND_EXIT}`,
  'fi',
  'read -r total binary special trunc done <"$st"',
  'printf \'\\0S\\0%s %s %s\\n\' "$special" "$binary" "$trunc"',
].join('\n');

/** One glob as a `find` test: a base-name glob is `-name`, a glob with `/` matches the workspace path. */
export function globTest(glob: string, workspaceRoot: string): string[] {
  const g = glob.replace(/^(\.\/)+/, '').replace(/\/+$/, '');
  if (!g.includes('/')) return ['-name', g];
  // The root is the operator's directory: escape it so only the model's glob is a pattern.
  const root = workspaceRoot === '/' ? '' : workspaceRoot.replace(/[*?[\\]/g, '\\$&');
  return ['-path', `${root}/${g}`];
}

/**
 * The model-driven part of the `find` expression, placed before the script's fixed branches:
 * `( EXCLUDE -o ... ) -prune -o` (excluded directories are never entered), then
 * `! -type d ! -name INCLUDE -o` (other files end there: they are never read, nor counted).
 */
export function findFilter(exclude: readonly string[], include: string | undefined, workspaceRoot: string): string[] {
  const out: string[] = [];
  if (exclude.length > 0) {
    out.push('(');
    exclude.forEach((g, i) => out.push(...(i === 0 ? [] : ['-o']), ...globTest(g, workspaceRoot)));
    out.push(')', '-prune', '-o');
  }
  if (include !== undefined) out.push('!', '-type', 'd', '!', '-name', include, '-o');
  return out;
}

export interface GrepFileMatches {
  /** Container path, exactly as `find` printed it. */
  name: string;
  lines: Array<{ line: number; text: string }>;
}

export interface GrepFrames {
  files: GrepFileMatches[];
  special: number;
  binary: number;
  /** The script printed fewer matches than exist. */
  truncated: boolean;
  /** The summary record arrived (false when the runner cut stdout short). */
  complete: boolean;
}

const MATCH_LINE = /^(\d+):(.*)$/s;

/** Reads the main script's NUL-framed stdout. Bytes outside a record are ignored, never read as matches. */
export function parseGrepFrames(stdout: string): GrepFrames {
  const out: GrepFrames = { files: [], special: 0, binary: 0, truncated: false, complete: false };
  const parts = stdout.split('\0');
  // parts[0] is whatever preceded the first record (nothing); then header, body, header, body...
  for (let i = 1; i < parts.length; i += 2) {
    const header = parts[i] as string;
    const body = parts[i + 1] ?? '';
    if (header.startsWith('F')) {
      const lines: GrepFileMatches['lines'] = [];
      // grep ends every line with a newline: what follows the last one is '' or a line the runner cut.
      const text = body.split('\n');
      text.pop();
      for (const l of text) {
        const m = MATCH_LINE.exec(l);
        if (m !== null) lines.push({ line: Number(m[1]), text: m[2] as string });
      }
      out.files.push({ name: header.slice(1), lines });
    } else if (header === 'S') {
      const m = /^(\d+) (\d+) (\d+)\n?$/.exec(body);
      if (m === null) continue;
      out.special = Number(m[1]);
      out.binary = Number(m[2]);
      out.truncated = m[3] === '1';
      out.complete = true;
    }
  }
  return out;
}
