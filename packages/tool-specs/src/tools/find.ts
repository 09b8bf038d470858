import { capLines, intArg, outputLines, runAndKeepLines, stringArg } from '../argv-helpers';
import { legacyInt } from '../legacy-args';
import { ToolSpecError } from '../errors';
import { SEARCH_RUNTIME, workspacePathParam } from '../resource-presets';
import { containerPath, relativeToWorkspace, WORKSPACE_DIR } from '../workspace-path';
import type { ToolSpec } from '../types';

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

export const find: ToolSpec<FindParams> = {
  name: 'find',
  displayName: 'Find files',
  description:
    'Find files and directories in the workspace by name. `name` is a glob matched against the base name ' +
    "(e.g. '*.test.ts'); `type` limits to files, directories or symlinks; `max_depth` limits recursion " +
    '(0 = only `path` itself). Returns one workspace path per line, at most `max_results`.',
  version: '1.0.0',
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
  command(params, ctx) {
    // The start path comes first and always begins with the workspace dir, so it cannot be an option or a
    // primary; every other element is one of our fixed primaries followed by its operand. No -exec, no -delete.
    const argv = ['find', containerPath(params.path ?? '.', ctx.workspaceDir, 'path', 'find')];
    if (params.max_depth !== undefined)
      argv.push('-maxdepth', intArg(params.max_depth, 'max_depth', 'find', 0, MAX_DEPTH));
    if (params.type !== undefined) {
      const flag = TYPE_FLAG[params.type];
      if (flag === undefined)
        throw new ToolSpecError('INVALID_PARAMS', 'type must be file, directory or symlink', { tool: 'find' });
      argv.push('-type', flag);
    }
    if (params.name !== undefined) argv.push('-name', stringArg(params.name, 'name', 'find'));
    return { argv };
  },
  run(params, ctx, exec) {
    return runAndKeepLines(find.command(params, ctx), exec, (lines) => capLines(lines, params.max_results ?? 200));
  },
  parseOutput(result, params): { paths: string[]; truncated: boolean } {
    const { lines, capped } = capLines(outputLines(result.stdout), params.max_results ?? 200);
    return {
      paths: lines.map((l) => relativeToWorkspace(l, WORKSPACE_DIR) ?? l),
      truncated: result.truncated || capped,
    };
  },
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
