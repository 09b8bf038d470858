// Warm pool vs cold (issue 15 item 1): a 1 KB file_read through the executor with the pool off and on,
// interleaved, then sustained load (c=4) with the pool off and on. Informative numbers, no asserts.
//
//   TSX_TSCONFIG_PATH=tsconfig.json pnpm exec tsx scripts/measure-pool.ts [rounds=40] [loadCalls=200]
//
// `measurePool()` is exported for the bench runner (bench/cases/pool.ts can wrap it).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createExecutor } from '@baaaht/executor';
import type { Executor } from '@baaaht/executor';
import { offlineToolImages, RecordingMeter } from '@baaaht/test-utils';

export interface Stats {
  n: number;
  median: number;
  p95: number;
  mean: number;
}

export interface PoolMeasurement {
  rounds: number;
  sequential: { cold: Stats; pooled: Stats; ratio: number; hits: number };
  load: {
    concurrency: number;
    calls: number;
    off: { seconds: number; callsPerSecond: number; latency: Stats };
    on: { seconds: number; callsPerSecond: number; latency: Stats; hits: number };
  };
}

const HITS = 'baaaht_executor_pool_hits_total';
const CONTAINERS = 'baaaht_executor_pool_containers';

function stats(xs: number[]): Stats {
  const s = [...xs].sort((a, b) => a - b);
  const at = (q: number): number => s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)] ?? NaN;
  return { n: s.length, median: at(0.5), p95: at(0.95), mean: s.reduce((a, b) => a + b, 0) / s.length };
}

async function open(name: string, pool: boolean, meter: RecordingMeter): Promise<Executor> {
  return createExecutor({
    workerId: `measure-pool-${name}-${process.pid}`,
    imageOverrides: offlineToolImages(),
    pullPolicy: 'never',
    reapIntervalMs: 0,
    metrics: meter,
    pool: { enabled: pool },
  });
}

async function read(ex: Executor, dir: string): Promise<number> {
  const t0 = performance.now();
  const r = await ex.executeTask({ tool: 'file_read', params: { path: 'file.txt' }, mountSource: dir });
  const ms = performance.now() - t0;
  if (r.status !== 'completed' || r.stdout.length !== 1024) throw new Error(`file_read ${r.status}: ${r.stderr}`);
  return ms;
}

async function untilReady(meter: RecordingMeter): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if ((meter.last(CONTAINERS, { state: 'ready' }) ?? 0) >= 1) return;
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function load(
  ex: Executor,
  dir: string,
  calls: number,
  concurrency: number,
): Promise<{ seconds: number; latencies: number[] }> {
  const latencies: number[] = [];
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < calls) {
        next++;
        latencies.push(await read(ex, dir));
      }
    }),
  );
  return { seconds: (performance.now() - t0) / 1000, latencies };
}

export async function measurePool(rounds = 40, loadCalls = 200, concurrency = 4): Promise<PoolMeasurement> {
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'baaaht-measure-pool-')));
  fs.writeFileSync(path.join(dir, 'file.txt'), 'x'.repeat(1023) + '\n');
  fs.chmodSync(dir, 0o755);
  const coldMeter = new RecordingMeter();
  const warmMeter = new RecordingMeter();
  const cold = await open('off', false, coldMeter);
  const warm = await open('on', true, warmMeter);
  try {
    for (let i = 0; i < 3; i++) {
      await read(cold, dir);
      await read(warm, dir);
      await untilReady(warmMeter);
    }
    const hits0 = warmMeter.total(HITS);
    const c: number[] = [];
    const w: number[] = [];
    for (let i = 0; i < rounds; i++) {
      c.push(await read(cold, dir));
      await untilReady(warmMeter);
      w.push(await read(warm, dir));
    }
    const seqHits = warmMeter.total(HITS) - hits0;
    await cold.idle();
    await warm.idle();
    const half = Math.ceil(loadCalls / 2);
    const off: number[] = [];
    const on: number[] = [];
    let offSeconds = 0;
    let onSeconds = 0;
    const loadHits0 = warmMeter.total(HITS);
    for (let i = 0; i < 2; i++) {
      const a = await load(cold, dir, half, concurrency);
      off.push(...a.latencies);
      offSeconds += a.seconds;
      await cold.idle();
      const b = await load(warm, dir, half, concurrency);
      on.push(...b.latencies);
      onSeconds += b.seconds;
      await warm.idle();
    }
    const coldStats = stats(c);
    const pooledStats = stats(w);
    return {
      rounds,
      sequential: { cold: coldStats, pooled: pooledStats, ratio: pooledStats.median / coldStats.median, hits: seqHits },
      load: {
        concurrency,
        calls: half * 2,
        off: { seconds: offSeconds, callsPerSecond: (half * 2) / offSeconds, latency: stats(off) },
        on: {
          seconds: onSeconds,
          callsPerSecond: (half * 2) / onSeconds,
          latency: stats(on),
          hits: warmMeter.total(HITS) - loadHits0,
        },
      },
    };
  } finally {
    await cold.close();
    await warm.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  const [rounds, calls] = process.argv.slice(2).map(Number);
  measurePool(rounds || 40, calls || 200).then(
    (m) => process.stdout.write(JSON.stringify(m, null, 2) + '\n'),
    (err: unknown) => {
      process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
