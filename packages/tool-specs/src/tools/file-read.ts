import { failedStep, intArg } from '../argv-helpers';
import { fileStepError } from '../file-step-errors';
import { readFileCommand } from '../hardlink-guard';
import { expectPositionals, parseLegacyArgs } from '../legacy-args';
import { READONLY_FILE_RUNTIME, workspacePathParam } from '../resource-presets';
import { containerPath } from '../workspace-path';
import type { ToolSpec } from '../types';

export type FileReadParams = {
  path: string;
  /** 1-based first line. */
  offset?: number;
  /** Number of lines. */
  limit?: number;
};

const MAX_LINE = 100_000_000;

export const fileRead: ToolSpec<FileReadParams> = {
  name: 'file_read',
  displayName: 'Read file',
  description:
    'Read a text file from the workspace. Paths are relative to the workspace root. ' +
    'For large files, page with `offset` (1-based first line) and `limit` (number of lines). ' +
    'Only regular files are read: a FIFO, socket or device fails at once with NOT_A_REGULAR_FILE, a ' +
    'directory with IS_A_DIRECTORY (use list), a missing file with NOT_FOUND, an unreadable one with ' +
    'PERMISSION_DENIED (the message says which user the tool ran as and how to fix it).',
  version: '1.1.0',
  parameters: {
    type: 'object',
    properties: {
      path: workspacePathParam('File path relative to the workspace root.'),
      offset: {
        type: 'integer',
        minimum: 1,
        maximum: MAX_LINE,
        description: 'First line to return (1-based). Omit to start at line 1.',
      },
      limit: {
        type: 'integer',
        minimum: 1,
        maximum: 1_000_000,
        description: 'Maximum number of lines to return. Omit to read to the end.',
      },
    },
    required: ['path'],
    additionalProperties: false,
  },
  ...READONLY_FILE_RUNTIME,
  programs: ['sh', 'cat', 'sed', 'stat'],
  workspaceTargets: (params) => [{ path: params.path, access: 'read' }],
  command(params, ctx) {
    const file = containerPath(params.path, ctx.workspaceDir, 'path', 'file_read');
    if (params.offset === undefined && params.limit === undefined) return readFileCommand(file, ['cat'], ctx);
    const first = Number(intArg(params.offset ?? 1, 'offset', 'file_read', 1, MAX_LINE));
    if (params.limit === undefined) return readFileCommand(file, ['sed', '-n', '-e', `${first},$p`], ctx);
    const last = first + Number(intArg(params.limit, 'limit', 'file_read', 1, 1_000_000)) - 1;
    // The script is built only from integers we formatted; `q` stops reading a huge file early.
    return readFileCommand(file, ['sed', '-n', '-e', `${first},${last}p`, '-e', `${last}q`], ctx);
  },
  // One command, run through run() only to give the in-container refusals and file errors stable codes.
  async run(params, ctx, exec) {
    const result = await exec(fileRead.command(params, ctx));
    if (result.exitCode === 0) return result;
    const error = fileStepError(result, containerPath(params.path, ctx.workspaceDir), params.path, 'read');
    return error === undefined ? result : failedStep(result, error.code, error.message);
  },
  fromArgs(args) {
    const { positionals } = parseLegacyArgs('file_read', args, { booleans: '' });
    expectPositionals('file_read', positionals, 1, 1);
    return { path: positionals[0] as string };
  },
};
