/**
 * A task stopped by its timeout or a cancel still reports what it printed until then (within the caps),
 * with `status` timeout/cancelled and the truncation flags: real containers, real signals.
 */
import type { Executor } from './executor';
import type { TaskEvent } from './task-types';
import { openTestExecutor, testWorkerId, until, workerContainers } from './test-support/integration';

jest.setTimeout(120_000);

const workerId = testWorkerId('partial');
let ex: Executor;
const CHATTY_STDOUT = `${'x'.repeat(6000)}\n`;

beforeAll(async () => {
  ex = await openTestExecutor(workerId, { maxConcurrentTasks: 2, gracePeriodMs: 3000, timeoutGracePeriodMs: 3000 });
});

afterAll(async () => {
  await ex.close();
  expect(workerContainers(workerId)).toEqual([]);
});

/** Starts a task and resolves once it has printed `bytes` bytes of stdout, with the task's result to come. */
async function startPrinting(
  request: Parameters<Executor['executeTask']>[0],
  bytes: number,
): Promise<{ result: ReturnType<Executor['executeTask']> }> {
  let printed = 0;
  const done = ex.executeTask({
    ...request,
    onEvent: (e: TaskEvent) => void (e.type === 'stdout' && (printed += e.chunk.length)),
  });
  await until(() => printed >= bytes, 'the tool to print');
  return { result: done };
}

it('a timeout keeps the several KB printed before it, on stdout and stderr', async () => {
  const r = await ex.executeTask({ tool: 'hostile', params: { case: 'chatty-sleep' }, timeoutMs: 3000 });
  expect(r).toMatchObject({
    status: 'timeout',
    exitCode: null,
    stdout: CHATTY_STDOUT,
    stderr: 'to-stderr\n',
    truncated: false,
    stdoutDroppedBytes: 0,
    stopMode: 'graceful',
    error: { code: 'TIMEOUT' },
  });
});

it('a cancel keeps the printed output', async () => {
  const { result: task } = await startPrinting(
    { tool: 'hostile', params: { case: 'chatty-sleep' }, taskId: 'partial-cancel' },
    CHATTY_STDOUT.length,
  );
  expect(ex.cancelTask('partial-cancel')).toBe(true);
  expect(await task).toMatchObject({
    status: 'cancelled',
    stdout: CHATTY_STDOUT,
    stderr: 'to-stderr\n',
    truncated: false,
    stopMode: 'graceful',
    error: { code: 'CANCELLED' },
  });
});

it('a force cancel keeps the printed output too', async () => {
  const { result: task } = await startPrinting(
    { tool: 'hostile', params: { case: 'chatty-sleep' }, taskId: 'partial-force' },
    CHATTY_STDOUT.length,
  );
  ex.cancelTask('partial-force', { force: true });
  expect(await task).toMatchObject({ status: 'cancelled', stopMode: 'force', stdout: CHATTY_STDOUT });
});

it('output printed while the stop is under way (in the SIGTERM handler) is kept', async () => {
  const timeout = await ex.executeTask({ tool: 'hostile', params: { case: 'last-words' }, timeoutMs: 2000 });
  expect(timeout).toMatchObject({ status: 'timeout', stdout: 'sleeping\nlast words\n' });
  const { result: task } = await startPrinting(
    { tool: 'hostile', params: { case: 'last-words' }, taskId: 'partial-last' },
    1,
  );
  ex.cancelTask('partial-last');
  expect(await task).toMatchObject({ status: 'cancelled', stdout: 'sleeping\nlast words\n' });
});

it('partial output stays within the caps and says so', async () => {
  const r = await ex.executeTask({
    tool: 'hostile',
    params: { case: 'chatty-sleep' },
    timeoutMs: 3000,
    limits: { maxStdoutBytes: 1000 },
  });
  expect(r).toMatchObject({ status: 'timeout', truncated: true, stdoutDroppedBytes: CHATTY_STDOUT.length - 1000 });
  expect(r.stdout).toBe('x'.repeat(1000));
});

it('a multi-step tool reports the output of the step that was running when it timed out', async () => {
  const r = await ex.executeTask({ tool: 'steps', params: {}, timeoutMs: 4000 });
  expect(r).toMatchObject({ status: 'timeout', stdout: 'step two\n', truncated: false, error: { code: 'TIMEOUT' } });
});
