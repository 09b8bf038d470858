/**
 * The exec tool on the real engine (offline busybox image): off unless the policy enables it, then a command
 * line or an argv in a fresh hardened container, with head+tail output, exit codes and signals, partial
 * output on timeout and no container left, cwd/env/stdin, no network, the workspace owner as the user.
 */
import net from 'node:net';
import { createPolicyEnforcer, defaultPolicy } from '@baaaht/policy';
import type { Policy } from '@baaaht/policy';
import { execFileSync } from 'node:child_process';
import { containersWithLabel, createTempWorkspace } from '@baaaht/test-utils';
import type { TempWorkspace } from '@baaaht/test-utils';
import type { Executor } from './executor';
import { LABELS } from './labels';
import { openTestExecutor, testWorkerId, workerContainers } from './test-support/integration';

jest.setTimeout(120_000);

const workerId = testWorkerId('exec');
const OWNER = { uid: 1234, gid: 1234 };
let ws: TempWorkspace;
let enabled: Executor;
let plain: Executor;

const policy = (exec: NonNullable<Policy['tools']>['exec']): Policy => ({
  ...defaultPolicy({ workspaceRoots: [ws.dir] }),
  tools: { exec: exec ?? {} },
});

beforeAll(async () => {
  ws = createTempWorkspace({ files: { 'sub/f.txt': 'in sub\n' }, owner: OWNER });
  enabled = await openTestExecutor(workerId, {
    policy: createPolicyEnforcer(policy({ enabled: true })),
    timeoutGracePeriodMs: 500,
  });
  plain = await openTestExecutor(`${workerId}-off`, { policy: createPolicyEnforcer(policy({})) });
});

afterAll(async () => {
  await enabled?.close();
  await plain?.close();
  expect(workerContainers(workerId)).toEqual([]);
  expect(workerContainers(`${workerId}-off`)).toEqual([]);
  ws?.cleanup();
});

/** Containers (any state) with this full id: none once it was removed. */
const containersWithId = (id: string): string[] =>
  execFileSync('docker', ['ps', '-aq', '--no-trunc', '--filter', `id=${id}`], { encoding: 'utf8' })
    .split('\n')
    .filter(Boolean);

const run = (params: Record<string, unknown>, extra: Partial<Parameters<Executor['executeTask']>[0]> = {}) =>
  enabled.executeTask({ tool: 'exec', params, mountSource: ws.dir, ...extra });

it('is denied by default, naming tools.exec.enabled, before any container exists', async () => {
  const r = await plain.executeTask({ tool: 'exec', params: { command: 'echo hi' }, mountSource: ws.dir });
  expect(r).toMatchObject({
    status: 'denied',
    exitCode: null,
    containerId: null,
    error: { code: 'POLICY_DENIED', detail: 'tools.exec.enabled' },
  });
  expect(r.error?.message).toMatch(/tools\.exec\.enabled/);
  // And with no policy at all.
  const none = await openTestExecutor(`${workerId}-none`);
  try {
    const r2 = await none.executeTask({ tool: 'exec', params: { command: 'echo hi' }, mountSource: ws.dir });
    expect(r2).toMatchObject({ status: 'denied', error: { code: 'POLICY_DENIED', detail: 'tools.exec.enabled' } });
  } finally {
    await none.close();
  }
});

it('runs `echo hi`: completed, stdout, exit 0, no signal', async () => {
  const r = await run({ command: 'echo hi' });
  expect(r).toMatchObject({ status: 'completed', exitCode: 0, stdout: 'hi\n', stderr: '', truncated: false });
  expect(r.structured).toEqual({
    exitCode: 0,
    signal: null,
    stdout: { truncated: false, droppedBytes: 0 },
    stderr: { truncated: false, droppedBytes: 0 },
  });
});

it('passes argv verbatim: spaces, quotes and shell syntax stay single arguments', async () => {
  const r = await run({ argv: ['printf', '%s|', 'a b', `it's "q"`, '$(id -u)', '; rm -rf /'] });
  expect(r).toMatchObject({ status: 'completed', stdout: `a b|it's "q"|$(id -u)|; rm -rf /|` });
});

it('`exit 3` fails with exit code 3', async () => {
  const r = await run({ command: 'echo out; echo err >&2; exit 3' });
  expect(r).toMatchObject({
    status: 'failed',
    exitCode: 3,
    stdout: 'out\n',
    stderr: 'err\n',
    error: { code: 'TOOL_FAILED', detail: 'NONZERO_EXIT', message: 'the command exited with code 3' },
  });
  expect(r.structured).toMatchObject({ exitCode: 3, signal: null });
});

it('`kill -9 $$` reports the signal', async () => {
  const r = await run({ command: 'echo before; kill -9 $$' });
  expect(r).toMatchObject({
    status: 'failed',
    exitCode: 137,
    stdout: 'before\n',
    error: { detail: 'KILLED_BY_SIGNAL' },
  });
  expect(r.structured).toMatchObject({ exitCode: 137, signal: 'SIGKILL' });
  expect(r.error?.message).toBe('the command was killed by SIGKILL (exit code 137)');
});

it('5 MB of output keeps the head and the tail, with the dropped count and the truncated flag', async () => {
  const total = 5_000_000 + 'START'.length + 'END'.length;
  const r = await run({ command: "printf START; head -c 5000000 /dev/zero | tr '\\0' x; printf END" });
  const kept = 1024 * 1024; // the executor's default per-stream cap: 512 KiB of head, 512 KiB of tail
  expect(r).toMatchObject({
    status: 'completed',
    truncated: true,
    stdoutDroppedBytes: total - kept,
    stderrDroppedBytes: 0,
  });
  expect(r.structured).toMatchObject({
    stdout: { truncated: true, droppedBytes: total - kept },
    stderr: { truncated: false },
  });
  const marker = `\n[... ${total - kept} bytes dropped ...]\n`;
  expect(r.stdout).toBe(`START${'x'.repeat(kept / 2 - 5)}${marker}${'x'.repeat(kept / 2 - 3)}END`);
});

it('a timeout keeps the partial output and leaves no process: the container is gone', async () => {
  const taskId = `exec-timeout-${Date.now()}`;
  const started = Date.now();
  const r = await run({ command: 'echo started; sleep 1000 & sleep 1000 & wait', timeout_seconds: 2 }, { taskId });
  expect(Date.now() - started).toBeLessThan(20_000);
  expect(r).toMatchObject({ status: 'timeout', exitCode: null, stdout: 'started\n', error: { code: 'TIMEOUT' } });
  await enabled.idle();
  // Killing the container kills its whole process tree; nothing of the task's is left, running or not.
  // (With the warm pool the call's container was created ahead, without the task's label: follow its id.)
  expect(r.containerId).toMatch(/^[0-9a-f]{64}$/);
  expect(containersWithId(r.containerId as string)).toEqual([]);
  expect(containersWithLabel(`${LABELS.taskId}=${taskId}`)).toEqual([]);
});

it('runs in a relative cwd and refuses ../ before any container', async () => {
  expect(await run({ command: 'pwd; cat f.txt', cwd: 'sub' })).toMatchObject({
    status: 'completed',
    stdout: '/workspace/sub\nin sub\n',
  });
  const escaped = await run({ command: 'pwd', cwd: '../' });
  expect(escaped).toMatchObject({ status: 'error', containerId: null, error: { code: 'INVALID_PARAMS' } });
  expect(escaped.error?.message).toMatch(/\/cwd: must stay inside the workspace/);
  expect(await run({ command: 'pwd', cwd: 'missing' })).toMatchObject({
    status: 'failed',
    error: { code: 'NOT_FOUND', message: 'cwd missing does not exist in the workspace' },
  });
});

it('passes env, refuses a denied name', async () => {
  expect(await run({ command: 'printf %s "$GREETING"', env: { GREETING: 'hello world' } })).toMatchObject({
    status: 'completed',
    stdout: 'hello world',
  });
  const denied = await run({ command: 'true', env: { LD_PRELOAD: '/workspace/x.so' } });
  expect(denied).toMatchObject({ status: 'error', containerId: null, error: { code: 'INVALID_PARAMS' } });
  expect(denied.error?.message).toMatch(/LD_PRELOAD may not be set/);
});

it('passes stdin', async () => {
  expect(await run({ command: 'tr a-z A-Z', stdin: 'abc\n' })).toMatchObject({ status: 'completed', stdout: 'ABC\n' });
});

it('has no network by default: a connect to a listener on the host loopback fails', async () => {
  let connections = 0;
  const server = net.createServer((s) => {
    connections++;
    s.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  try {
    const r = await run({
      command: 'if nc -w 2 127.0.0.1 "$PORT" </dev/null; then echo CONNECTED; else echo FAILED; fi; ls /sys/class/net',
      env: { PORT: String(port) },
    });
    expect(r).toMatchObject({ status: 'completed' });
    expect(r.stdout).toMatch(/^FAILED\n/);
    expect(r.stdout).not.toMatch(/eth0/);
    expect(connections).toBe(0);
  } finally {
    server.close();
  }
});

it('runs as the workspace owner, never root; files it writes belong to the owner', async () => {
  const r = await run({ command: 'id -u; id -g; echo x > made.txt; stat -c %u:%g made.txt' });
  expect(r).toMatchObject({ status: 'completed', stdout: `${OWNER.uid}\n${OWNER.gid}\n${OWNER.uid}:${OWNER.gid}\n` });
});
