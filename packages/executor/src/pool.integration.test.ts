import { createTempWorkspace, RecordingMeter } from '@baaaht/test-utils';
import type { TempWorkspace } from '@baaaht/test-utils';
import type { Executor } from './executor';
import { POOL_METRICS } from './pool-metrics';
import { openTestExecutor, testWorkerId, until, workerContainers } from './test-support/integration';

jest.setTimeout(120_000);

const OWNER = { uid: 1234, gid: 1234 };
const workerId = testWorkerId('pool');
let ex: Executor;
let meter: RecordingMeter;
let ws: TempWorkspace;

beforeAll(async () => {
  meter = new RecordingMeter();
  ex = await openTestExecutor(workerId, { metrics: meter });
  ws = createTempWorkspace({ files: { 'a.txt': 'x'.repeat(1024) }, owner: OWNER });
});

afterAll(async () => {
  await ex.close();
  ws.cleanup();
  expect(workerContainers(workerId)).toEqual([]);
});

it('smoke: second read is a hit', async () => {
  const r1 = await ex.executeTask({ tool: 'file_read', params: { path: 'a.txt' }, mountSource: ws.dir });
  expect(r1.status).toBe('completed');
  await until(() => workerContainers(workerId).length === 1, 'a pooled container');
  await new Promise((r) => setTimeout(r, 1000));
  const t0 = Date.now();
  const r2 = await ex.executeTask({ tool: 'file_read', params: { path: 'a.txt' }, mountSource: ws.dir });
  console.log('hit took', Date.now() - t0, r2.status, r2.stderr, r2.error);
  expect(r2.stdout).toBe(r1.stdout);
  expect(r2.containerId).not.toBe(r1.containerId);
  console.log(meter.total(POOL_METRICS.hits), meter.total(POOL_METRICS.misses), meter.total(POOL_METRICS.discarded));
});
