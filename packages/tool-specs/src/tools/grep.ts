import { intArg, stringArg } from '../argv-helpers';
import { displayPath } from '../display-path';
import { ToolSpecError } from '../errors';
import { fsErrorFromStderr } from '../fs-errors';
import { expectPositionals, legacyInt, parseLegacyArgs } from '../legacy-args';
import { SEARCH_RUNTIME, workspacePathParam } from '../resource-presets';
import { containerPath, normalizeWorkspacePath, relativeToWorkspace, WORKSPACE_DIR } from '../workspace-path';
import type { CommandResult, OutputSchema, ToolSpec, ToolRunOutcome } from '../types';
import {
  BINARY_PROBE_BYTES,
  findFilter,
  GREP_CHILD_SCRIPT,
  GREP_MAIN_SCRIPT,
  GREP_NOT_FOUND_EXIT,
  parseGrepFrames,
} from './grep-walk';
import { refusedEntries } from '../walk-output';

export type GrepParams = {
  pattern: string;
  /** @default false (fixed string) */
  regex?: boolean;
  /** @default '.' */
  path?: string;
  include?: string;
  /** @default ['.git'] */
  exclude?: string[];
  /** @default false */
  case_insensitive?: boolean;
  /** @default false */
  include_binary?: boolean;
  /** @default 100 */
  max_results?: number;
};

export interface GrepMatch {
  /** Workspace-relative file path, exactly as on disk. */
  path: string;
  line: number;
  text: string;
}

/** `structured` of a grep call. */
export interface GrepResult {
  matches: GrepMatch[];
  /** More matching lines existed than `max_results` (or the output was cut). */
  truncated: boolean;
  /** Files not searched: special files (FIFOs, sockets, devices, symlinks) and binary files that matched. */
  skipped: { special: number; binary: number };
}

const MAX_RESULTS = 1000;

const COUNT: OutputSchema = { type: 'integer', minimum: 0 };

/** The JSON Schema of `GrepResult`. */
const GREP_OUTPUT: OutputSchema = {
  type: 'object',
  properties: {
    matches: {
      type: 'array',
      description: 'Matching lines in walk order, at most `max_results`.',
      items: {
        type: 'object',
        properties: {
          path: { type: 'string', description: 'Workspace-relative file path, exactly as on disk.' },
          line: { type: 'integer', minimum: 1, description: '1-based line number.' },
          text: { type: 'string', description: 'The line, without its newline.' },
        },
        required: ['path', 'line', 'text'],
        additionalProperties: false,
      },
    },
    truncated: { type: 'boolean', description: 'More matching lines existed than `max_results`, or output was cut.' },
    skipped: {
      type: 'object',
      description: 'Files not searched: special files, and binary files that matched.',
      properties: { special: COUNT, binary: COUNT },
      required: ['special', 'binary'],
      additionalProperties: false,
    },
  },
  required: ['matches', 'truncated', 'skipped'],
  additionalProperties: false,
};
const MAX_EXCLUDES = 32;
const DEFAULT_EXCLUDE = ['.git'];

/** The `structured` result and the model's stdout from the script's framed output. */
function readResult(result: CommandResult, max: number, workspaceDir: string): { result: GrepResult; stdout: string } {
  const frames = parseGrepFrames(result.stdout);
  const matches: GrepMatch[] = [];
  let capped = false;
  for (const file of frames.files) {
    const path = relativeToWorkspace(file.name, workspaceDir) ?? file.name;
    for (const { line, text } of file.lines) {
      if (matches.length === max) capped = true;
      else matches.push({ path, line, text });
    }
  }
  const stdout = matches.map((m) => `${displayPath(m.path)}:${m.line}:${m.text}\n`).join('');
  return {
    result: {
      matches,
      truncated: frames.truncated || capped || result.truncated || !frames.complete,
      skipped: { special: frames.special, binary: frames.binary },
    },
    stdout,
  };
}

/** The one stderr note about skipped files, or ''. */
function skippedNote({ special, binary }: GrepResult['skipped']): string {
  const parts: string[] = [];
  if (special > 0) parts.push(`${special} special file${special === 1 ? '' : 's'} (FIFOs, sockets, devices, symlinks)`);
  if (binary > 0) parts.push(`${binary} binary file${binary === 1 ? '' : 's'} (use include_binary to search them)`);
  return parts.length === 0 ? '' : `note: skipped ${parts.join(' and ')}\n`;
}

export const grep: ToolSpec<GrepParams> = {
  name: 'grep',
  displayName: 'Search file contents',
  description:
    'Search workspace files for lines containing a string (or an extended regular expression when `regex` is true). ' +
    'Searches the regular files under `path` (or `path` itself if it is a file). Only regular files are read: ' +
    'FIFOs, sockets, devices and symlinks are skipped and never followed (a symlink to a regular file is skipped ' +
    'too), and binary files (a NUL byte in the first 8 KiB) are skipped unless `include_binary` is true. ' +
    '`include` limits the search to files whose base name matches a glob such as `*.ts`; `exclude` skips files and ' +
    'whole directories (default `.git`). Returns `path:line:text` lines, at most `max_results`, with paths relative ' +
    'to the workspace root; a path with a control character, `"` or `\\` is printed C-quoted ("a\\nb.txt"). ' +
    'Skipped files are counted in one `note:` line on stderr. Fails with NOT_FOUND when `path` does not exist.',
  version: '2.0.0',
  parameters: {
    type: 'object',
    properties: {
      pattern: {
        type: 'string',
        minLength: 1,
        maxLength: 4096,
        'x-argv': true,
        description:
          'Text to search for (a POSIX extended regular expression if regex is true). One line: no newlines.',
      },
      regex: {
        type: 'boolean',
        default: false,
        description: 'Treat pattern as an extended regular expression instead of a fixed string.',
      },
      path: workspacePathParam('File or directory to search, relative to the workspace root.', true),
      include: {
        type: 'string',
        minLength: 1,
        maxLength: 256,
        pattern: '^[^/]*$',
        'x-argv': true,
        description:
          "Only search files whose base name matches this glob, e.g. '*.go'. No '/'. Other files are never read.",
      },
      exclude: {
        type: 'array',
        maxItems: MAX_EXCLUDES,
        items: { type: 'string', minLength: 1, maxLength: 256, 'x-argv': true },
        default: DEFAULT_EXCLUDE,
        description:
          'Globs of files and directories to skip (an excluded directory is never entered). A glob without `/` ' +
          'matches base names (`node_modules`, `*.min.js`); a glob with `/` matches the path from the workspace ' +
          'root, where `*` also matches `/` (`vendor/*`). At most 32 globs. Pass [] to search everything.',
      },
      case_insensitive: { type: 'boolean', default: false, description: 'Ignore case.' },
      include_binary: {
        type: 'boolean',
        default: false,
        description: `Also search binary files (a NUL byte in the first ${BINARY_PROBE_BYTES / 1024} KiB); NUL bytes in their lines are printed as '?'.`,
      },
      max_results: {
        type: 'integer',
        minimum: 1,
        maximum: MAX_RESULTS,
        default: 100,
        description: 'Maximum number of matching lines returned.',
      },
    },
    required: ['pattern'],
    additionalProperties: false,
  },
  ...SEARCH_RUNTIME,
  programs: ['sh', 'find', 'grep', 'head', 'tr'],
  outputSchema: GREP_OUTPUT,
  validateParams(params) {
    // grep splits a pattern at newlines into several patterns: refuse rather than change its meaning.
    const issues = params.pattern.includes('\n')
      ? [{ path: '/pattern', message: 'must be a single line (no newlines)' }]
      : [];
    (params.exclude ?? []).forEach((g, i) => {
      if (g.replace(/^(\.\/)+/, '').replace(/\/+$/, '') === '')
        issues.push({ path: `/exclude/${i}`, message: 'must name something (not only / or ./)' });
      else if (g.startsWith('/')) issues.push({ path: `/exclude/${i}`, message: 'must be relative to the workspace' });
    });
    return issues;
  },
  command(params, ctx) {
    const max = intArg(params.max_results ?? 100, 'max_results', 'grep', 1, MAX_RESULTS);
    const pattern = stringArg(params.pattern, 'pattern', 'grep');
    const exclude = params.exclude ?? DEFAULT_EXCLUDE;
    if (!Array.isArray(exclude) || exclude.length > MAX_EXCLUDES)
      throw new ToolSpecError('INVALID_PARAMS', `exclude must be an array of at most ${MAX_EXCLUDES} globs`, {
        tool: 'grep',
      });
    const excludes = exclude.map((g, i) => stringArg(g, `exclude[${i}]`, 'grep'));
    const include = params.include === undefined ? undefined : stringArg(params.include, 'include', 'grep');
    const root = containerPath(params.path ?? '.', ctx.workspaceDir, 'path', 'grep');
    const workspaceRoot = containerPath('.', ctx.workspaceDir, 'path', 'grep');
    return {
      argv: [
        'sh',
        '-c',
        GREP_MAIN_SCRIPT,
        'grep',
        GREP_CHILD_SCRIPT,
        root,
        max,
        params.include_binary === true ? '1' : '0',
        params.regex === true ? '-E' : '-F',
        params.case_insensitive === true ? '1' : '',
        pattern,
        ...findFilter(excludes, include, workspaceRoot),
      ],
    };
  },
  async run(params, ctx, exec): Promise<ToolRunOutcome> {
    const raw = await exec(grep.command(params, ctx));
    if (raw.exitCode === GREP_NOT_FOUND_EXIT) {
      const path = normalizeWorkspacePath(params.path ?? '.', 'path', 'grep');
      const error = fsErrorFromStderr(raw.stderr, path) ?? { code: 'NOT_FOUND', message: `${path} does not exist` };
      return { ...raw, stdout: '', stderr: `grep: ${displayPath(path)}: No such file or directory\n`, error };
    }
    if (raw.exitCode !== 0) return { ...raw };
    const { result, stdout } = readResult(raw, params.max_results ?? 100, ctx.workspaceDir);
    // Entries the sandbox refused to stat (gVisor: host FIFOs) are skipped specials, as under runc.
    const refused = refusedEntries(raw.stderr, containerPath(params.path ?? '.', ctx.workspaceDir, 'path', 'grep'));
    result.skipped.special += refused.refused;
    return {
      exitCode: 0,
      stdout,
      stderr: refused.stderr + skippedNote(result.skipped),
      truncated: result.truncated,
      structured: result,
    };
  },
  parseOutput(result: CommandResult & { structured?: unknown }, params): GrepResult {
    // From run(): already parsed. From the bare command: the script's framed output.
    if (result.structured !== undefined) return result.structured as GrepResult;
    return readResult(result, params.max_results ?? 100, WORKSPACE_DIR).result;
  },
  fromArgs(args) {
    const parsed = parseLegacyArgs('grep', args, { booleans: 'rRnHiFE', withValue: ['-m', '-e', '--include'] });
    // Legacy grep without -F/-E used basic regular expressions; extended is the closest we offer.
    const params: GrepParams = { pattern: '', regex: true };
    let pattern: string | undefined;
    for (const { flag, value } of parsed.flags) {
      if (flag === '-i') params.case_insensitive = true;
      else if (flag === '-F') params.regex = false;
      else if (flag === '-E') params.regex = true;
      else if (flag === '-m') params.max_results = legacyInt('grep', flag, value);
      else if (flag === '-e') pattern = value;
      else if (flag === '--include') params.include = value;
    }
    const rest = [...parsed.positionals];
    if (pattern === undefined) pattern = rest.shift();
    expectPositionals('grep', pattern === undefined ? [] : [pattern], 1, 1);
    expectPositionals('grep', rest, 0, 1);
    params.pattern = pattern as string;
    if (rest[0] !== undefined) params.path = rest[0];
    return params;
  },
};
