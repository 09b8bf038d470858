// The benchmark suite (`pnpm bench`). Every comparison is measured interleaved
// in the same run and reported as a ratio; absolute times are informative only.
// Writes bench/results/<date>.json and bench/results/latest.md.
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { createToolCatalog, getToolSpec } from '@baaaht/tool-specs';
import { Agent } from '@baaaht/agent';
import type { TaskHandler } from '@baaaht/agent';
import { createHub, createHubClient } from '@baaaht/hub';
import { OFFLINE_BUSYBOX_IMAGE, offlineToolImages } from '@baaaht/test-utils';
import { dockerRunCli, oldGrepTool, prepareRuncBundle } from './lib/baselines';
import { cpuBusyShare, cpuSecondsOf, cpuSnapshot, rssOf } from './lib/cpu';
import { REPO, startBin, stopProcess, waitFor } from './lib/processes';
import { benchExecutor, includeWorkspace, manyFilesWorkspace, MiB, oneKbWorkspace } from './lib/setup';
import { interleave, summarize, timeMs } from './lib/stats';
import type { Summary } from './lib/stats';

const run = promisify(execFile);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 20);
const IDLE_SECONDS = Number(process.env.BENCH_IDLE_SECONDS ?? 60);
const THROUGHPUT_TASKS = Number(process.env.BENCH_THROUGHPUT_TASKS ?? 24);
const ONLY = process.env.BENCH_ONLY?.split(',');

interface CaseResult {
  name: string;
  summaries?: Record<string, Summary>;
  ratios?: Record<string, { value: number; target?: string; met?: boolean }>;
  values?: Record<string, number | string | boolean>;
}

const results: CaseResult[] = [];
const log = (s: string): void => void process.stderr.write(s + '\n');

function ratio(a: Summary, b: Summary): number {
  return a.median / b.median;
}

async function caseCold(ws: string): Promise<void> {
  log('cold: executor vs docker run CLI vs runc run (1 KB file_read)');
  const executor = await benchExecutor();
  const argv = ['cat', '--', '/workspace/file.txt'];
  const cli = dockerRunCli(OFFLINE_BUSYBOX_IMAGE, ws, argv);
  const runc = await prepareRuncBundle(OFFLINE_BUSYBOX_IMAGE, ws, argv);
  try {
    const samples = await interleave(
      {
        executor: () =>
          timeMs(async () => {
            const r = await executor.executeTask({ tool: 'file_read', params: { path: 'file.txt' }, mountSource: ws });
            if (r.status !== 'completed') throw new Error(`executor: ${r.status} ${r.error?.message}`);
          }),
        'docker run CLI': () => timeMs(cli),
        'runc run': () => timeMs(runc.run),
      },
      ROUNDS,
    );
    const s = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, summarize(v)]));
    const vsCli = ratio(s.executor!, s['docker run CLI']!);
    results.push({
      name: 'cold task (1 KB file_read)',
      summaries: s,
      ratios: {
        'executor / docker run CLI': { value: vsCli, target: '<= 0.45', met: vsCli <= 0.45 },
        'executor / runc run': { value: ratio(s.executor!, s['runc run']!) },
      },
    });
  } finally {
    await runc.cleanup();
    await executor.close();
  }
}

async function caseEndToEnd(ws: string): Promise<void> {
  log('end to end: hub + worker on a Unix socket vs the executor alone');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'baaaht-bench-e2e-'));
  const addr = `unix://${dir}/hub.sock`;
  const hub = startBin('orchestrator', ['serve', '--listen', addr, '--log-level', 'warn']);
  const images = Object.entries(offlineToolImages()).flatMap(([t, i]) => ['--tool-image', `${t}=${i}`]);
  const worker = startBin('worker', [
    '--orchestrator-addr',
    addr,
    '--name',
    'bench-worker',
    '--workspace-root',
    ws,
    '--max-concurrent-tasks',
    '4',
    '--log-level',
    'warn',
    '--pull-policy',
    'never',
    ...images,
  ]);
  const client = createHubClient(addr);
  const executor = await benchExecutor();
  try {
    await waitFor('worker registered', async () => {
      try {
        return (await client.workers()).some((w) => w.connected);
      } catch {
        return false;
      }
    });
    const samples = await interleave(
      {
        'hub + worker': () =>
          timeMs(async () => {
            const { taskId } = await client.submit({
              tool: 'file_read',
              params: { path: 'file.txt' },
              mountSource: ws,
            });
            const r = await client.wait(taskId);
            if (r.state !== 5 /* COMPLETED */) throw new Error(`e2e: state ${r.state} ${r.error?.message}`);
          }),
        'executor alone': () =>
          timeMs(async () => {
            const r = await executor.executeTask({ tool: 'file_read', params: { path: 'file.txt' }, mountSource: ws });
            if (r.status !== 'completed') throw new Error(`executor: ${r.status}`);
          }),
      },
      ROUNDS,
    );
    const s = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, summarize(v)]));
    const r = ratio(s['hub + worker']!, s['executor alone']!);
    results.push({
      name: 'end to end through hub and worker',
      summaries: s,
      ratios: { 'hub+worker / executor': { value: r, target: '<= 1.1', met: r <= 1.1 } },
    });

    // The worker idle: RSS and CPU over IDLE_SECONDS with heartbeats running.
    log(`idle worker: ${IDLE_SECONDS}s`);
    const pid = await workerNodePid(worker.pid!);
    const cpu0 = cpuSecondsOf(pid);
    let peakRss = rssOf(pid);
    const t0 = Date.now();
    while (Date.now() - t0 < IDLE_SECONDS * 1000) {
      await new Promise((r) => setTimeout(r, 1000));
      peakRss = Math.max(peakRss, rssOf(pid));
    }
    const cpuShare = (cpuSecondsOf(pid) - cpu0) / ((Date.now() - t0) / 1000);
    results.push({
      name: `idle worker (${IDLE_SECONDS} s, connected)`,
      values: {
        'peak RSS MB': +(peakRss / MiB).toFixed(1),
        'CPU %': +(cpuShare * 100).toFixed(2),
        'RSS < 80 MB': peakRss < 80 * MiB,
        'CPU < 1%': cpuShare < 0.01,
      },
    });
  } finally {
    client.close();
    await executor.close();
    await stopProcess(worker);
    await stopProcess(hub);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** bin/worker is a bash launcher that execs node; the pid is the node process once exec'd. */
async function workerNodePid(pid: number): Promise<number> {
  await waitFor('worker process', () => fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('node'));
  return pid;
}

async function caseDispatch(): Promise<void> {
  log('dispatch latency: submit on the hub to the task handler on an idle worker (Unix socket)');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'baaaht-bench-dispatch-'));
  const rounds = Math.max(20, ROUNDS * 2);
  const values: Record<string, number | boolean> = {};
  for (const store of ['memory', 'sqlite'] as const) {
    const hub = createHub(store === 'sqlite' ? { dataDir: path.join(dir, 'data') } : {});
    const address = await hub.listen(`unix://${dir}/${store}.sock`);
    const arrived = new Map<string, () => void>();
    // A handler that only notes when each task reaches it: the protocol's cost, no container.
    const handler: TaskHandler = {
      tools: () => ['file_read'],
      run: async (task) => {
        arrived.get(task.taskId)?.();
        return { status: 'completed', exitCode: 0, stdout: '', stderr: '', truncated: false, durationMs: 0 };
      },
      cancel: () => undefined,
    };
    const agent = Agent.create({ handler, address, maxConcurrentTasks: 4 });
    try {
      await agent.start();
      const samples: number[] = [];
      for (let i = 0; i < rounds; i++) {
        const taskId = `dispatch-${store}-${i}`;
        const reached = new Promise<void>((resolve) => arrived.set(taskId, resolve));
        const t0 = process.hrtime.bigint();
        const handle = hub.submit({ taskId, tool: 'file_read', params: { path: 'x' } });
        await reached;
        samples.push(Number(process.hrtime.bigint() - t0) / 1e6);
        await handle.result;
      }
      const s = summarize(samples);
      values[`${store} store median ms`] = +s.median.toFixed(2);
      values[`${store} store p95 ms`] = +s.p95.toFixed(2);
      values[`${store} store median < 20 ms`] = s.median < 20;
    } finally {
      await agent.close();
      await hub.close();
    }
  }
  fs.rmSync(dir, { recursive: true, force: true });
  results.push({ name: `dispatch latency (${rounds} tasks, submit to handler)`, values });
}

async function caseThroughput(ws: string): Promise<void> {
  log('throughput at 1, 2, 4, 8 concurrent tasks');
  const executor = await benchExecutor();
  const cli = dockerRunCli(OFFLINE_BUSYBOX_IMAGE, ws, ['cat', '--', '/workspace/file.txt']);
  const values: Record<string, number> = {};
  const pool = async (n: number, task: () => Promise<void>): Promise<{ perSec: number; cpu: number }> => {
    let left = THROUGHPUT_TASKS;
    const c0 = cpuSnapshot();
    const t0 = Date.now();
    await Promise.all(
      Array.from({ length: n }, async () => {
        while (left-- > 0) await task();
      }),
    );
    return { perSec: THROUGHPUT_TASKS / ((Date.now() - t0) / 1000), cpu: cpuBusyShare(c0, cpuSnapshot()) };
  };
  const exec = async (): Promise<void> => {
    const r = await executor.executeTask({ tool: 'file_read', params: { path: 'file.txt' }, mountSource: ws });
    if (r.status !== 'completed') throw new Error(`executor: ${r.status}`);
  };
  try {
    let cli4 = 0;
    let exec4 = 0;
    for (const n of [1, 2, 4, 8]) {
      const r = await pool(n, exec);
      values[`executor c=${n} tasks/s`] = +r.perSec.toFixed(2);
      values[`executor c=${n} machine CPU %`] = +(r.cpu * 100).toFixed(1);
      if (n === 4) {
        exec4 = r.perSec;
        const c = await pool(4, cli);
        cli4 = c.perSec;
        values['docker run CLI c=4 tasks/s'] = +c.perSec.toFixed(2);
        values['docker run CLI c=4 machine CPU %'] = +(c.cpu * 100).toFixed(1);
      }
    }
    const r = exec4 / cli4;
    results.push({
      name: `throughput (${THROUGHPUT_TASKS} tasks per level)`,
      values,
      ratios: { 'executor c=4 / CLI c=4 (tasks/s)': { value: r, target: '>= 1.7', met: r >= 1.7 } },
    });
  } finally {
    await executor.close();
  }
}

async function caseFlood(): Promise<void> {
  log('50 MB of tool output');
  const child = spawn(
    path.join(REPO, 'node_modules', '.bin', 'tsx'),
    [path.join(__dirname, 'fixtures', 'flood-child.ts'), String(50 * MiB)],
    {
      env: { ...process.env, TSX_TSCONFIG_PATH: path.join(REPO, 'tsconfig.json') },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  const code = await new Promise<number>((r) => child.on('exit', (c) => r(c ?? 1)));
  if (code !== 0) throw new Error('flood child failed');
  const r = JSON.parse(out) as {
    ms: number;
    before: number;
    peak: number;
    status: string;
    truncated: boolean;
    dropped: number;
  };
  const growth = (r.peak - r.before) / MiB;
  results.push({
    name: '50 MB stdout',
    values: {
      'time ms': Math.round(r.ms),
      'peak RSS growth MB': +growth.toFixed(1),
      'growth < 20 MB': growth < 20,
      truncated: r.truncated,
      'dropped MB': +(r.dropped / MiB).toFixed(1),
    },
  });
}

async function caseGrep(): Promise<void> {
  log('CPU-bound grep over 5,000 files: seed limit 0.2 CPU vs 1 CPU');
  const ws = manyFilesWorkspace(5000);
  const seed = await benchExecutor();
  const oneCpu = await benchExecutor({
    workerId: `bench-1cpu-${process.pid}`,
    catalog: createToolCatalog({ overrides: { grep: { resources: { cpus: 1 } } } }),
  });
  const grep = (ex: typeof seed) => () =>
    timeMs(async () => {
      const r = await ex.executeTask({
        tool: 'grep',
        params: { pattern: 'needle', path: '.', regex: false },
        mountSource: ws,
      });
      if (r.status !== 'completed') throw new Error(`grep: ${r.status} ${r.error?.message}`);
    });
  try {
    const samples = await interleave(
      { '0.2 CPU (seed)': grep(seed), '1 CPU': grep(oneCpu) },
      Math.max(3, Math.floor(ROUNDS / 4)),
    );
    const s = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, summarize(v)]));
    results.push({
      name: 'grep over 5,000 files',
      summaries: s,
      ratios: { '0.2 CPU / 1 CPU': { value: ratio(s['0.2 CPU (seed)']!, s['1 CPU']!) } },
    });
  } finally {
    await seed.close();
    await oneCpu.close();
    fs.rmSync(ws, { recursive: true, force: true });
  }
}

async function caseGrepInclude(): Promise<void> {
  const [tsFiles, logs, logMiB] = [40, 8, 5];
  log(
    `grep with include over ${tsFiles} .ts files and ${logs * logMiB} MB of .log files: the walk vs grep -r + filter`,
  );
  const ws = includeWorkspace(tsFiles, logs, logMiB);
  const many = manyFilesWorkspace(5000);
  const executor = await benchExecutor({
    workerId: `bench-include-${process.pid}`,
    catalog: createToolCatalog({ custom: [oldGrepTool(getToolSpec('grep'))] }),
    imageOverrides: { ...offlineToolImages(), bench_old_grep: OFFLINE_BUSYBOX_IMAGE },
  });
  // Both tools must print the same number of matches: only how they get there differs.
  const grep = (tool: string, dir: string, params: Record<string, unknown>, expected: number) => () =>
    timeMs(async () => {
      const r = await executor.executeTask({ tool, params: { pattern: 'needle', ...params }, mountSource: dir });
      if (r.status !== 'completed') throw new Error(`${tool}: ${r.status} ${r.error?.message}`);
      const n = r.stdout.split('\n').filter(Boolean).length;
      if (n !== expected) throw new Error(`${tool}: ${n} matches, expected ${expected}`);
    });
  const regex = { pattern: 'needle|FIXME', regex: true };
  const hits = tsFiles / 5;
  const manyHits = Math.ceil(5000 / 97);
  try {
    const samples = await interleave(
      {
        'new, include *.ts': grep('grep', ws, { include: '*.ts' }, hits),
        'old, include *.ts': grep('bench_old_grep', ws, { include: '*.ts' }, hits),
        'new, include *.ts, regex': grep('grep', ws, { include: '*.ts', ...regex }, hits),
        'old, include *.ts, regex': grep('bench_old_grep', ws, { include: '*.ts', ...regex }, hits),
        'new, 5,000 small files, no include': grep('grep', many, {}, manyHits),
        'old, 5,000 small files, no include': grep('bench_old_grep', many, {}, manyHits),
      },
      Math.max(3, Math.floor(ROUNDS / 4)),
    );
    const s = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, summarize(v)]));
    const pair = (what: string) => ({ value: ratio(s[`new, ${what}`]!, s[`old, ${what}`]!) });
    results.push({
      name: `grep with include (${tsFiles} small .ts files beside ${logs * logMiB} MB of .log files)`,
      summaries: s,
      ratios: {
        'new / old, include *.ts': pair('include *.ts'),
        'new / old, include *.ts, regex': pair('include *.ts, regex'),
        'new / old, 5,000 small files, no include': pair('5,000 small files, no include'),
      },
    });
  } finally {
    await executor.close();
    fs.rmSync(ws, { recursive: true, force: true });
    fs.rmSync(many, { recursive: true, force: true });
  }
}

function render(machine: Record<string, string | number>): string {
  const lines: string[] = [];
  lines.push(`# Benchmark results, ${machine.date}`, '');
  lines.push(
    `Machine: ${machine.cpus} x ${machine.cpuModel}, ${machine.memGiB} GiB, ${machine.os}, Docker ${machine.docker}, Node ${machine.node}.`,
  );
  lines.push(`Rounds per comparison: ${ROUNDS}, interleaved. Times in ms.`, '');
  for (const c of results) {
    lines.push(`## ${c.name}`, '');
    if (c.summaries) {
      lines.push('| variant | min | median | p95 |', '| --- | ---: | ---: | ---: |');
      for (const [k, s] of Object.entries(c.summaries))
        lines.push(`| ${k} | ${s.min.toFixed(1)} | ${s.median.toFixed(1)} | ${s.p95.toFixed(1)} |`);
      lines.push('');
    }
    if (c.values) {
      lines.push('| measure | value |', '| --- | ---: |');
      for (const [k, v] of Object.entries(c.values)) lines.push(`| ${k} | ${v} |`);
      lines.push('');
    }
    if (c.ratios) {
      lines.push('| ratio (medians) | value | target | met |', '| --- | ---: | --- | --- |');
      for (const [k, r] of Object.entries(c.ratios))
        lines.push(
          `| ${k} | ${r.value.toFixed(2)} | ${r.target ?? ''} | ${r.met === undefined ? '' : r.met ? 'yes' : 'NO'} |`,
        );
      lines.push('');
    }
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  const { stdout: dockerVersion } = await run('docker', ['version', '--format', '{{.Server.Version}}']);
  const ws = oneKbWorkspace();
  const want = (name: string): boolean => !ONLY || ONLY.includes(name);
  try {
    if (want('cold')) await caseCold(ws);
    if (want('e2e')) await caseEndToEnd(ws);
    if (want('dispatch')) await caseDispatch();
    if (want('throughput')) await caseThroughput(ws);
    if (want('flood')) await caseFlood();
    if (want('grep')) await caseGrep();
    if (want('grep-include')) await caseGrepInclude();
  } finally {
    fs.rmSync(ws, { recursive: true, force: true });
  }
  const date = new Date().toISOString();
  const machine = {
    date,
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    memGiB: Math.round(os.totalmem() / 2 ** 30),
    os: `${os.type()} ${os.release()}`,
    docker: dockerVersion.trim(),
    node: process.version,
  };
  const outDir = path.join(REPO, 'bench', 'results');
  fs.mkdirSync(outDir, { recursive: true });
  // A partial run (BENCH_ONLY) never replaces the full results the README links to.
  const stamp = date.slice(0, 10) + (ONLY ? '-partial' : '');
  const mdName = ONLY ? 'partial.md' : 'latest.md';
  fs.writeFileSync(
    path.join(outDir, `${stamp}.json`),
    JSON.stringify({ machine, rounds: ROUNDS, results }, null, 2) + '\n',
  );
  const md = render(machine);
  fs.writeFileSync(path.join(outDir, mdName), md + '\n');
  process.stdout.write(md + '\n');
  log(`wrote bench/results/${stamp}.json and bench/results/${mdName}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
