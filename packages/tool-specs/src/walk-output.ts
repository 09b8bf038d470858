/**
 * Parsers for the NUL-separated output of `find` and `list`, where a file name (which may hold a
 * newline or anything else but NUL and `/`-free bytes) can never fake an entry.
 *
 * - find: `-print0` for each listed entry, and an empty record (`\0` alone, from `-exec printf '\0'`)
 *   for each skipped special file. Names are absolute container paths, so they are never empty.
 * - list: the same `-print0` name list interleaved with `stat -c '%f %s %Y %N'` records for those
 *   names (find flushes its output before each `-exec ... +` batch). A name starts with `/`, a record
 *   with a hex digit, so each token says what it is. A record is accepted only when it names, exactly,
 *   a name printed before it; a symlink's target is exactly `size` bytes. Nothing in a name is ever
 *   parsed as a field.
 */

/** The entry types `list` reports. */
export type EntryType = 'file' | 'directory' | 'symlink' | 'fifo' | 'socket' | 'char-device' | 'block-device';

/** One entry as `stat` saw it (lstat: a symlink is reported, not followed). */
export interface StatEntry {
  /** Container path exactly as find printed it. */
  path: string;
  type: EntryType;
  /** Bytes (a symlink: the length of its target). */
  size: number;
  /** Permission bits, 4 octal digits (`0644`). */
  mode: string;
  /** Seconds since the epoch. */
  mtime: number;
  /** A symlink's target, exactly. */
  target?: string;
}

const TYPES: ReadonlyMap<number, EntryType> = new Map([
  [0o100000, 'file'],
  [0o040000, 'directory'],
  [0o120000, 'symlink'],
  [0o010000, 'fifo'],
  [0o140000, 'socket'],
  [0o020000, 'char-device'],
  [0o060000, 'block-device'],
]);

/** True for what find and list never open: FIFOs, sockets and devices. */
export function isSpecialType(type: EntryType): boolean {
  return type !== 'file' && type !== 'directory' && type !== 'symlink';
}

/** Splits find's `-print0` output; empty records count skipped special files. A cut tail (no NUL) is dropped. */
export function parseFindOutput(stdout: string): { paths: string[]; special: number; cut: boolean } {
  const records = stdout.split('\0');
  const tail = records.pop() as string;
  const paths: string[] = [];
  let special = 0;
  for (const r of records) {
    if (r === '') special++;
    else paths.push(r);
  }
  return { paths, special, cut: tail !== '' };
}

const FIELDS = /([0-9a-f]+) (\d+) (\d+) /y;

/** The prefix of `s` from `start` that is exactly `bytes` UTF-8 bytes long, or undefined. */
function takeBytes(s: string, start: number, bytes: number): string | undefined {
  let end = start;
  let n = 0;
  while (n < bytes && end < s.length) {
    const cp = s.codePointAt(end) as number;
    n += cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    end += cp >= 0x10000 ? 2 : 1;
  }
  return n === bytes ? s.slice(start, end) : undefined;
}

/**
 * Parses find's names interleaved with stat records. Returns the entries in find's order; `broken`
 * when a record matched no pending name (output cut or garbled): parsing stops there.
 */
export function parseStatListing(stdout: string): { entries: StatEntry[]; broken: boolean } {
  const pending: string[] = [];
  const entries: StatEntry[] = [];
  let i = 0;
  while (i < stdout.length) {
    if (stdout[i] === '/') {
      const end = stdout.indexOf('\0', i);
      if (end < 0) return { entries, broken: true };
      pending.push(stdout.slice(i, end));
      i = end + 1;
      continue;
    }
    FIELDS.lastIndex = i;
    const m = FIELDS.exec(stdout);
    if (m === null) return { entries, broken: true };
    const raw = Number.parseInt(m[1] as string, 16);
    const type = TYPES.get(raw & 0o170000);
    const size = Number(m[2]);
    const mtime = Number(m[3]);
    const at = FIELDS.lastIndex;
    // A name printed earlier whose record is missing vanished between find and stat: skip it.
    let matched = -1;
    let next = at;
    let target: string | undefined;
    for (let k = 0; k < pending.length && matched < 0; k++) {
      const name = pending[k] as string;
      if (type === 'symlink') {
        const head = `'${name}' -> '`;
        if (!stdout.startsWith(head, at)) continue;
        const t = takeBytes(stdout, at + head.length, size);
        if (t === undefined || !stdout.startsWith("'\n", at + head.length + t.length)) continue;
        target = t;
        next = at + head.length + t.length + 2;
      } else {
        if (!stdout.startsWith(`${name}\n`, at)) continue;
        next = at + name.length + 1;
      }
      matched = k;
    }
    if (type === undefined || matched < 0) return { entries, broken: true };
    const path = pending[matched] as string;
    pending.splice(0, matched + 1);
    const entry: StatEntry = { path, type, size, mode: (raw & 0o7777).toString(8).padStart(4, '0'), mtime };
    if (target !== undefined) entry.target = target;
    entries.push(entry);
    i = next;
  }
  return { entries, broken: false };
}

const REFUSED_LINE = /^find: (\/.*): Operation not permitted$/;

/**
 * Entries the sandbox refused to examine. Under gVisor, a host FIFO cannot even be lstat'ed (EPERM), so
 * busybox find prints `find: <path>: Operation not permitted` for it and exits 1, where under runc it would
 * have been typed and skipped as special. Each such line for an entry strictly below `start` is taken out of
 * `stderr` and counted; one for `start` itself, and every other line, stays. `onlyRefused` is true when
 * nothing else in `stderr` came from find, i.e. the walk itself succeeded.
 */
export function refusedEntries(
  stderr: string,
  start: string,
): { stderr: string; refused: number; onlyRefused: boolean } {
  const below = start.endsWith('/') ? start : `${start}/`;
  let refused = 0;
  const kept = stderr.split('\n').filter((line) => {
    const m = REFUSED_LINE.exec(line);
    if (m === null || !(m[1] as string).startsWith(below)) return true;
    refused++;
    return false;
  });
  const rest = kept.join('\n');
  return { stderr: rest, refused, onlyRefused: refused > 0 && !/^find: /m.test(rest) };
}

/** The one stderr line saying how many special files were skipped, or '' for none. */
export function skippedNote(special: number): string {
  if (special === 0) return '';
  return `note: skipped ${special} special file${special === 1 ? '' : 's'} (FIFOs, sockets, devices)\n`;
}
