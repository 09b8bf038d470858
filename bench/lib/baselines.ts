import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import type { ToolCommand, ToolSpec } from '@baaaht/tool-specs';
import { cliFlagsFor, executorCreateBody } from './hardening';

const run = promisify(execFile);

const LABELS = ['--label', 'org.baaaht.managed=true', '--label', 'org.baaaht.bench=cli'];

async function dockerRun(args: string[]): Promise<void> {
  await run('docker', ['run', '--rm', ...LABELS, ...args], { maxBuffer: 64 * 1024 * 1024 });
}

/**
 * `docker run --rm IMAGE cat FILE` as users run it: the workspace mounted read-only, every other setting
 * the engine's default (bridge network, json-file log, no limits, root user).
 */
export function dockerRunPlain(image: string, workspace: string, argv: string[]): () => Promise<void> {
  return () => dockerRun(['-v', `${workspace}:/workspace:ro`, image, ...argv]);
}

/**
 * `docker run --rm` with the executor's own settings, copied from its create body (`cliFlagsFor`): the
 * same CPU period and quota, memory, pids limit, `--log-driver none`, `--network none`, read-only root,
 * tmpfs, cap-drop, no-new-privileges, init, user and mount.
 */
export function dockerRunMatched(image: string, workspace: string, argv: string[]): () => Promise<void> {
  const flags = cliFlagsFor(executorCreateBody(image, workspace, argv));
  return () => dockerRun([...flags, image, ...argv]);
}

/** Parameters of the pre-issue-12 grep, for {@link oldGrepTool}. */
export interface OldGrepParams extends Record<string, unknown> {
  pattern: string;
  regex?: boolean;
  path?: string;
  include?: string;
  max_results?: number;
}

/** `*` and `?` of a base-name glob, enough for the bench's `*.ts`. */
function baseNameGlob(glob: string): RegExp {
  const body = glob
    .replace(/[.+^${}()|[\]\\/]/g, '\\$&')
    .replace(/\*/g, '[^/]*')
    .replace(/\?/g, '[^/]');
  return new RegExp(`^${body}$`, 's');
}

/**
 * The grep the tool had before issue 12, kept only as a baseline: `grep -r` reads every file under the
 * path, and `include` filters the printed `file:line:text` lines afterwards (busybox grep has no
 * `--include`). Same image, limits and mount as the real grep.
 */
export function oldGrepTool(grep: ToolSpec): ToolSpec<OldGrepParams> {
  const command = (p: OldGrepParams): ToolCommand => ({
    argv: ['grep', '-r', '-n', '-H', p.regex === true ? '-E' : '-F', '-m', String(p.max_results ?? 100)].concat(
      '-e',
      p.pattern,
      '--',
      `/workspace/${p.path ?? '.'}`.replace(/\/\.$/, ''),
    ),
    successExitCodes: [0, 1],
  });
  return {
    ...(grep as unknown as ToolSpec<OldGrepParams>),
    name: 'bench_old_grep',
    displayName: 'Bench: pre-issue-12 grep',
    description: 'Benchmark only: grep -r plus an include filter applied to its output.',
    parameters: {
      type: 'object',
      properties: {
        pattern: { type: 'string', minLength: 1 },
        regex: { type: 'boolean' },
        path: { type: 'string' },
        include: { type: 'string' },
        max_results: { type: 'integer', minimum: 1, maximum: 1000 },
      },
      required: ['pattern'],
      additionalProperties: false,
    },
    validateParams: () => [],
    fromArgs: undefined,
    command,
    async run(p, _ctx, exec) {
      const r = await exec(command(p));
      const include = p.include === undefined ? undefined : baseNameGlob(p.include);
      const lines = r.stdout.split('\n').filter((l) => l !== '');
      const kept = include === undefined ? lines : lines.filter((l) => include.test(path.basename(l.split(':')[0]!)));
      const max = p.max_results ?? 100;
      return {
        ...r,
        exitCode: r.exitCode === 1 ? 0 : r.exitCode,
        stdout: kept
          .slice(0, max)
          .map((l) => `${l}\n`)
          .join(''),
        truncated: r.truncated || kept.length > max,
      };
    },
    parseOutput: undefined,
  };
}
