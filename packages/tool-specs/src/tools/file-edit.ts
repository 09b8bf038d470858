import { failedStep } from '../argv-helpers';
import { applyExactEdit } from '../apply-exact-edit';
import { failedFileStep, fileStepError } from '../file-step-errors';
import { readFileCommand } from '../hardlink-guard';
import { READWRITE_FILE_RUNTIME, workspacePathParam } from '../resource-presets';
import { containerPath } from '../workspace-path';
import type { OutputSchema, ToolSpec } from '../types';
import { writeBack } from './file-write';

export type FileEditParams = {
  path: string;
  old_string: string;
  new_string: string;
  /** @default false */
  replace_all?: boolean;
};

/** Largest file file_edit will rewrite (UTF-8 bytes as read back). */
export const MAX_EDIT_FILE_BYTES = 16 * 1024 * 1024;
const MAX_EDIT_STRING_BYTES = 1024 * 1024;

/** `structured` of a file_edit call that wrote the file. */
export interface FileEditResult {
  /** The `path` parameter, as given. */
  path: string;
  replacements: number;
}

const FILE_EDIT_OUTPUT: OutputSchema = {
  type: 'object',
  properties: {
    path: { type: 'string', description: 'The `path` parameter, as given.' },
    replacements: { type: 'integer', minimum: 1, description: 'How many occurrences were replaced.' },
  },
  required: ['path', 'replacements'],
  additionalProperties: false,
};

export const fileEdit: ToolSpec<FileEditParams> = {
  name: 'file_edit',
  displayName: 'Edit file',
  description:
    'Replace an exact string in a workspace file. `old_string` must match the file text exactly (including ' +
    'whitespace and indentation) and occur exactly once, unless `replace_all` is true. Include enough ' +
    'surrounding lines to make it unique. Read the file first. A missing file fails with NOT_FOUND, a ' +
    'directory with IS_A_DIRECTORY, a FIFO, socket or device with NOT_A_REGULAR_FILE, an unreadable or ' +
    'unwritable file with PERMISSION_DENIED.',
  version: '1.1.0',
  parameters: {
    type: 'object',
    properties: {
      path: workspacePathParam('File path relative to the workspace root.'),
      old_string: {
        type: 'string',
        minLength: 1,
        'x-max-bytes': MAX_EDIT_STRING_BYTES,
        description: 'The exact text to replace.',
      },
      new_string: {
        type: 'string',
        'x-max-bytes': MAX_EDIT_STRING_BYTES,
        description: 'The replacement text (must differ from old_string).',
      },
      replace_all: {
        type: 'boolean',
        default: false,
        description: 'Replace every occurrence instead of requiring exactly one.',
      },
    },
    required: ['path', 'old_string', 'new_string'],
    additionalProperties: false,
  },
  ...READWRITE_FILE_RUNTIME,
  programs: ['sh', 'cat', 'stat'],
  outputSchema: FILE_EDIT_OUTPUT,
  maxParamsBytes: 2 * MAX_EDIT_STRING_BYTES + 64 * 1024,
  workspaceTargets: (params) => [{ path: params.path, access: 'write' }],
  validateParams(params) {
    return params.old_string === params.new_string
      ? [{ path: '/new_string', message: 'must differ from old_string' }]
      : [];
  },
  // The read step; the edit itself needs run().
  command(params, ctx) {
    return readFileCommand(containerPath(params.path, ctx.workspaceDir, 'path', 'file_edit'), ['cat'], ctx);
  },
  async run(params, ctx, exec) {
    const file = containerPath(params.path, ctx.workspaceDir, 'path', 'file_edit');
    const read = await exec(readFileCommand(file, ['cat'], ctx));
    if (read.exitCode !== 0) {
      return failedFileStep(read, fileStepError(read, file, params.path, 'edit'), {
        code: 'READ_FAILED',
        message: `could not read ${params.path}`,
      });
    }
    if (read.truncated || Buffer.byteLength(read.stdout, 'utf8') > MAX_EDIT_FILE_BYTES) {
      return failedStep(
        read,
        'EDIT_FILE_TOO_LARGE',
        `${params.path} is too large to edit (limit ${MAX_EDIT_FILE_BYTES} bytes)`,
      );
    }
    // The runner decodes stdout as UTF-8; U+FFFD or NUL means bytes we could not round-trip, so writing back would corrupt the file.
    if (read.stdout.includes('\uFFFD') || read.stdout.includes('\0')) {
      return failedStep(read, 'EDIT_NOT_TEXT', `${params.path} is not UTF-8 text; refusing to rewrite it`);
    }
    const edit = applyExactEdit(read.stdout, params.old_string, params.new_string, params.replace_all === true);
    if (!edit.ok) return failedStep(read, edit.code, `${params.path}: ${edit.message}`);
    const noun = edit.replacements === 1 ? 'replacement' : 'replacements';
    const summary = `${params.path}: ${edit.replacements} ${noun}\n`;
    const written = await writeBack(exec, ctx, { file, shown: params.path }, edit.content, read.stderr, summary);
    if (written.exitCode !== 0 || written.error !== undefined) return written;
    const structured: FileEditResult = { path: params.path, replacements: edit.replacements };
    return { ...written, structured };
  },
};
