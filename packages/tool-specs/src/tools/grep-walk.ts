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
 * Output of the main script, as `\0HEADER\0OPERAND` records:
 * - `\0G<count>\0<container path>` per matched file of a batch, then `\0L\0` and one `grep -n -H`
 *   output for them (`<path>:N:text\n`, exactly `count` lines per file, in the announced order);
 * - `\0F<container path>\0` then `grep -n` lines (`N:text\n`) of one file (a name with a newline);
 * - `\0S\0<special> <binary> <truncated>\n` once, last: skipped special files, skipped binary files,
 *   1 when more matches existed than were printed.
 * Names cannot contain NUL, and NUL bytes in printed lines become `?`, so a record boundary is always ours.
 */

/** Exit status of the main script when `path` does not exist. */
export const GREP_NOT_FOUND_EXIT = 2;

/** Files whose first 8 KiB hold a NUL byte are binary. */
export const BINARY_PROBE_BYTES = 8192;

const STATE = '/tmp/baaaht-grep.state';

/**
 * Runs for each batch of regular files (`$0` = `batch`), for one file whose path holds a newline or is
 * the root (`one`), or for special files to count (`special`). `find` runs them one at a time and waits
 * for each, so their records never interleave and the state file (`total binary special truncated
 * done`) needs no lock.
 *
 * A batch costs a fixed handful of processes, however many files it holds: `grep -c` finds the files
 * that match (its `name:count` lines are exact: no name in a batch holds a newline); one `head | tr |
 * grep -q` asks whether any of them has a NUL in its first 8 KiB, and only then is each probed alone;
 * one `grep -n -H` prints their lines, announced by a `G` record per file with the number of lines it
 * prints, so the parser strips each known name instead of guessing where a name ends. Files are taken
 * in groups just big enough to fill `max_results`, so a search that is full stops reading.
 */
export const GREP_CHILD_SCRIPT = [
  `st=${STATE}`,
  'read -r total binary special trunc done <"$st" || exit 0',
  'save() { echo "$total $binary $special $trunc $done" >"$st"; }',
  'if [ "$0" = special ]; then special=$((special + $#)); save; exit 0; fi',
  '[ "$done" = 1 ] && exit 0',
  'mode=$0 max=$GREP_MAX',
  'search() { grep "$GREP_MODE" ${GREP_ICASE:+-i} -e "$GREP_PATTERN" "$@"; }',
  `probe() { head -c ${BINARY_PROBE_BYTES} -- "$@" 2>/dev/null | tr -dc '\\0' | grep -q ''; }`,
  // flush FILE...: $counts holds their counts. Announces, then prints, the files that fit in max_results.
  'flush() {',
  '  some=0',
  '  if [ "$GREP_BINARY" != 1 ] && probe "$@"; then some=1; fi',
  '  cs=$counts',
  '  for f; do',
  '    shift; c=${cs%% *}; cs=${cs#* }',
  '    [ "$done" = 1 ] && continue',
  '    if [ "$some" = 1 ] && probe "$f"; then binary=$((binary + 1)); continue; fi',
  '    rem=$((max - total))',
  '    if [ "$rem" -le 0 ]; then trunc=1; done=1; continue; fi',
  '    if [ "$c" -gt "$rem" ]; then trunc=1; done=1; total=$max; else total=$((total + c)); fi',
  `    if [ "$mode" = one ]; then printf '\\0F%s\\0' "$f"; else printf '\\0G%s\\0%s' "$c" "$f"; fi`,
  '    set -- "$@" "$f"',
  '  done',
  '  [ $# = 0 ] && return 0',
  `  [ "$mode" = one ] || printf '\\0L\\0'`,
  // NUL bytes of a printed line (an included binary, or a NUL after the first 8 KiB) never reach the framing.
  `  if [ "$mode" = one ]; then search -n -m $((max + 1)) -- "$1"; else search -n -H -m $((max + 1)) -- "$@"; fi | tr '\\0' '?'`,
  '}',
  'if [ "$mode" = one ]; then',
  '  counts="$(search -c -m $((max + 1)) -- "$1") "',
  '  case $counts in [1-9]*) flush "$1" ;; esac',
  '  save; exit 0',
  'fi',
  'search -c -H -m $((max + 1)) -- "$@" | grep -v \':0$\' | {',
  '  set --; counts=; sum=0',
  '  while IFS= read -r line; do',
  '    c=${line##*:}',
  "    case $c in '' | *[!0-9]*) continue ;; esac",
  '    set -- "$@" "${line%:*}"; counts="$counts$c "; sum=$((sum + c))',
  '    if [ "$sum" -gt $((max - total)) ]; then',
  '      flush "$@"; set --; counts=; sum=0',
  '      [ "$done" = 1 ] && break',
  '    fi',
  '  done',
  '  [ $# -gt 0 ] && flush "$@"',
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

/** The complete lines of a body: grep ends each with a newline, so what follows the last one was cut. */
function bodyLines(body: string): string[] {
  const lines = body.split('\n');
  lines.pop();
  return lines;
}

function matchLine(text: string): { line: number; text: string } | undefined {
  const m = MATCH_LINE.exec(text);
  return m === null ? undefined : { line: Number(m[1]), text: m[2] as string };
}

/**
 * Reads the main script's NUL-framed stdout. Names come only from headers, never from a body, so no
 * byte of a file's content or name can add a match. Bytes outside a record are ignored.
 */
export function parseGrepFrames(stdout: string): GrepFrames {
  const out: GrepFrames = { files: [], special: 0, binary: 0, truncated: false, complete: false };
  const parts = stdout.split('\0');
  let announced: Array<{ file: GrepFileMatches; count: number }> = [];
  // parts[0] is whatever preceded the first record (nothing); then a header and its operand, and so on.
  for (let i = 1; i < parts.length; i += 2) {
    const header = parts[i] as string;
    const operand = parts[i + 1] ?? '';
    if (header.startsWith('F')) {
      const lines = bodyLines(operand).flatMap((l) => matchLine(l) ?? []);
      out.files.push({ name: header.slice(1), lines });
    } else if (/^G\d+$/.test(header)) {
      const file = { name: operand, lines: [] };
      out.files.push(file);
      announced.push({ file, count: Number(header.slice(1)) });
    } else if (header === 'L') {
      // `grep -n -H` over the announced files, in order: exactly `count` lines each, `name:N:text`.
      const lines = bodyLines(operand);
      let at = 0;
      for (const { file, count } of announced) {
        for (const l of lines.slice(at, at + count)) {
          const m = l.startsWith(`${file.name}:`) ? matchLine(l.slice(file.name.length + 1)) : undefined;
          if (m !== undefined) file.lines.push(m);
        }
        at += count;
      }
      announced = [];
    } else if (header === 'S') {
      const m = /^(\d+) (\d+) (\d+)\n?$/.exec(operand);
      if (m === null) continue;
      out.special = Number(m[1]);
      out.binary = Number(m[2]);
      out.truncated = m[3] === '1';
      out.complete = true;
    }
  }
  return out;
}
