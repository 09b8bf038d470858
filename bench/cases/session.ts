import type { Executor } from '@baaaht/executor';
import type { BenchCase } from '../lib/bench-case';
import { withReference } from '../lib/report';
import type { CaseResult } from '../lib/report';
import {
  execPolicy,
  execTrueInSession,
  fileReadWithCpus,
  readInSession,
  relayCpuMs,
  sessionContainer,
  sessionExecutor,
} from '../lib/sessions';
import { benchExecutor, readOneKb } from '../lib/setup';
import { interleave, median, ratio, summarizeAll, timeMs } from '../lib/stats';

const COLD = 'executor, cold (pool off)';
const READ = 'session call (file_read 1 KB)';
const EXEC = 'exec in a session (`true`)';
const FOUR = 'c=4 over 4 sessions';
const ONE = 'c=4 in one session';
const FOUR_1CPU = 'c=4 over 4 sessions, 1 CPU each';
/** Calls per CPU and throughput sample. */
const CALLS = 200;
/** One warm-up round: a sample is already {@link CALLS} calls. */
const WARMUP = 1;

/**
 * Sessions (issue 15 item 2): a 1 KB file_read and exec `true` in one warm session each, interleaved with
 * the cold executor; then the CPU a session call costs (the bench process, which is the worker here, the
 * session container's cgroup, and the engine's stdio relay), and calls/s at 4 concurrent calls over 4
 * sessions and in one.
 */
export const sessionCase: BenchCase = {
  key: 'session',
  async run({ config, ws, log }): Promise<CaseResult[]> {
    log('session: cold executor vs file_read and exec `true` in warm sessions; CPU per call; c=4 throughput');
    const cold = await benchExecutor({ workerId: `bench-cold-${process.pid}` });
    const sessions = await sessionExecutor('session');
    const execs = await sessionExecutor('session-exec', { policy: execPolicy(ws) });
    const oneCpu = await sessionExecutor('session-1cpu', { catalog: fileReadWithCpus(1) });
    try {
      const latency = summarizeAll(
        await interleave(
          {
            // The cold container's removal (off the result's path) must not overlap the session calls.
            [COLD]: async () => {
              const ms = await timeMs(() => readOneKb(cold, ws));
              await cold.idle();
              return ms;
            },
            [READ]: () => timeMs(() => readInSession(sessions, ws, 'latency')),
            [EXEC]: () => timeMs(() => execTrueInSession(execs, ws, 'exec')),
          },
          config.rounds,
          config.warmups,
        ),
      );

      // CPU per call: back-to-back calls in the latency session, nothing else running in this process.
      const box = sessionContainer(sessions, 'latency');
      const relay = relayCpuMs(box.id);
      const cpu = { worker: [] as number[], container: [] as number[], relay: [] as number[] };
      for (let r = 0; r < WARMUP + config.throughputRepeats; r++) {
        const [w0, c0, e0] = [process.cpuUsage(), box.cgroup.cpuMs(), relay()];
        for (let i = 0; i < CALLS; i++) await readInSession(sessions, ws, 'latency');
        const w = process.cpuUsage(w0);
        if (r < WARMUP) continue;
        cpu.worker.push((w.user + w.system) / 1000 / CALLS);
        cpu.container.push((box.cgroup.cpuMs() - c0) / CALLS);
        cpu.relay.push((relay() - e0) / CALLS);
      }
      const perCall = (k: keyof typeof cpu): number => median(cpu[k]);
      const total = perCall('worker') + perCall('container');

      const lanes = (executor: Executor, ids: string[]) => async (): Promise<number> => {
        let left = CALLS;
        const t0 = process.hrtime.bigint();
        await Promise.all(
          ids.map(async (id) => {
            while (left-- > 0) await readInSession(executor, ws, id);
          }),
        );
        return CALLS / (Number(process.hrtime.bigint() - t0) / 1e9);
      };
      const four = ['t1', 't2', 't3', 't4'];
      const rate = summarizeAll(
        await interleave(
          {
            [FOUR]: lanes(sessions, four),
            [ONE]: lanes(sessions, ['t1', 't1', 't1', 't1']),
            [FOUR_1CPU]: lanes(oneCpu, four),
          },
          config.throughputRepeats,
          WARMUP,
        ),
      );
      const best = Math.max(rate[FOUR]!.median, rate[ONE]!.median);
      return [
        {
          name: 'session call (1 KB file_read) and exec `true` in a session',
          reference: COLD,
          summaries: withReference(latency, COLD),
          ratios: {
            [`${READ} / ${COLD}`]: { value: ratio(latency[READ]!, latency[COLD]!) },
            [`${EXEC} / ${COLD}`]: { value: ratio(latency[EXEC]!, latency[COLD]!) },
          },
          values: {
            [`${READ}: median <= 5 ms`]: latency[READ]!.median <= 5,
            [`${EXEC}: median <= 10 ms`]: latency[EXEC]!.median <= 10,
          },
        },
        {
          name: `CPU per session call (1 KB file_read, ${config.throughputRepeats} samples of ${CALLS} calls)`,
          values: {
            'worker process ms/call (process.cpuUsage)': round(perCall('worker')),
            'session container ms/call (cgroup cpuacct)': round(perCall('container')),
            'worker + container ms/call': round(total),
            'worker + container <= 2 ms': total <= 2,
            'engine stdio relay ms/call (dockerd + shim, /proc; dockerd is shared)': round(perCall('relay')),
            'container cgroup read from': box.cgroup.where,
            'worker ms/call samples': cpu.worker.map(round).join(', '),
            'container ms/call samples': cpu.container.map(round).join(', '),
          },
        },
        {
          name: `session throughput (${CALLS} calls per sample, ${config.throughputRepeats} samples)`,
          unit: 'calls/s',
          reference: FOUR,
          summaries: withReference(rate, FOUR),
          values: {
            [`${FOUR} or ${ONE} (file_read's own 0.1 CPU): median >= 500 calls/s`]: best >= 500,
            [`${FOUR_1CPU}: median >= 500 calls/s`]: rate[FOUR_1CPU]!.median >= 500,
          },
          notes: [
            "A session's limits are its calls' limits: file_read's 0.1 CPU (a 10 ms quota per 100 ms CFS period in a " +
              'session container) is shared by every call of the session, so one session sustains about ' +
              '0.1 s / (container CPU per call) calls/s. The 1 CPU row gives file_read 1 CPU (a catalog override) ' +
              'to show the machine without that quota.',
          ],
        },
      ];
    } finally {
      await Promise.all([cold.close(), sessions.close(), execs.close(), oneCpu.close()]);
    }
  },
};

const round = (v: number): number => +v.toFixed(3);
