// The README's test command (`pnpm test`) after the build. Runs jest three times:
//   1. the unit and integration projects, in parallel workers;
//   2. the fault project, serially (it kills and restarts hubs, workers and a
//      private Docker engine it starts itself, and runs a load test that
//      should have the machine's cores to itself);
//   3. the fleet project, serially (hosts made of network namespaces of its
//      own: a hub and workers over mutual TLS, a partition, a hub restart);
// then prints one plain summary line ("tests: N passed, N failed, N skipped").
// Both runs share one run id (BAAAHT_TEST_RUN_ID, kept when set): test
// workers carry it in their names, so leak checks count only this run's
// containers. Extra arguments are passed to both jest runs.
import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'baaaht-jest-'));
const env = {
  ...process.env,
  BAAAHT_TEST_RUN_ID: process.env.BAAAHT_TEST_RUN_ID || `r${randomBytes(4).toString('hex')}`,
};
const extra = process.argv.slice(2);
const runs = [
  { name: 'unit+integration', args: ['--selectProjects', 'unit', 'integration'] },
  { name: 'fault', args: ['--selectProjects', 'fault', '--runInBand'] },
  { name: 'fleet', args: ['--selectProjects', 'fleet', '--runInBand'] },
];
const totals = { passed: 0, failed: 0, skipped: 0, total: 0 };
let status = 0;
for (const run of runs) {
  const out = path.join(tmp, `${run.name}.json`);
  const r = spawnSync('pnpm', ['exec', 'jest', '--ci', '--json', `--outputFile=${out}`, ...run.args, ...extra], {
    stdio: 'inherit',
    env,
  });
  if (r.status !== 0) status = r.status ?? 1;
  if (!fs.existsSync(out)) {
    console.log(`tests (${run.name}): no results file (jest crashed before reporting)`);
    status = status || 1;
    continue;
  }
  const j = JSON.parse(fs.readFileSync(out, 'utf8'));
  totals.passed += j.numPassedTests;
  totals.failed += j.numFailedTests + (j.numRuntimeErrorTestSuites ?? 0);
  totals.skipped += j.numPendingTests + j.numTodoTests;
  totals.total += j.numTotalTests;
}
fs.rmSync(tmp, { recursive: true, force: true });
if (totals.total === 0) console.log('tests: 0 passed, 0 failed (no test ran)');
console.log(`tests: ${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
process.exit(status);
