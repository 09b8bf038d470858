import { intArg } from '../argv-helpers';
import { displayPath } from '../display-path';
import { fsErrorFromStderr } from '../fs-errors';
import { expectPositionals, parseLegacyArgs } from '../legacy-args';
import { READONLY_FILE_RUNTIME, workspacePathParam } from '../resource-presets';
import { containerPath, relativeToWorkspace, WORKSPACE_DIR } from '../workspace-path';
import type { CommandResult, OutputSchema, ToolSpec } from '../types';
import { parseStatListing, refusedEntries } from '../walk-output';
import type { EntryType, StatEntry } from '../walk-output';

export type ListParams = {
  /** @default '.' */
  path?: string;
  /** @default false */
  recursive?: boolean;
  /** @default 500 */
  max_entries?: number;
};

/** One entry of `structured.entries`. */
export interface ListEntry {
  /** Workspace-relative path, exactly as named on disk. */
  path: string;
  /** The base name. */
  name: string;
  type: EntryType;
  /** Bytes (a symlink: the length of its target). */
  size: number;
  /** Permission bits, 4 octal digits (`0644`). */
  mode: string;
  /** Last modification, ISO 8601 UTC to the second. */
  mtime: string;
  /** A symlink's target, exactly (never followed). */
  target?: string;
}

/** `structured` of a list call. */
export interface ListResult {
  /** Sorted by path. */
  entries: ListEntry[];
  truncated: boolean;
}

const MAX_ENTRIES = 5000;

/** The JSON Schema of `ListResult`. */
const LIST_OUTPUT: OutputSchema = {
  type: 'object',
  properties: {
    entries: {
      type: 'array',
      description: 'Sorted by path, at most `max_entries`.',
      items: {
        type: 'object',
        properties: {
          path: { type: 'string', description: 'Workspace-relative path, exactly as named on disk.' },
          name: { type: 'string', description: 'The base name.' },
          type: {
            type: 'string',
            enum: ['file', 'directory', 'symlink', 'fifo', 'socket', 'char-device', 'block-device'],
          },
          size: { type: 'integer', minimum: 0, description: 'Bytes (a symlink: the length of its target).' },
          mode: { type: 'string', pattern: '^[0-7]{4}$', description: 'Permission bits, 4 octal digits.' },
          mtime: { type: 'string', description: 'Last modification, ISO 8601 UTC to the second.' },
          target: { type: 'string', description: "A symlink's target, exactly (never followed)." },
        },
        required: ['path', 'name', 'type', 'size', 'mode', 'mtime'],
        additionalProperties: false,
      },
    },
    truncated: { type: 'boolean', description: 'More entries existed than `max_entries`, or output was cut.' },
  },
  required: ['entries', 'truncated'],
  additionalProperties: false,
};
/** lstat of each name find printed; `%N` adds `'name' -> 'target'` for a symlink. Never opens a file. */
const STAT_FORMAT = '%f %s %Y %N';

const TYPE_CHAR: Record<EntryType, string> = {
  file: '-',
  directory: 'd',
  symlink: 'l',
  fifo: 'p',
  socket: 's',
  'char-device': 'c',
  'block-device': 'b',
};

/** `drwxr-xr-x` from a type and 4 octal permission digits, with setuid/setgid/sticky as ls shows them. */
function symbolicMode(type: EntryType, mode: string): string {
  const bits = Number.parseInt(mode, 8);
  const rwx = (shift: number, special: number, on: string): string => {
    const x = (bits >> shift) & 1;
    const s = (bits & special) !== 0;
    return (
      ((bits >> (shift + 2)) & 1 ? 'r' : '-') +
      ((bits >> (shift + 1)) & 1 ? 'w' : '-') +
      (s ? (x ? on : on.toUpperCase()) : x ? 'x' : '-')
    );
  };
  return TYPE_CHAR[type] + rwx(6, 0o4000, 's') + rwx(3, 0o2000, 's') + rwx(0, 0o1000, 't');
}

const isoSeconds = (mtime: number): string => new Date(mtime * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');

function toEntry(e: StatEntry): ListEntry {
  const path = relativeToWorkspace(e.path, WORKSPACE_DIR) ?? e.path;
  const entry: ListEntry = {
    path,
    name: path === '.' ? '.' : path.slice(path.lastIndexOf('/') + 1),
    type: e.type,
    size: e.size,
    mode: e.mode,
    mtime: isoSeconds(e.mtime),
  };
  if (e.target !== undefined) entry.target = e.target;
  return entry;
}

/** `drwxr-xr-x  4096 2026-11-27T19:31Z src/`, names through displayPath so a line is always one entry. */
function renderEntries(entries: readonly ListEntry[]): string {
  const width = Math.max(0, ...entries.map((e) => String(e.size).length));
  return entries
    .map((e) => {
      const suffix = e.type === 'directory' ? '/' : e.target !== undefined ? ` -> ${displayPath(e.target)}` : '';
      const when = `${e.mtime.slice(0, 16)}Z`;
      return `${symbolicMode(e.type, e.mode)}  ${String(e.size).padStart(width)} ${when} ${displayPath(e.path)}${suffix}\n`;
    })
    .join('');
}

function listResult(result: CommandResult, params: ListParams): ListResult & { broken: boolean } {
  const start = containerPath(params.path ?? '.', WORKSPACE_DIR, 'path', 'list');
  const { entries, broken } = parseStatListing(result.stdout);
  // find prints the start path first: a directory is listed by its contents, anything else as itself.
  const startEntry = entries.find((e) => e.path === start);
  const listed =
    startEntry !== undefined && startEntry.type !== 'directory'
      ? [startEntry]
      : entries.filter((e) => e.path !== start);
  const all = listed.map(toEntry).sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const max = params.max_entries ?? 500;
  return {
    entries: all.slice(0, max),
    truncated: result.truncated || broken || all.length > max,
    broken,
  };
}

export const list: ToolSpec<ListParams> = {
  name: 'list',
  displayName: 'List directory',
  description:
    'List a workspace directory, including hidden entries: one entry per line as ' +
    '`<mode>  <size> <mtime UTC> <path>` (e.g. `drwxr-xr-x  4096 2026-11-27T19:31Z src/`; `-> target` for ' +
    'a symlink), sorted by path. Paths are workspace-relative; a name with a newline, tab, quote or ' +
    'backslash is printed C-quoted ("a\\nb"); `structured.entries` has each exact `path`, `name`, `type` ' +
    '(file, directory, symlink, fifo, socket, char-device, block-device), `size`, `mode`, `mtime` and ' +
    'symlink `target`. Symlinks are shown, never followed; FIFOs, sockets and devices are shown with their ' +
    'type (listing never opens them). A `path` that is not a directory lists that one entry. Set ' +
    '`recursive` to descend into subdirectories. At most `max_entries` entries. A missing `path` fails with ' +
    'NOT_FOUND, an unreadable one with PERMISSION_DENIED.',
  version: '2.0.0',
  parameters: {
    type: 'object',
    properties: {
      path: workspacePathParam('Directory to list, relative to the workspace root.', true),
      recursive: { type: 'boolean', default: false, description: 'List subdirectories recursively.' },
      max_entries: {
        type: 'integer',
        minimum: 1,
        maximum: MAX_ENTRIES,
        default: 500,
        description: 'Maximum number of entries.',
      },
    },
    additionalProperties: false,
  },
  ...READONLY_FILE_RUNTIME,
  programs: ['find', 'stat'],
  outputSchema: LIST_OUTPUT,
  command(params, ctx) {
    intArg(params.max_entries ?? 500, 'max_entries', 'list', 1, MAX_ENTRIES);
    // The start path begins with the workspace dir, so it is never an option; find never follows a symlink.
    const argv = ['find', containerPath(params.path ?? '.', ctx.workspaceDir, 'path', 'list')];
    if (params.recursive !== true) argv.push('-maxdepth', '1');
    argv.push('-print0', '-exec', 'stat', '-c', STAT_FORMAT, '--', '{}', '+');
    return { argv };
  },
  async run(params, ctx, exec) {
    const result = await exec(list.command(params, ctx));
    const { broken, ...listed } = listResult(result, params);
    const stdout = renderEntries(listed.entries);
    // Entries the sandbox refused to stat (gVisor: host FIFOs) cannot be shown: said in a note, not a failure.
    const refused = refusedEntries(result.stderr, containerPath(params.path ?? '.', ctx.workspaceDir, 'path', 'list'));
    const stderr =
      refused.stderr +
      (refused.refused > 0
        ? `note: skipped ${refused.refused} entr${refused.refused === 1 ? 'y' : 'ies'} the sandbox refused to examine (gVisor hides host FIFOs)\n`
        : '') +
      (broken ? 'note: the listing could not be parsed to its end; it is cut\n' : '');
    if (result.exitCode !== 0 && !refused.onlyRefused) {
      const error = fsErrorFromStderr(result.stderr, params.path ?? '.');
      return { ...result, stdout, stderr, ...(error === undefined ? {} : { error }) };
    }
    return { exitCode: 0, stdout, stderr, truncated: listed.truncated, structured: listed };
  },
  /** Parses the raw output of `command()`. */
  parseOutput(result, params): ListResult {
    const { broken: _broken, ...listed } = listResult(result, params);
    return listed;
  },
  fromArgs(args) {
    const parsed = parseLegacyArgs('list', args, { booleans: 'laR' });
    expectPositionals('list', parsed.positionals, 0, 1);
    const params: ListParams = { recursive: parsed.flags.some((f) => f.flag === '-R') };
    if (parsed.positionals[0] !== undefined) params.path = parsed.positionals[0];
    return params;
  },
};
