/**
 * Terminal-width text helpers for help output: word wrapping with a hanging
 * indent, and the width to wrap at.
 */

/** The default when stdout is not a terminal (a pipe, a file, a test). */
export const DEFAULT_WIDTH = 80;

/** `stream.columns` on a terminal, else 80; never narrower than 40 so a label column still fits. */
export function terminalWidth(stream: { isTTY?: boolean; columns?: number } | undefined): number {
  const columns = stream?.isTTY === true ? stream.columns : undefined;
  return typeof columns === 'number' && columns > 0 ? Math.max(40, columns) : DEFAULT_WIDTH;
}

/**
 * Wraps `text` (one paragraph, no newlines) into lines of at most `width` columns; lines after
 * the first start with `indent` spaces. A word longer than a line stays whole rather than being cut.
 */
export function wrapLine(text: string, width: number, indent = 0): string[] {
  const words = text.split(/\s+/).filter((w) => w !== '');
  const lines: string[] = [];
  let line = '';
  for (const word of words) {
    const prefix = lines.length === 0 ? '' : ' '.repeat(indent);
    if (line === '') line = prefix + word;
    else if (line.length + 1 + word.length <= width) line += ` ${word}`;
    else {
      lines.push(line);
      line = ' '.repeat(indent) + word;
    }
  }
  if (line !== '' || lines.length === 0) lines.push(line);
  return lines;
}

/**
 * Wraps a block of help text: a line that continues a sentence (the previous line is
 * unindented and does not end a sentence) is joined to it first, then every line is
 * wrapped, keeping its own leading indent as its hanging indent.
 */
export function wrapBlock(text: string, width: number): string {
  const joined: string[] = [];
  for (const line of text.split('\n')) {
    const prev = joined.at(-1);
    if (
      prev !== undefined &&
      prev !== '' &&
      line !== '' &&
      !/^\s/.test(prev) &&
      !/^\s/.test(line) &&
      !/[.:!?]$/.test(prev)
    )
      joined[joined.length - 1] = `${prev} ${line}`;
    else joined.push(line);
  }
  return joined
    .map((raw) => {
      if (raw.length <= width) return raw;
      const lead = /^\s*/.exec(raw)?.[0].length ?? 0;
      // A list line (`  run <tool>   description`) keeps its label and hangs under its description column.
      const column = /^(\s*\S+(?: \S+)*?\s{2,})\S/.exec(raw)?.[1]?.length;
      if (column !== undefined && column < width / 2) {
        const [first = '', ...rest] = wrapLine(raw.slice(column), width - column);
        return [raw.slice(0, column) + first, ...rest.map((l) => ' '.repeat(column) + l)].join('\n');
      }
      const [first = '', ...rest] = wrapLine(raw.slice(lead), width - lead);
      return [' '.repeat(lead) + first, ...rest.map((l) => ' '.repeat(lead) + l)].join('\n');
    })
    .join('\n');
}
