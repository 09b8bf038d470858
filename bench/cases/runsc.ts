import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Executor } from '@baaaht/executor';
import { OFFLINE_BUSYBOX_IMAGE } from '@baaaht/test-utils';
import type { BenchCase } from '../lib/bench-case';
import { withReference } from '../lib/report';
import { benchExecutor } from '../lib/setup';
import { interleave, ratio, summarizeAll, timeMs } from '../lib/stats';

const run = promisify(execFile);

const RUNC = 'executor, runc';
const RUNSC = 'executor, runsc';
const RUNSC_POOLED = 'executor, runsc, pooled';
const CLI_RUNC = 'docker run CLI, runc';
const CLI_RUNSC = 'docker run CLI, runsc';

/** 1 KB on stdout from a tool without a workspace (gVisor refuses workspace tools: MOUNT_PIN_UNAVAILABLE). */
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
 * plain docker CLI under both. Needs runsc registered with the engine.
 */
export const runscCase: BenchCase = {
  key: 'runsc',
  async run({ config, log }) {
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
      return [
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
