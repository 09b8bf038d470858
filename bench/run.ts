// The benchmark suite (`pnpm bench`): runs the cases in bench/cases (all, or those named in BENCH_ONLY)
// and writes bench/results/<date>.json and bench/results/latest.md (partial runs: <date>-partial.json
// and partial.md). Method and knobs: bench/README.md.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { coldCase } from './cases/cold';
import { dispatchCase } from './cases/dispatch';
import { endToEndCase } from './cases/end-to-end';
import { floodCase } from './cases/flood';
import { grepCase } from './cases/grep';
import { grepIncludeCase } from './cases/grep-include';
import { idleCase } from './cases/idle';
import { peerSandboxRuntimeCase } from './cases/peer-sandbox-runtime';
import { poolCase } from './cases/pool';
import { sessionCase } from './cases/session';
import { sessionEndToEndCase } from './cases/session-e2e';
import { sessionsIdleCase } from './cases/sessions-idle';
import { runscCase } from './cases/runsc';
import { throughputCase } from './cases/throughput';
import type { BenchCase } from './lib/bench-case';
import { benchConfig } from './lib/config';
import { REPO } from './lib/processes';
import { render } from './lib/report';
import type { CaseResult, Machine } from './lib/report';
import { oneKbWorkspace } from './lib/setup';
import { P95_MIN_SAMPLES } from './lib/stats';

/** In the order they run. */
const CASES: BenchCase[] = [
  coldCase,
  poolCase,
  sessionCase,
  endToEndCase,
  sessionEndToEndCase,
  peerSandboxRuntimeCase,
  idleCase,
  sessionsIdleCase,
  dispatchCase,
  throughputCase,
  floodCase,
  grepCase,
  grepIncludeCase,
  runscCase,
];

const log = (s: string): void => void process.stderr.write(s + '\n');

async function main(): Promise<void> {
  const config = benchConfig();
  const unknown = (config.only ?? []).filter((k) => !CASES.some((c) => c.key === k));
  if (unknown.length > 0)
    throw new TypeError(
      `BENCH_ONLY: unknown case ${unknown.join(', ')} (cases: ${CASES.map((c) => c.key).join(', ')})`,
    );
  const { stdout: dockerVersion } = await promisify(execFile)('docker', ['version', '--format', '{{.Server.Version}}']);
  const ws = oneKbWorkspace();
  const loadBefore = os.loadavg()[0]!;
  const results: CaseResult[] = [];
  try {
    for (const c of CASES)
      if (config.only === undefined || config.only.includes(c.key)) results.push(...(await c.run({ config, ws, log })));
  } finally {
    fs.rmSync(ws, { recursive: true, force: true });
  }
  const date = new Date().toISOString();
  const machine: Machine = {
    date,
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    memGiB: Math.round(os.totalmem() / 2 ** 30),
    os: `${os.type()} ${os.release()}`,
    docker: dockerVersion.trim(),
    node: process.version,
    // Other work on the host shows here: a shared 2-core machine near load 2 is already full.
    load: `${loadBefore.toFixed(2)} at the start, ${os.loadavg()[0]!.toFixed(2)} at the end (1-minute average)`,
  };
  const outDir = path.join(REPO, 'bench', 'results');
  fs.mkdirSync(outDir, { recursive: true });
  // A partial run (BENCH_ONLY) never replaces the full results the README links to.
  const partial = config.only !== undefined;
  const stamp = date.slice(0, 10) + (partial ? '-partial' : '');
  const mdName = partial ? 'partial.md' : 'latest.md';
  const method = {
    rounds: config.rounds,
    warmups: config.warmups,
    interleaved: true,
    p95: `nearest rank, null when n < ${P95_MIN_SAMPLES}`,
    throughputTasks: config.throughputTasks,
    throughputRepeats: config.throughputRepeats,
  };
  fs.writeFileSync(
    path.join(outDir, `${stamp}.json`),
    JSON.stringify({ machine, rounds: config.rounds, method, results }, null, 2) + '\n',
  );
  const md = render(results, machine, config);
  fs.writeFileSync(path.join(outDir, mdName), md + '\n');
  process.stdout.write(md + '\n');
  log(`wrote bench/results/${stamp}.json and bench/results/${mdName}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
