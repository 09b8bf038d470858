import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Executor } from '@baaaht/executor';
import { OFFLINE_BUSYBOX_IMAGE } from '@baaaht/test-utils';
import type { BenchCase } from '../lib/bench-case';
import { withReference } from '../lib/report';
import type { CaseResult } from '../lib/report';
import { benchExecutor, readOneKb } from '../lib/setup';
import { interleave, ratio, summarizeAll, timeMs } from '../lib/stats';

const run = promisify(execFile);

const RUNC = 'executor, runc';
const RUNSC = 'executor, runsc';
const RUNSC_POOLED = 'executor, runsc, pooled';
const CLI_RUNC = 'docker run CLI, runc';
const CLI_RUNSC = 'docker run CLI, runsc';
const READ_RUNC = 'file_read, runc (gate)';
const READ_RUNSC = 'file_read, runsc (descriptor volumes)';
const READ_RUNSC_POOLED = 'file_read, runsc (descriptor volumes), pooled';

/** 1 KB on stdout from a tool without a workspace. */
async function printOneKb(executor: Executor): Promise<void> {
  const r = await executor.executeTask({ tool: 'bench_flood', params: { bytes: 1024 } });
  if (r.status !== 'completed' || r.stdout.length !== 1024)
    throw new Error(`executor: ${r.status} ${r.error?.message}`);
}

/** `docker run --rm --runtime R --network none IMAGE head -c 1024 /dev/zero`: what the issue measured. */
const dockerRun = (runtime: string) => (): Promise<unknown> =>
  run('docker', [
    'run',
    '--rm',
    '--label',
    'org.baaaht.managed=true',
    '--label',
    'org.baaaht.bench=cli',
    '--runtime',
    runtime,
    '--network',
    'none',
    OFFLINE_BUSYBOX_IMAGE,
    'head',
    '-c',
    '1024',
    '/dev/zero',
  ]);

/**
 * The gVisor tier's cost (issue 17, item 2): a cold call under runsc vs runc through the executor (pool off,
 * the same 1 KB tool and limits, gVisor's pids and memory budget applied), the warm pool under runsc, and the
 * plain docker CLI under both; then a 1 KB file_read, whose workspace under gVisor is mounted from held
 * descriptors (two volume calls per container), cold under both runtimes and pooled under runsc. Needs runsc
 * registered with the engine.
 */
export const runscCase: BenchCase = {
  key: 'runsc',
  async run({ config, ws, log }): Promise<CaseResult[]> {
    log('runsc: cold start under runsc vs runc (executor pool off and on, docker run CLI), 1 KB on stdout');
    const { stdout } = await run('docker', ['info', '--format', '{{json .Runtimes}}']);
    if (!Object.keys(JSON.parse(stdout) as object).includes('runsc'))
      throw new Error('runsc: gVisor is not registered with the engine (README "gVisor tier" says how)');
    const runc = await benchExecutor({ workerId: `bench-runc-${process.pid}` });
    const runsc = await benchExecutor({ workerId: `bench-runsc-${process.pid}`, runtime: 'runsc' });
    const pooled = await benchExecutor({
      workerId: `bench-runsc-pool-${process.pid}`,
      runtime: 'runsc',
      pool: { enabled: true },
    });
    try {
      const s = summarizeAll(
        await interleave(
          {
            [RUNC]: () => timeMs(() => printOneKb(runc)),
            [RUNSC]: () => timeMs(() => printOneKb(runsc)),
            [RUNSC_POOLED]: () => timeMs(() => printOneKb(pooled)),
            [CLI_RUNC]: () => timeMs(dockerRun('runc')),
            [CLI_RUNSC]: () => timeMs(dockerRun('runsc')),
          },
          config.rounds,
          config.warmups,
        ),
      );
      const r = summarizeAll(
        await interleave(
          {
            [READ_RUNC]: () => timeMs(() => readOneKb(runc, ws)),
            [READ_RUNSC]: () => timeMs(() => readOneKb(runsc, ws)),
            [READ_RUNSC_POOLED]: () => timeMs(() => readOneKb(pooled, ws)),
          },
          config.rounds,
          config.warmups,
        ),
      );
      return [
        {
          name: 'gVisor workspace call (1 KB file_read)',
          reference: READ_RUNC,
          summaries: withReference(r, READ_RUNC),
          ratios: {
            [`${READ_RUNSC} / ${READ_RUNC}`]: { value: ratio(r[READ_RUNSC]!, r[READ_RUNC]!) },
            [`${READ_RUNSC_POOLED} / ${READ_RUNC}`]: { value: ratio(r[READ_RUNSC_POOLED]!, r[READ_RUNC]!) },
          },
        },
        {
          name: 'gVisor cold start (1 KB on stdout, no workspace)',
          reference: RUNC,
          summaries: withReference(s, RUNC),
          ratios: {
            [`${RUNSC} / ${RUNC}`]: { value: ratio(s[RUNSC]!, s[RUNC]!) },
            [`${RUNSC_POOLED} / ${RUNC}`]: { value: ratio(s[RUNSC_POOLED]!, s[RUNC]!) },
            [`${CLI_RUNSC} / ${CLI_RUNC}`]: { value: ratio(s[CLI_RUNSC]!, s[CLI_RUNC]!) },
          },
        },
      ];
    } finally {
      await Promise.all([runc.close(), runsc.close(), pooled.close()]);
    }
  },
};
