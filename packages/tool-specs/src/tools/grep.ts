import { capLines, intArg, outputLines, runAndKeepLines, stringArg } from '../argv-helpers';
import { baseName, globToRegExp } from '../glob-match';
import { expectPositionals, legacyInt, parseLegacyArgs } from '../legacy-args';
import { SEARCH_RUNTIME, workspacePathParam } from '../resource-presets';
import { containerPath, relativeToWorkspace, WORKSPACE_DIR } from '../workspace-path';
import type { CommandResult, ToolSpec } from '../types';

export type GrepParams = {
  pattern: string;
  /** @default false (fixed string) */
  regex?: boolean;
  /** @default '.' */
  path?: string;
  include?: string;
  /** @default false */
  case_insensitive?: boolean;
  /** @default 100 */
  max_results?: number;
};

export interface GrepMatch {
  /** Workspace-relative file path. */
  path: string;
  line: number;
  text: string;
}

const MAX_RESULTS = 1000;
const LINE = /^(.*?):(\d+):(.*)$/s;

/** Keeps lines of files matching the include glob, capped at max_results. */
function keepMatches(lines: string[], params: GrepParams): { lines: string[]; capped: boolean } {
  const include = params.include === undefined ? undefined : globToRegExp(params.include);
  const kept = include === undefined ? lines : lines.filter((l) => include.test(baseName(LINE.exec(l)?.[1] ?? '')));
  return capLines(kept, params.max_results ?? 100);
}

export const grep: ToolSpec<GrepParams> = {
  name: 'grep',
  displayName: 'Search file contents',
  description:
    'Search workspace files for lines containing a string (or an extended regular expression when `regex` is true). ' +
    'Searches recursively from `path`; `include` limits the search to files whose name matches a glob such as `*.ts`. ' +
    'Returns `file:line:text` lines, at most `max_results`.',
  version: '1.0.0',
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
        'x-argv': true,
        description: "Only search files whose base name matches this glob, e.g. '*.go'.",
      },
      case_insensitive: { type: 'boolean', default: false, description: 'Ignore case.' },
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
  validateParams(params) {
    // grep splits a pattern at newlines into several patterns: refuse rather than change its meaning.
    return params.pattern.includes('\n') ? [{ path: '/pattern', message: 'must be a single line (no newlines)' }] : [];
  },
  command(params, ctx) {
    const max = intArg(params.max_results ?? 100, 'max_results', 'grep', 1, MAX_RESULTS);
    const pattern = stringArg(params.pattern, 'pattern', 'grep');
    const argv = ['grep', '-r', '-n', '-H', params.regex === true ? '-E' : '-F'];
    if (params.case_insensitive === true) argv.push('-i');
    // -m caps matches per file (a file can never contribute more than max_results); the total cap is applied in run().
    // -e keeps a pattern that starts with '-' from being read as an option.
    argv.push('-m', max, '-e', pattern, '--', containerPath(params.path ?? '.', ctx.workspaceDir, 'path', 'grep'));
    return { argv, successExitCodes: [0, 1] };
  },
  run(params, ctx, exec) {
    return runAndKeepLines(grep.command(params, ctx), exec, (lines) => keepMatches(lines, params));
  },
  parseOutput(result: CommandResult, params): { matches: GrepMatch[]; truncated: boolean } {
    const { lines, capped } = keepMatches(outputLines(result.stdout), params);
    const matches: GrepMatch[] = [];
    for (const l of lines) {
      const m = LINE.exec(l);
      if (m === null) continue;
      matches.push({
        path: relativeToWorkspace(m[1] as string, WORKSPACE_DIR) ?? (m[1] as string),
        line: Number(m[2]),
        text: m[3] as string,
      });
    }
    return { matches, truncated: result.truncated || capped };
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
