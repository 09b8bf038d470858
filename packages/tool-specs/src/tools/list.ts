import { capLines, intArg, runAndKeepLines } from '../argv-helpers';
import { expectPositionals, parseLegacyArgs } from '../legacy-args';
import { READONLY_FILE_RUNTIME, workspacePathParam } from '../resource-presets';
import { containerPath } from '../workspace-path';
import type { ToolSpec } from '../types';

export type ListParams = {
  /** @default '.' */
  path?: string;
  /** @default false */
  recursive?: boolean;
  /** @default 500 */
  max_entries?: number;
};

const MAX_ENTRIES = 5000;

export const list: ToolSpec<ListParams> = {
  name: 'list',
  displayName: 'List directory',
  description:
    'List a workspace directory in `ls -la` format (permissions, size, date, name), including hidden entries. ' +
    'Set `recursive` to descend into subdirectories. Output is cut after `max_entries` lines.',
  version: '1.0.0',
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
        description: 'Maximum number of output lines.',
      },
    },
    additionalProperties: false,
  },
  ...READONLY_FILE_RUNTIME,
  command(params, ctx) {
    intArg(params.max_entries ?? 500, 'max_entries', 'list', 1, MAX_ENTRIES);
    return {
      argv: [
        'ls',
        params.recursive === true ? '-laR' : '-la',
        '--',
        containerPath(params.path ?? '.', ctx.workspaceDir, 'path', 'list'),
      ],
    };
  },
  run(params, ctx, exec) {
    return runAndKeepLines(list.command(params, ctx), exec, (lines) => capLines(lines, params.max_entries ?? 500));
  },
  fromArgs(args) {
    const parsed = parseLegacyArgs('list', args, { booleans: 'laR' });
    expectPositionals('list', parsed.positionals, 0, 1);
    const params: ListParams = { recursive: parsed.flags.some((f) => f.flag === '-R') };
    if (parsed.positionals[0] !== undefined) params.path = parsed.positionals[0];
    return params;
  },
};
