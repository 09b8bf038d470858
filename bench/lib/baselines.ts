import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

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
