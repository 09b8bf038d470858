import type { BenchCase } from '../lib/bench-case';
import { withReference } from '../lib/report';
import type { CaseResult } from '../lib/report';
import { readInSession, sessionExecutor } from '../lib/sessions';
import { benchExecutor, readOneKb } from '../lib/setup';
import { startStack } from '../lib/stack';
import type { Stack } from '../lib/stack';
import { interleave, median, ratio, summarizeAll, timeMs } from '../lib/stats';
import { cpuSecondsOf } from '../lib/cpu';

const COMPLETED = 5;
/** Back-to-back calls of the breakdown. */
const BREAKDOWN_CALLS = 100;
const COLD = 'executor, cold (pool off)';
const E2E = 'session call through hub + worker';
const ALONE = 'session call, executor alone';

/** Submit, then wait for the result (the dev orchestrator's client: SubmitTask, then the task's event stream). */
export async function submitAndWait(stack: Stack, ws: string, sessionId: string): Promise<string> {
  const { taskId } = await stack.client.submit({
    tool: 'file_read',
    params: { path: 'file.txt' },
    mountSource: ws,
    sessionId,
  });
  const r = await stack.client.wait(taskId);
  if (r.state !== COMPLETED) throw new Error(`session e2e: state ${r.state} ${r.error?.message}`);
  return taskId;
}

const PHASES = [
  'submit to the worker accepting it',
  'worker: accepted to result reported',
  'of which the executor (durationMs)',
  'result reported to the hub recording it',
  'hub recorded to the client having it',
] as const;

/**
 * Where a call's time goes, from the timestamps the system keeps (ms resolution; one host clock): the
 * hub's `createdAt`/`completedAt`, the worker's `startedAt` (accepted) and `finishedAt` (reported) and the
 * executor's `durationMs`; and the CPU each process spends per call over back-to-back calls.
 */
async function breakdown(stack: Stack, ws: string, calls: number): Promise<Record<string, number | string>> {
  const ms = (d: Date | undefined): number => d?.getTime() ?? NaN;
  const phases: number[][] = PHASES.map(() => []);
  const [hubPid, workerPid] = [await stack.hubPid(), await stack.workerPid()];
  const cpu0 = [cpuSecondsOf(hubPid), cpuSecondsOf(workerPid), process.cpuUsage()] as const;
  for (let i = 0; i < calls; i++) {
    const t0 = Date.now();
    const taskId = await submitAndWait(stack, ws, 'breakdown');
    const t1 = Date.now();
    const task = await stack.client.status(taskId);
    const f = task.finished;
    const at = [t0, ms(f?.startedAt), ms(f?.finishedAt), ms(task.completedAt), t1];
    phases[0]!.push(at[1]! - at[0]!);
    phases[1]!.push(at[2]! - at[1]!);
    phases[2]!.push(Number(f?.durationMs ?? NaN));
    phases[3]!.push(at[3]! - at[2]!);
    phases[4]!.push(at[4]! - at[3]!);
  }
  const client = process.cpuUsage(cpu0[2]);
  const perCall = (seconds: number): number => +((seconds * 1000) / calls).toFixed(2);
  // The status() lookups after each call run on the hub too: this CPU is an upper bound for a call.
  return {
    ...Object.fromEntries(PHASES.map((name, i) => [`${name}, median ms`, median(phases[i]!)])),
    'hub CPU ms/call (incl. one status lookup)': perCall(cpuSecondsOf(hubPid) - cpu0[0]),
    'worker CPU ms/call': perCall(cpuSecondsOf(workerPid) - cpu0[1]),
    'client (bench process) CPU ms/call': perCall((client.user + client.system) / 1e6),
  };
}

/**
 * A session call (1 KB file_read) end to end: submitted to the dev orchestrator, run by a connected
 * `bin/worker --sessions` in its session, result back to the client (separate processes, Unix socket);
 * interleaved with the same call on an in-process session executor and with the cold executor.
 */
export const sessionEndToEndCase: BenchCase = {
  key: 'session-e2e',
  async run({ config, ws, log }): Promise<CaseResult[]> {
    log('session end to end: hub + worker --sessions on a Unix socket vs the session executor alone vs cold');
    const stack = await startStack(ws, 'session-e2e', ['--sessions']);
    const cold = await benchExecutor({ workerId: `bench-cold-${process.pid}` });
    const alone = await sessionExecutor('session-alone');
    try {
      const s = summarizeAll(
        await interleave(
          {
            [COLD]: async () => {
              const ms = await timeMs(() => readOneKb(cold, ws));
              await cold.idle();
              return ms;
            },
            [E2E]: () => timeMs(() => submitAndWait(stack, ws, 'e2e')),
            [ALONE]: () => timeMs(() => readInSession(alone, ws, 'alone')),
          },
          config.rounds,
          config.warmups,
        ),
      );
      const parts = await breakdown(stack, ws, BREAKDOWN_CALLS);
      return [
        {
          name: 'session call end to end through hub and worker (1 KB file_read, Unix socket)',
          reference: COLD,
          summaries: withReference(s, COLD),
          ratios: {
            [`${E2E} / ${COLD}`]: { value: ratio(s[E2E]!, s[COLD]!) },
            [`${E2E} / ${ALONE}`]: { value: ratio(s[E2E]!, s[ALONE]!) },
          },
          values: {
            [`${E2E}: median <= 10 ms`]: s[E2E]!.median <= 10,
            'hub + worker overhead, ms (difference of medians)': +(s[E2E]!.median - s[ALONE]!.median).toFixed(1),
          },
        },
        {
          name: `where a session call's time goes through hub and worker (${BREAKDOWN_CALLS} back-to-back calls)`,
          values: parts,
        },
      ];
    } finally {
      await Promise.all([cold.close(), alone.close()]);
      await stack.close();
    }
  },
};
