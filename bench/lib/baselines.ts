import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { ToolCommand, ToolSpec } from '@baaaht/tool-specs';

const run = promisify(execFile);

/**
 * The naive implementation most people would write: `docker run --rm` from the
 * CLI with flags equivalent to the executor's (same image, limits, user,
 * read-only root, network none, read-only workspace mount).
 */
export function dockerRunCli(image: string, workspace: string, argv: string[], cpus = 0.1): () => Promise<void> {
  const args = [
    'run',
    '--rm',
    '--network',
    'none',
    '--cap-drop',
    'ALL',
    '--security-opt',
    'no-new-privileges',
    '--read-only',
    '--tmpfs',
    '/tmp:rw,noexec,nosuid,size=16m',
    '--init',
    '--pids-limit',
    '10',
    '--memory',
    '64m',
    '--memory-swap',
    '64m',
    `--cpus=${cpus}`,
    '--user',
    '65534:65534',
    '--label',
    'org.baaaht.managed=true',
    '--label',
    'org.baaaht.bench=cli',
    '-v',
    `${workspace}:/workspace:ro`,
    '-w',
    '/workspace',
    image,
    ...argv,
  ];
  return async () => {
    await run('docker', args, { maxBuffer: 64 * 1024 * 1024 });
  };
}

/**
 * The runtime floor: `runc run` on an OCI bundle made from the same image's
 * filesystem, with the same mount and limits, no Docker in the path.
 */
export async function prepareRuncBundle(
  image: string,
  workspace: string,
  argv: string[],
): Promise<{
  run: () => Promise<void>;
  cleanup: () => Promise<void>;
}> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'baaaht-runc-'));
  const rootfs = path.join(dir, 'rootfs');
  fs.mkdirSync(rootfs);
  const { stdout: cid } = await run('docker', ['create', '--label', 'org.baaaht.managed=true', image, 'true']);
  try {
    await run('bash', ['-c', `docker export ${cid.trim()} | tar -C ${rootfs} -xf -`]);
  } finally {
    await run('docker', ['rm', '-f', cid.trim()]);
  }
  await run('runc', ['spec'], { cwd: dir });
  const specPath = path.join(dir, 'config.json');
  const spec = JSON.parse(fs.readFileSync(specPath, 'utf8'));
  spec.process.terminal = false;
  spec.process.args = argv;
  spec.process.cwd = '/workspace';
  spec.process.user = { uid: 65534, gid: 65534 };
  spec.process.noNewPrivileges = true;
  spec.process.capabilities = { bounding: [], effective: [], inheritable: [], permitted: [], ambient: [] };
  spec.root.readonly = true;
  spec.mounts.push(
    { destination: '/workspace', type: 'bind', source: workspace, options: ['rbind', 'ro'] },
    { destination: '/tmp', type: 'tmpfs', source: 'tmpfs', options: ['rw', 'noexec', 'nosuid', 'size=16m'] },
  );
  spec.linux.resources = {
    ...(spec.linux.resources ?? {}),
    memory: { limit: 64 * 1024 * 1024, swap: 64 * 1024 * 1024 },
    cpu: { quota: 100000, period: 1000000 },
    pids: { limit: 10 },
  };
  fs.writeFileSync(specPath, JSON.stringify(spec));
  let n = 0;
  return {
    run: async () => {
      await run('runc', ['run', '--bundle', dir, `baaaht-bench-${process.pid}-${n++}`], {
        maxBuffer: 64 * 1024 * 1024,
      });
    },
    cleanup: async () => {
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
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
