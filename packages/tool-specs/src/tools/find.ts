import { intArg, stringArg } from '../argv-helpers';
import { displayPath } from '../display-path';
import { legacyInt } from '../legacy-args';
import { ToolSpecError } from '../errors';
import { fsErrorFromStderr } from '../fs-errors';
import { SEARCH_RUNTIME, workspacePathParam } from '../resource-presets';
import { containerPath, relativeToWorkspace, WORKSPACE_DIR } from '../workspace-path';
import type { CommandResult, OutputSchema, ToolSpec } from '../types';
import { parseFindOutput, refusedEntries, skippedNote } from '../walk-output';

export type FindParams = {
  /** @default '.' */
  path?: string;
  name?: string;
  type?: 'file' | 'directory' | 'symlink';
  max_depth?: number;
  /** @default 200 */
  max_results?: number;
};

const TYPE_FLAG = { file: 'f', directory: 'd', symlink: 'l' } as const;
const LEGACY_TYPE: Record<string, FindParams['type']> = { f: 'file', d: 'directory', l: 'symlink' };
const MAX_RESULTS = 5000;
const MAX_DEPTH = 64;

/** `structured` of a find call. */
export interface FindResult {
  /** Workspace-relative paths (`.` for the root), exactly as named on disk, in walk order. */
  paths: string[];
  truncated: boolean;
  /** FIFOs, sockets and devices that matched `name`/`max_depth` and were not listed. */
  skipped: { special: number };
}

/** The JSON Schema of `FindResult`. */
const FIND_OUTPUT: OutputSchema = {
  type: 'object',
  properties: {
    paths: {
      type: 'array',
      description: 'Workspace-relative paths (`.` for the root), exactly as named on disk, in walk order.',
      items: { type: 'string' },
    },
    truncated: { type: 'boolean', description: 'More paths existed than `max_results`, or output was cut.' },
    skipped: {
      type: 'object',
      description: 'FIFOs, sockets and devices that matched and were not listed.',
      properties: { special: { type: 'integer', minimum: 0 } },
      required: ['special'],
      additionalProperties: false,
    },
  },
  required: ['paths', 'truncated', 'skipped'],
  additionalProperties: false,
};

/** Entries find lists: files, directories, symlinks (never followed). Anything else is a special file. */
const LISTABLE = ['(', '-type', 'f', '-o', '-type', 'd', '-o', '-type', 'l', ')'];
/** Each special file prints an empty record: a name is never empty, so it cannot be forged. */
const COUNT_SPECIAL = ['!', ...LISTABLE, '-exec', 'printf', '\\0', ';'];

function findResult(result: CommandResult, params: FindParams): FindResult {
  const { paths, special, cut } = parseFindOutput(result.stdout);
  const max = params.max_results ?? 200;
  return {
    paths: paths.slice(0, max).map((p) => relativeToWorkspace(p, WORKSPACE_DIR) ?? p),
    truncated: result.truncated || cut || paths.length > max,
    skipped: { special },
  };
}

export const find: ToolSpec<FindParams> = {
  name: 'find',
  displayName: 'Find files',
  description:
    'Find files and directories in the workspace by name. `name` is a glob matched against the base name ' +
    "(e.g. '*.test.ts'); `type` limits to files, directories or symlinks; `max_depth` limits recursion " +
    '(0 = only `path` itself). Symlinks are listed, never followed. FIFOs, sockets and devices are not ' +
    'listed: they are counted in `skipped.special` with a note on stderr. Returns one workspace-relative ' +
    'path per line (`.` is the workspace root; a name with a newline, tab, quote or backslash is printed ' +
    'C-quoted, e.g. "a\\nb"), at most `max_results`; `structured.paths` has the exact names. A missing ' +
    '`path` fails with NOT_FOUND, an unreadable directory with PERMISSION_DENIED.',
  version: '2.0.0',
  parameters: {
    type: 'object',
    properties: {
      path: workspacePathParam('Directory to search from, relative to the workspace root.', true),
      name: {
        type: 'string',
        minLength: 1,
        maxLength: 256,
        pattern: '^[^/]*$',
        'x-argv': true,
        description: "Glob for the base name, e.g. '*.md'. No '/'.",
      },
      type: { type: 'string', enum: ['file', 'directory', 'symlink'], description: 'Only entries of this type.' },
      max_depth: {
        type: 'integer',
        minimum: 0,
        maximum: MAX_DEPTH,
        description: 'Maximum directory depth below path.',
      },
      max_results: {
        type: 'integer',
        minimum: 1,
        maximum: MAX_RESULTS,
        default: 200,
        description: 'Maximum number of paths returned.',
      },
    },
    additionalProperties: false,
  },
  ...SEARCH_RUNTIME,
  programs: ['find', 'printf'],
  outputSchema: FIND_OUTPUT,
  command(params, ctx) {
    // The start path comes first and always begins with the workspace dir, so it cannot be an option or a
    // primary; every other element is one of our fixed primaries followed by its operand. No -delete, and
    // the one -exec runs printf with a constant format and no file name.
    const argv = ['find', containerPath(params.path ?? '.', ctx.workspaceDir, 'path', 'find')];
    if (params.max_depth !== undefined)
      argv.push('-maxdepth', intArg(params.max_depth, 'max_depth', 'find', 0, MAX_DEPTH));
    if (params.name !== undefined) argv.push('-name', stringArg(params.name, 'name', 'find'));
    let wanted = LISTABLE;
    if (params.type !== undefined) {
      const flag = TYPE_FLAG[params.type];
      if (flag === undefined)
        throw new ToolSpecError('INVALID_PARAMS', 'type must be file, directory or symlink', { tool: 'find' });
      wanted = ['-type', flag];
    }
    argv.push('(', ...wanted, '-print0', '-o', ...COUNT_SPECIAL, ')');
    return { argv };
  },
  async run(params, ctx, exec) {
    const result = await exec(find.command(params, ctx));
    const found = findResult(result, params);
    const stdout = found.paths.map((p) => `${displayPath(p)}\n`).join('');
    // Entries the sandbox refused to stat (gVisor: host FIFOs) are skipped specials, not a failure.
    const refused = refusedEntries(result.stderr, containerPath(params.path ?? '.', ctx.workspaceDir, 'path', 'find'));
    found.skipped.special += refused.refused;
    const stderr = refused.stderr + skippedNote(found.skipped.special);
    if (result.exitCode !== 0 && !refused.onlyRefused) {
      const error = fsErrorFromStderr(result.stderr, params.path ?? '.');
      return { ...result, stdout, stderr, ...(error === undefined ? {} : { error }) };
    }
    return { exitCode: 0, stdout, stderr, truncated: found.truncated, structured: found };
  },
  /** Parses the raw NUL-separated output of `command()`. */
  parseOutput: (result, params) => findResult(result, params),
  fromArgs(args) {
    // find's syntax is `find [path] primaries...`; only these primaries are accepted.
    const params: FindParams = {};
    let i = 0;
    if (args[0] !== undefined && !args[0].startsWith('-')) params.path = args[i++];
    const bad = (msg: string): never => {
      throw new ToolSpecError('UNSUPPORTED_ARG', `find: ${msg}`, { tool: 'find' });
    };
    while (i < args.length) {
      const primary = args[i++] as string;
      const value = args[i++];
      if (value === undefined) bad(`legacy primary '${primary}' needs a value`);
      if (primary === '-name') params.name = value;
      else if (primary === '-maxdepth') params.max_depth = legacyInt('find', primary, value);
      else if (primary === '-type')
        params.type = LEGACY_TYPE[value as string] ?? bad(`legacy -type '${value}' is not supported`);
      else bad(`legacy primary '${primary}' is not supported`);
    }
    return params;
  },
};
