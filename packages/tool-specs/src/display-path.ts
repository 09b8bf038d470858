/**
 * The one path convention of tool output. Paths in `stdout` and in `structured` are workspace-relative
 * (`src/a.ts`, `.` for the root), never `/workspace/...`. `structured` carries each name exactly as it
 * is on disk. `stdout` is line-oriented, so a name that could break a line or fake a field (a control
 * character such as a newline, a backslash, or a double quote) is printed C-quoted: `"a\nb.txt"`, as
 * GNU ls does with `--quoting-style=c`. Every other name is printed as is.
 */

// Control characters are exactly what these patterns are for.
// eslint-disable-next-line no-control-regex
const NEEDS_QUOTING = /[\u0000-\u001f\u007f"\\]/;
// eslint-disable-next-line no-control-regex
const QUOTED_CHARS = /[\u0000-\u001f\u007f"\\]/g;

const ESCAPES: Record<string, string> = { '\n': '\\n', '\t': '\\t', '\r': '\\r', '"': '\\"', '\\': '\\\\' };

/** `name` as one safe token of a line of stdout. */
export function displayPath(name: string): string {
  if (!NEEDS_QUOTING.test(name)) return name;
  const body = name.replace(QUOTED_CHARS, (c) => ESCAPES[c] ?? `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  return `"${body}"`;
}
