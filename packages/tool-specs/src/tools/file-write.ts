import { failedStep } from '../argv-helpers';
import { failedFileStep, fileStepError, fsErrorOf } from '../file-step-errors';
import { writeFileCommand } from '../hardlink-guard';
import { READWRITE_FILE_RUNTIME, workspacePathParam } from '../resource-presets';
import { containerPath } from '../workspace-path';
import type { CommandResult, RunCommand, ToolContext, ToolRunOutcome, ToolSpec } from '../types';
import { posix } from 'node:path';

export type FileWriteParams = {
  path: string;
  content: string;
  /** @default true */
  create_dirs?: boolean;
  /** @default false */
  fail_if_exists?: boolean;
};

/** Largest content file_write accepts (UTF-8 bytes). */
export const MAX_WRITE_BYTES = 16 * 1024 * 1024;

/**
 * Runs the write step shared with file_edit (content on stdin, never on a command line) and turns its
 * result into an outcome that does not echo the content back (tee does), so callers drop its stdout.
 * `target.file` is the container path, `target.shown` the workspace path errors name.
 */
export async function writeBack(
  exec: RunCommand,
  ctx: ToolContext,
  target: { file: string; shown: string },
  content: string,
  stderrSoFar: string,
  summary: string,
): Promise<ToolRunOutcome> {
  const written: CommandResult = await exec(writeFileCommand(target.file, content, ctx));
  if (written.exitCode !== 0) {
    let error = fileStepError(written, target.file, target.shown, 'write');
    // The guard names the directory when it is the parent that is missing or not a directory.
    if (error?.code === 'NOT_FOUND' || error?.code === 'NOT_A_DIRECTORY') {
      const parent = posix.dirname(target.shown);
      error = fsErrorOf(written, [target.file, posix.dirname(target.file)], parent) ?? error;
      if (error.code === 'NOT_FOUND') error.message = `${error.message} (the parent directory of ${target.shown})`;
    }
    return failedFileStep(
      written,
      error,
      { code: 'WRITE_FAILED', message: `could not write ${target.shown}` },
      stderrSoFar,
    );
  }
  return { exitCode: 0, stdout: summary, stderr: stderrSoFar + written.stderr, truncated: false };
}

export const fileWrite: ToolSpec<FileWriteParams> = {
  name: 'file_write',
  displayName: 'Write file',
  description:
    'Create or overwrite a file in the workspace with the given content. Parent directories are created ' +
    'unless `create_dirs` is false. Set `fail_if_exists` to refuse overwriting an existing file. ' +
    'To change part of an existing file prefer file_edit. A missing parent directory (with `create_dirs` ' +
    'false) fails with NOT_FOUND naming it, a directory at `path` with IS_A_DIRECTORY, a FIFO, socket or ' +
    'device with NOT_A_REGULAR_FILE, an unwritable file or directory with PERMISSION_DENIED.',
  version: '1.1.0',
  parameters: {
    type: 'object',
    properties: {
      path: workspacePathParam('File path relative to the workspace root.'),
      content: {
        type: 'string',
        'x-max-bytes': MAX_WRITE_BYTES,
        description: 'The complete new file content (UTF-8 text).',
      },
      create_dirs: { type: 'boolean', default: true, description: 'Create missing parent directories.' },
      fail_if_exists: { type: 'boolean', default: false, description: 'Fail instead of overwriting an existing file.' },
    },
    required: ['path', 'content'],
    additionalProperties: false,
  },
  ...READWRITE_FILE_RUNTIME,
  programs: ['sh', 'cat', 'stat', 'test', 'mkdir'],
  maxParamsBytes: MAX_WRITE_BYTES + 64 * 1024,
  workspaceTargets: (params) => [{ path: params.path, access: 'write' }],
  validateParams(params) {
    return params.path === '.' ? [{ path: '/path', message: 'must name a file, not the workspace root' }] : [];
  },
  // A single-command view of the tool (the write step); the runner uses run() because it is present.
  command(params, ctx) {
    return writeFileCommand(containerPath(params.path, ctx.workspaceDir, 'path', 'file_write'), params.content, ctx);
  },
  async run(params, ctx, exec) {
    const file = containerPath(params.path, ctx.workspaceDir, 'path', 'file_write');
    let stderr = '';
    if (params.fail_if_exists === true) {
      // Check-then-write is racy (another writer may create the file in between); acceptable because
      // the workspace has one writer per task, and the flag guards against model mistakes, not attackers.
      const probe = await exec({ argv: ['test', '-e', file], successExitCodes: [0, 1] });
      if (probe.exitCode === 0) {
        return failedStep(probe, 'FILE_EXISTS', `${params.path} already exists and fail_if_exists is true`);
      }
    }
    const dir = posix.dirname(file);
    if (params.create_dirs !== false && dir !== ctx.workspaceDir.replace(/\/+$/, '') && dir !== '/') {
      const made = await exec({ argv: ['mkdir', '-p', '--', dir] });
      if (made.exitCode !== 0) {
        const shown = posix.dirname(params.path);
        return failedFileStep(made, fsErrorOf(made, dir, shown), {
          code: 'MKDIR_FAILED',
          message: `could not create ${shown}`,
        });
      }
      stderr += made.stderr;
    }
    const bytes = Buffer.byteLength(params.content, 'utf8');
    const summary = `wrote ${bytes} bytes to ${params.path}\n`;
    return writeBack(exec, ctx, { file, shown: params.path }, params.content, stderr, summary);
  },
};
