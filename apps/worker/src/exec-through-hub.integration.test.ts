/**
 * The exec tool through the hub: `orchestrator serve` on a temp unix socket, one real `worker --sessions`
 * whose policy enables exec (real containers, offline images), and `orchestrator exec exec --command`, with
 * and without `--session`. The executor's own session tests (packages/executor/src/sessions.integration.test.ts)
 * prove the in-sandbox semantics on the executor; this proves them end to end through the CLI, the hub's
 * dispatch and the worker: state kept between the session's calls, and a call's timeout killing only that
 * call's processes, seen with `ps` inside the session afterwards.
 */
import fs from 'node:fs';
import path from 'node:path';
import { OFFLINE_BUSYBOX_IMAGE, createTempWorkspace, runScopedName } from '@baaaht/test-utils';
import type { TempWorkspace } from '@baaaht/test-utils';
import { cleanEnv, leftoverContainers, runCli } from './test-support/cli-process';
import { startCliStack } from './test-support/cli-stack';
import { execPolicyYaml } from './test-support/exec-policy';
import type { CliStack } from './test-support/cli-stack';
import type { SessionView } from './commands/sessions-command';
import type { TaskView } from './commands/tasks-command';
import type { TaskReport } from './task-output';

jest.setTimeout(120_000);

const NAME = runScopedName('hub-exec');

let ws: TempWorkspace;
let stack: CliStack;

const orch = (args: string[]) => runCli('orchestrator', [...args, '--addr', stack.addr]);

/** `orchestrator exec exec --mount WS --command CMD --json [extra]`: the exit code and the one report. */
async function exec(command: string, extra: string[] = []): Promise<{ code: number | null; report: TaskReport }> {
  const r = await orch(['exec', 'exec', '--mount', ws.dir, '--command', command, '--json', ...extra]);
  const lines = r.stdout.trim().split('\n');
  expect(lines).toHaveLength(1);
  return { code: r.code, report: JSON.parse(lines[0] as string) as TaskReport };
}

async function status(taskId: string | undefined): Promise<TaskView> {
  const r = await orch(['status', taskId ?? '', '--json']);
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout) as TaskView;
}

beforeAll(async () => {
  ws = createTempWorkspace({ files: { 'notes.txt': 'alpha\n' }, owner: { uid: 1234, gid: 1234 } });
  const policyFile = path.join(cleanEnv()['HOME'] as string, 'policy-exec.yaml');
  fs.writeFileSync(policyFile, execPolicyYaml(ws.dir));
  stack = await startCliStack({
    workerName: NAME,
    policyFile,
    images: `*=${OFFLINE_BUSYBOX_IMAGE}`,
    workerArgs: ['--sessions'],
  });
});

afterAll(async () => {
  // Drain (SIGTERM): the worker closes its sessions and its pool, so nothing of it may be left.
  if (stack !== undefined && stack.worker.child.exitCode === null) {
    stack.worker.child.kill('SIGTERM');
    await stack.worker.exited;
  }
  await stack?.stop();
  ws?.cleanup();
  expect(leftoverContainers(NAME)).toEqual([]);
});

describe('orchestrator exec exec (hub + worker, real containers)', () => {
  it('without --session: each call its own fresh container, nothing of one call left for the next', async () => {
    const first = await exec('echo hi; echo kept > /tmp/marker; cat /tmp/marker');
    expect(first.code).toBe(0);
    expect(first.report).toMatchObject({ tool: 'exec', status: 'completed', exitCode: 0, stdout: 'hi\nkept\n' });
    expect((await status(first.report.taskId)).worker).toBe(NAME);

    const second = await exec('cat /tmp/marker');
    expect(second.code).toBe(1);
    expect(second.report).toMatchObject({ status: 'failed', exitCode: 1 });
    expect(second.report.stderr).toMatch(/No such file/);
    expect(second.report.containerId).not.toBe(first.report.containerId);
  });

  it('with --session: /tmp and leftover processes kept between calls; a timeout kills only its own call', async () => {
    const session = ['--session', 'hub-exec-s1'];
    // Call 1 writes /tmp and leaves a process behind (its stdio detached, so the call can end).
    const left = await exec('echo kept > /tmp/marker; sleep 1001 </dev/null >/dev/null 2>&1 & echo $!', session);
    expect(left.report).toMatchObject({ status: 'completed', exitCode: 0 });
    const leftPid = left.report.stdout.trim();
    expect(leftPid).toMatch(/^\d+$/);
    const container = left.report.containerId;

    const read = await exec('cat /tmp/marker', session);
    expect(read.report).toMatchObject({ status: 'completed', stdout: 'kept\n', containerId: container });

    // Call 3 starts a child and blocks: its timeout returns what it printed, in the same container.
    const hung = await exec('sleep 1002 & echo $!; wait', [...session, '--timeout', '2s']);
    expect(hung.code).toBe(1);
    expect(hung.report).toMatchObject({ status: 'timeout', error: { code: 'TIMEOUT' }, containerId: container });
    const hungPid = hung.report.stdout.trim();
    expect(hungPid).toMatch(/^\d+$/);

    // Inside the session afterwards: call 3's tree is gone (its kill may land just after the report),
    // call 1's leftover still runs.
    let ps = '';
    for (let i = 0; i < 20; i++) {
      const listed = await exec('ps -o pid,args', session);
      expect(listed.report).toMatchObject({ status: 'completed', containerId: container });
      ps = listed.report.stdout;
      if (!/sleep 1002/.test(ps)) break;
    }
    expect(ps).not.toMatch(/sleep 1002/);
    expect(ps).not.toMatch(new RegExp(`^\\s*${hungPid}\\s`, 'm'));
    expect(ps).toMatch(new RegExp(`^\\s*${leftPid}\\s+sleep 1001`, 'm'));
    expect((await exec('cat /tmp/marker', session)).report).toMatchObject({ stdout: 'kept\n', containerId: container });

    // Every call ran on the one worker holding the session, which the hub lists.
    const sessions = JSON.parse((await orch(['sessions', '--json'])).stdout) as SessionView[];
    expect(sessions.find((s) => s.sessionId === 'hub-exec-s1')).toMatchObject({ worker: NAME });
    const closed = await orch(['session', 'close', 'hub-exec-s1']);
    expect(closed.stdout).toBe(`session hub-exec-s1 closed on ${NAME}\n`);
  });
});
