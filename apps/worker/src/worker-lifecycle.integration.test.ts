/**
 * The worker process's edges through the real binaries: giving up on an
 * unreachable orchestrator, Docker down at start-up, and a second SIGTERM
 * forcing a shutdown while a task runs.
 */
import fs from 'node:fs';
import path from 'node:path';
import { OFFLINE_BUSYBOX_IMAGE, OFFLINE_CURL_IMAGE, createTempWorkspace, runScopedName } from '@baaaht/test-utils';
import { cleanEnv, leftoverContainers, runCli, startCli, tempSocketPath } from './test-support/cli-process';
import { loopbackPolicyYaml, startFakeWeb } from './test-support/fake-web';

jest.setTimeout(120_000);

const NAMES = {
  force: runScopedName('cli-force'),
  giveup: runScopedName('cli-giveup'),
  data: runScopedName('cli-data'),
};

afterAll(() => {
  expect(leftoverContainers(NAMES.force)).toEqual([]);
  expect(leftoverContainers(NAMES.giveup)).toEqual([]);
});

describe('worker process lifecycle', () => {
  it('gives up after --reconnect-max-attempts and exits 1', async () => {
    const r = await runCli(
      'worker',
      [
        '--orchestrator-addr',
        `unix://${tempSocketPath('absent')}`,
        '--reconnect-max-attempts',
        '1',
        '--reconnect-interval',
        '100ms',
        '--dial-timeout',
        '500ms',
        '--log-format',
        'json',
        '--name',
        NAMES.giveup,
      ],
      { env: cleanEnv({ WORKER_TOOL_IMAGE: `*=${OFFLINE_BUSYBOX_IMAGE}` }) },
    );
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('"msg":"worker could not connect to the orchestrator; giving up"');
    expect(r.stdout).toContain('"msg":"worker stopped"');
    // The start-up line names the engine and the discovery strategy that chose it.
    const engineLine = r.stdout.split('\n').find((l) => l.includes('"msg":"docker engine '));
    expect(JSON.parse(engineLine ?? '{}')).toMatchObject({
      msg: expect.stringMatching(/^docker engine (unix|tcp):\/\/\S+ \([a-z-]+\)$/),
      strategy: expect.stringMatching(/^(docker-host-env|docker-context|default-socket|rootless|podman)$/),
      host: expect.any(String),
      reason: expect.any(String),
    });
  });

  it('exits 1 with a hint when Docker does not answer', async () => {
    const r = await runCli('worker', ['--orchestrator-addr', `unix://${tempSocketPath('absent')}`], {
      env: cleanEnv({ DOCKER_HOST: 'unix:///nonexistent.sock' }),
    });
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^worker: .*\(is dockerd running\? try: worker doctor\)\n$/);
    expect(r.stderr).toContain(' at unix:///nonexistent.sock (docker-host-env) (is dockerd running?');
  });

  it('a second SIGTERM forces: the running task is cancelled and the worker exits 1', async () => {
    const web = await startFakeWeb();
    const ws = createTempWorkspace();
    const policyFile = path.join(cleanEnv()['HOME'] as string, 'policy.yaml');
    fs.writeFileSync(policyFile, loopbackPolicyYaml(ws.dir, web.port));
    const addr = `unix://${tempSocketPath('hub')}`;
    const orchestrator = startCli('orchestrator', ['serve', '--listen', addr, '--log-format', 'json']);
    try {
      await orchestrator.waitFor(/"msg":"orchestrator listening"/);
      const worker = startCli(
        'worker',
        [
          '--orchestrator-addr',
          addr,
          '--name',
          NAMES.force,
          '--policy',
          policyFile,
          '--log-format',
          'json',
          '--shutdown-timeout',
          '1m',
        ],
        {
          env: cleanEnv({ WORKER_TOOL_IMAGE: `*=${OFFLINE_CURL_IMAGE}` }),
        },
      );
      try {
        await worker.waitFor(/"msg":"worker ready"/);
        const exec = startCli('orchestrator', [
          'exec',
          'fetch_url',
          '--addr',
          addr,
          '--param',
          `url=${web.url('/slow?ms=30000')}`,
          '--json',
        ]);
        const deadline = Date.now() + 60_000;
        while (!web.requests.includes('/slow?ms=30000') && Date.now() < deadline)
          await new Promise((r) => setTimeout(r, 50));
        worker.child.kill('SIGTERM');
        await worker.waitFor(/"msg":"draining, send again to force"/);
        worker.child.kill('SIGTERM');
        const exited = await worker.exited;
        expect(exited.code).toBe(1);
        expect(exited.stdout).toContain('"msg":"forcing shutdown"');
        const result = await exec.exited;
        expect(result.code).toBe(1);
        expect(JSON.parse(result.stdout)).toMatchObject({ tool: 'fetch_url', status: 'cancelled' });
      } finally {
        await worker.kill();
      }
    } finally {
      orchestrator.child.kill('SIGTERM');
      await orchestrator.exited;
      await web.close();
      ws.cleanup();
    }
  });

  it('orchestrator serve --data keeps results across a restart', async () => {
    const ws = createTempWorkspace({ files: { 'a.txt': 'kept\n' }, owner: { uid: 1234, gid: 1234 } });
    const data = fs.mkdtempSync(path.join(cleanEnv()['HOME'] as string, 'data-'));
    const addr = `unix://${tempSocketPath('hub')}`;
    const serve = (): ReturnType<typeof startCli> =>
      startCli('orchestrator', ['serve', '--listen', addr, '--data', data, '--log-format', 'json']);
    let orchestrator = serve();
    const worker = startCli(
      'worker',
      [
        '--orchestrator-addr',
        addr,
        '--name',
        NAMES.data,
        '--workspace-root',
        ws.dir,
        '--log-format',
        'json',
        '--reconnect-interval',
        '200ms',
      ],
      { env: cleanEnv({ WORKER_TOOL_IMAGE: `*=${OFFLINE_BUSYBOX_IMAGE}` }) },
    );
    try {
      await orchestrator.waitFor(/"msg":"orchestrator listening"/);
      await worker.waitFor(/"msg":"worker ready"/);
      const r = await runCli('orchestrator', [
        'exec',
        'file_read',
        '--addr',
        addr,
        '--mount',
        ws.dir,
        '--param',
        'path=a.txt',
        '--json',
      ]);
      expect(r.code).toBe(0);
      const taskId = (
        await worker.waitFor(/"taskId":"([^"]+)","tool":"file_read"[^\n]*"msg":"task completed"/)
      )[1] as string;
      orchestrator.child.kill('SIGTERM');
      expect((await orchestrator.exited).code).toBe(0);
      orchestrator = serve();
      await orchestrator.waitFor(/"msg":"orchestrator listening"/);
      const status = await runCli('orchestrator', ['status', taskId, '--addr', addr, '--json']);
      expect(status.code).toBe(0);
      expect(JSON.parse(status.stdout)).toMatchObject({
        taskId,
        state: 'completed',
        result: { status: 'completed', stdout: 'kept\n' },
      });
      const missing = await runCli('orchestrator', ['status', 'no-such-task', '--addr', addr]);
      expect(missing.code).toBe(2);
    } finally {
      worker.child.kill('SIGTERM');
      await worker.exited;
      orchestrator.child.kill('SIGTERM');
      await orchestrator.exited;
      ws.cleanup();
    }
    expect(leftoverContainers(NAMES.data)).toEqual([]);
  });
});
