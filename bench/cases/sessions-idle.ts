import { execFileSync } from 'node:child_process';
import { LABELS } from '@baaaht/executor';
import type { BenchCase } from '../lib/bench-case';
import { containerCgroup } from '../lib/cgroup';
import { cpuSecondsOf, rssOf } from '../lib/cpu';
import { MiB } from '../lib/setup';
import { startStack } from '../lib/stack';
import { median } from '../lib/stats';
import { submitAndWait } from './session-e2e';

const SESSIONS = 20;
const TAG = 'sessions-idle';
/** Longest idle window; `BENCH_IDLE_SECONDS` shortens it. */
const MAX_IDLE_SECONDS = 30;

/** The worker's running session containers, from the engine (labels: this worker's id, `session=1`). */
function sessionContainers(workerId: string): string[] {
  const out = execFileSync(
    'docker',
    [
      'ps',
      '-q',
      '--no-trunc',
      '--filter',
      `label=${LABELS.workerId}=${workerId}`,
      '--filter',
      `label=${LABELS.session}=1`,
    ],
    { encoding: 'utf8' },
  );
  return out.split('\n').filter(Boolean);
}

/** Peak RSS and CPU share of `pid` over `seconds`, sampled every second. */
async function idleFor(pid: number, seconds: number): Promise<{ peakRss: number; cpuShare: number }> {
  const cpu0 = cpuSecondsOf(pid);
  let peakRss = rssOf(pid);
  const t0 = Date.now();
  while (Date.now() - t0 < seconds * 1000) {
    await new Promise((r) => setTimeout(r, 1000));
    peakRss = Math.max(peakRss, rssOf(pid));
  }
  return { peakRss, cpuShare: (cpuSecondsOf(pid) - cpu0) / ((Date.now() - t0) / 1000) };
}

/**
 * A connected `bin/worker --sessions` idle twice: after 20 calls in one session (the no-sessions-open
 * baseline is the `idle` case), then with 20 idle sessions open: its RSS and CPU, how many session
 * containers the engine runs for it, and their memory from their cgroups.
 */
export const sessionsIdleCase: BenchCase = {
  key: 'sessions-idle',
  async run({ config, ws, log }) {
    const seconds = Math.min(config.idleSeconds, MAX_IDLE_SECONDS);
    log(`idle worker with ${SESSIONS} idle sessions: ${seconds}s`);
    const stack = await startStack(ws, TAG, ['--sessions', '--max-sessions', String(SESSIONS + 4)]);
    try {
      const pid = await stack.workerPid();
      for (let i = 0; i < SESSIONS; i++) await submitAndWait(stack, ws, 'one');
      const one = await idleFor(pid, seconds);
      for (let i = 0; i < SESSIONS; i++) await submitAndWait(stack, ws, `idle-${i}`);
      const all = await idleFor(pid, seconds);
      const ids = sessionContainers(stack.name);
      const cgroups = ids.map((id) => containerCgroup(id)).filter((c) => c !== undefined);
      const sum = (f: (c: NonNullable<(typeof cgroups)[number]>) => number): number =>
        cgroups.reduce((a, c) => a + f(c), 0);
      const mb = (bytes: number): number => +(bytes / MiB).toFixed(1);
      return [
        {
          name: `idle worker with ${SESSIONS} idle sessions (${seconds} s each)`,
          values: {
            'worker peak RSS MB, 1 session open': mb(one.peakRss),
            [`worker peak RSS MB, ${SESSIONS + 1} sessions open`]: mb(all.peakRss),
            [`worker CPU %, ${SESSIONS + 1} sessions open`]: +(all.cpuShare * 100).toFixed(2),
            'session containers running (engine, by label)': ids.length,
            'session containers memory MB (cgroup usage, page cache included)': mb(sum((c) => c.memoryBytes())),
            'session containers RSS MB (cgroup rss)': mb(sum((c) => c.rssBytes())),
            'session container RSS MB, median':
              cgroups.length === 0 ? 'n/a' : mb(median(cgroups.map((c) => c.rssBytes()))),
            'container cgroups read': `${cgroups.length} of ${ids.length}${cgroups[0] ? ` (${cgroups[0].where})` : ''}`,
          },
        },
      ];
    } finally {
      await stack.close();
    }
  },
};
