import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import fs from 'node:fs';
import { OFFLINE_BUSYBOX_IMAGE, createTempWorkspace, runScopedName } from '@baaaht/test-utils';
import type { TempWorkspace } from '@baaaht/test-utils';
import { SandboxAgentClient } from './sandbox-agent-client';
import type { SandboxCallExit, SandboxRunRequest } from './sandbox-agent-client';
import { builtSandboxAgent } from './test-support/sandbox-agent-binary';

// The static agent bind-mounted read-only into a container with the executor's hardening, as the entry
// process (PID 1), driven over `docker run -i`'s stdin and stdout.
const AGENT = '/baaaht/sandbox-agent';

function hardenedRun(name: string, binary: string, workspace: string): string[] {
  return [
    'run',
    '-i',
    '--rm',
    '--name',
    name,
    '--label',
    'org.baaaht.test=1',
    '--user',
    '65534:65534',
    '--read-only',
    '--cap-drop',
    'ALL',
    '--security-opt',
    'no-new-privileges',
    '--network',
    'none',
    '--pids-limit',
    '64',
    '--memory',
    '128m',
    '--tmpfs',
    '/tmp:rw,noexec,nosuid,nodev,size=16m',
    '--mount',
    `type=bind,source=${binary},target=${AGENT},readonly`,
    '--mount',
    `type=bind,source=${workspace},target=/workspace,readonly`,
    '--entrypoint',
    AGENT,
    OFFLINE_BUSYBOX_IMAGE,
  ];
}

const containerExists = (name: string): boolean =>
  execFileSync('docker', ['ps', '-aq', '--filter', `name=^${name}$`], { encoding: 'utf8' }).trim() !== '';

describe('the sandbox agent in a hardened container', () => {
  const name = runScopedName('sandbox-agent');
  let ws: TempWorkspace;
  let docker: ChildProcessWithoutNullStreams;
  let client: SandboxAgentClient;
  let dockerExit: Promise<number | null>;

  const run = async (req: SandboxRunRequest): Promise<{ out: string; exit: SandboxCallExit }> => {
    const call = client.run(req);
    const [out, exit] = await Promise.all([call.stdout.toArray(), call.exit]);
    return { out: Buffer.concat(out).toString('utf8'), exit };
  };

  beforeAll(() => {
    const binary = builtSandboxAgent();
    ws = createTempWorkspace({ files: { 'one-kb.txt': 'k'.repeat(1024) } });
    fs.chmodSync(ws.dir, 0o755);
    fs.chmodSync(ws.path('one-kb.txt'), 0o644);
    docker = spawn('docker', hardenedRun(name, binary, ws.dir), { stdio: 'pipe' });
    dockerExit = new Promise((resolve) => docker.once('exit', (code) => resolve(code)));
    client = new SandboxAgentClient({ input: docker.stdout, output: docker.stdin });
  });
  afterAll(() => {
    docker.kill('SIGKILL');
    try {
      execFileSync('docker', ['rm', '-f', name], { stdio: 'pipe' });
    } catch {
      // already removed (--rm): the expected case
    }
    ws.cleanup();
  });

  it('runs as PID 1 and non-root, and answers calls in about a millisecond after the first', async () => {
    const hello = await client.ready;
    expect(hello.pid).toBe(1);
    expect(await run({ argv: ['id', '-u'] })).toMatchObject({ out: '65534\n', exit: { code: 0 } });
    const times: number[] = [];
    for (let i = 0; i < 43; i++) {
      const started = process.hrtime.bigint();
      const { out, exit } = await run({ argv: ['cat', '/workspace/one-kb.txt'] });
      if (i >= 3) times.push(Number(process.hrtime.bigint() - started) / 1e6); // 3 warm-ups
      expect([out.length, exit.code]).toEqual([1024, 0]);
    }
    times.sort((a, b) => a - b);
    const median = ((times[19] as number) + (times[20] as number)) / 2;
    // Informative only: no wall-clock assertion (a shared 2-core machine).
    console.log(
      `sandbox agent in a container: cat of 1 KB, median of 40 calls ${median.toFixed(2)} ms (min ${times[0]?.toFixed(2)}, max ${times[39]?.toFixed(2)})`,
    );
  });

  it('kills the whole process group of a call on timeout, inside the container', async () => {
    const call = client.run({ argv: ['sh', '-c', 'sleep 1000 & echo $!; wait'], timeoutMs: 300 });
    const [out, exit] = await Promise.all([call.stdout.toArray(), call.exit]);
    const grandchild = Buffer.concat(out).toString().trim();
    expect(grandchild).toMatch(/^\d+$/);
    expect(exit).toEqual({ code: null, signal: 'SIGKILL', timedOut: true, cancelled: false });
    // PID 1 reaps on SIGCHLD; a following call sees neither the shell nor its sleep.
    let ps = '';
    for (let i = 0; i < 50; i++) {
      ps = (await run({ argv: ['ps', '-o', 'pid,stat,args'] })).out;
      if (!/sleep 1000/.test(ps)) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(ps).not.toMatch(/sleep 1000/);
    expect(ps).not.toMatch(new RegExp(`^\\s*${grandchild}\\s`, 'm'));
    expect((await run({ argv: ['test', '-e', `/proc/${grandchild}`] })).exit.code).toBe(1);
  });

  it('exits when its stdin closes, so the container ends and is removed', async () => {
    const sleeper = client.run({ argv: ['sleep', '1000'] });
    await client.close();
    await expect(sleeper.exit).rejects.toMatchObject({ code: 'SANDBOX_AGENT_GONE' });
    expect(await dockerExit).toBe(0);
    for (let i = 0; i < 100 && containerExists(name); i++) await new Promise((r) => setTimeout(r, 50));
    expect(containerExists(name)).toBe(false);
  });
});
