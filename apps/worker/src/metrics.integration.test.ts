/**
 * `/metrics` end to end: a real `orchestrator serve --metrics-listen` and a real worker with
 * `--status-addr`, one `file_read` task through both, then both endpoints scraped. The worker's
 * page carries the worker's, the executor's and the agent's metrics and the process metrics on one
 * registry; the orchestrator's carries the hub's and the process metrics.
 */
import fs from 'node:fs';
import path from 'node:path';
import { OFFLINE_BUSYBOX_IMAGE, createTempWorkspace, runScopedName } from '@baaaht/test-utils';
import type { TempWorkspace } from '@baaaht/test-utils';
import { cleanEnv, leftoverContainers, runCli } from './test-support/cli-process';
import { startCliStack } from './test-support/cli-stack';
import type { CliStack } from './test-support/cli-stack';
import { loopbackPolicyYaml } from './test-support/fake-web';
import { documentedMetrics } from './test-support/metrics-table';
import { parsePromText, sampleValue } from './test-support/prom-text';

jest.setTimeout(120_000);

const workerName = runScopedName('cli-metrics');
const PROCESS_METRICS = ['process_cpu_seconds_total', 'process_resident_memory_bytes', 'nodejs_eventloop_lag_seconds'];

let ws: TempWorkspace;
let stack: CliStack;

async function scrape(address: string | undefined): Promise<string> {
  const res = await fetch(`http://${address as string}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
  return res.text();
}

/**
 * Scrapes until `check` stops throwing (a result is counted when its report lands, a moment after
 * `orchestrator exec` has printed it), then runs it once more so its failure is the test's.
 */
async function scrapeUntil(address: string | undefined, check: (text: string) => void): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const text = await scrape(address);
    try {
      check(text);
      return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

/** `# TYPE` of each metric, asserting that no name is declared twice. */
function types(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (m === null) continue;
    expect(out.has(m[1] as string)).toBe(false);
    out.set(m[1] as string, m[2] as string);
  }
  return out;
}

function expectTypes(text: string, expected: Record<string, string>): void {
  const declared = types(text);
  for (const [name, type] of Object.entries(expected)) expect([name, declared.get(name)]).toEqual([name, type]);
}

beforeAll(async () => {
  ws = createTempWorkspace({ files: { 'notes.txt': 'alpha\nbeta\n' }, owner: { uid: 1234, gid: 1234 } });
  const policyFile = path.join(cleanEnv()['HOME'] as string, 'policy.yaml');
  // Only file_read runs here: the policy's web port is never used.
  fs.writeFileSync(policyFile, loopbackPolicyYaml(ws.dir, 9));
  stack = await startCliStack({
    workerName,
    policyFile,
    images: `*=${OFFLINE_BUSYBOX_IMAGE}`,
    workerArgs: ['--status-addr', '127.0.0.1:0'],
    orchestratorArgs: ['--metrics-listen', '127.0.0.1:0'],
  });
  const r = await runCli('orchestrator', [
    'exec',
    'file_read',
    '--mount',
    ws.dir,
    '--param',
    'path=notes.txt',
    '--addr',
    stack.addr,
  ]);
  expect([r.code, r.stdout]).toEqual([0, 'alpha\nbeta\n']);
});

afterAll(async () => {
  await stack?.stop();
  ws?.cleanup();
  expect(leftoverContainers(workerName)).toEqual([]);
});

describe("the worker's /metrics", () => {
  it("carries the worker's own metrics and the process metrics, on loopback", async () => {
    expect(stack.statusAddr).toMatch(/^127\.0\.0\.1:\d+$/);
    await scrapeUntil(stack.statusAddr, (text) => {
      expect(sampleValue(text, 'baaaht_worker_tasks_total', { status: 'completed' })).toBe(1);
      expect(sampleValue(text, 'baaaht_worker_tasks_total', { status: 'oom' })).toBe(0);
      expect(sampleValue(text, 'baaaht_worker_tasks_started_total', { tool: 'file_read' })).toBe(1);
      expect(sampleValue(text, 'baaaht_worker_connection_state', { state: 'ready' })).toBe(1);
      expect(sampleValue(text, 'baaaht_worker_running_tasks')).toBe(0);
      for (const name of PROCESS_METRICS) expect([name, sampleValue(text, name)]).toEqual([name, expect.any(Number)]);
      expectTypes(text, { process_cpu_seconds_total: 'counter', nodejs_eventloop_lag_seconds: 'gauge' });
    });
  });

  // Needs the executor's emissions (branch i14-exec).
  it("carries the executor's metrics of the task it ran", async () => {
    await scrapeUntil(stack.statusAddr, (text) => {
      expectTypes(text, {
        baaaht_executor_tasks_total: 'counter',
        baaaht_executor_task_duration_seconds: 'histogram',
        baaaht_executor_container_start_seconds: 'histogram',
        baaaht_executor_containers_total: 'counter',
        baaaht_executor_egress_decisions_total: 'counter',
        baaaht_executor_tasks_active: 'gauge',
        baaaht_executor_tasks_queued: 'gauge',
      });
      const completed = { tool: 'file_read', status: 'completed' };
      expect(sampleValue(text, 'baaaht_executor_tasks_total', completed)).toBe(1);
      expect(sampleValue(text, 'baaaht_executor_task_duration_seconds_count', completed)).toBe(1);
      expect(sampleValue(text, 'baaaht_executor_task_duration_seconds_sum', completed)).toBeGreaterThan(0);
      expect(sampleValue(text, 'baaaht_executor_task_duration_seconds_bucket', { ...completed, le: '+Inf' })).toBe(1);
      expect(
        sampleValue(text, 'baaaht_executor_container_start_seconds_count', { tool: 'file_read' }),
      ).toBeGreaterThanOrEqual(1);
      expect(sampleValue(text, 'baaaht_executor_tasks_active')).toBe(0);
      expect(sampleValue(text, 'baaaht_executor_tasks_queued')).toBe(0);
    });
  });

  // Needs the agent's emissions (branch i14-agent).
  it("carries the agent's metrics", async () => {
    await scrapeUntil(stack.statusAddr, (text) => {
      expectTypes(text, {
        baaaht_agent_connection_state: 'gauge',
        baaaht_agent_reconnects_total: 'counter',
        baaaht_agent_tasks_received_total: 'counter',
        baaaht_agent_results_reported_total: 'counter',
        baaaht_agent_heartbeat_failures_total: 'counter',
      });
      expect(sampleValue(text, 'baaaht_agent_tasks_received_total', { tool: 'file_read' })).toBe(1);
      expect(sampleValue(text, 'baaaht_agent_results_reported_total', { status: 'completed' })).toBe(1);
      const current = parsePromText(text).filter((s) => s.name === 'baaaht_agent_connection_state' && s.value === 1);
      expect(current.map((s) => (s.labels['state'] ?? '').toLowerCase())).toEqual(['ready']);
    });
  });
});

describe("the orchestrator's /metrics (--metrics-listen)", () => {
  it('carries the process metrics and answers /healthz, on loopback', async () => {
    expect(stack.metricsAddr).toMatch(/^127\.0\.0\.1:\d+$/);
    const text = await scrape(stack.metricsAddr);
    for (const name of PROCESS_METRICS) expect([name, sampleValue(text, name)]).toEqual([name, expect.any(Number)]);
    types(text);
    const health = await fetch(`http://${stack.metricsAddr as string}/healthz`);
    expect([health.status, await health.text()]).toEqual([200, 'ok\n']);
  });

  // Needs the hub's emissions (branch i14-hub).
  it("carries the hub's metrics of the task it dispatched", async () => {
    await scrapeUntil(stack.metricsAddr, (text) => {
      expectTypes(text, {
        baaaht_hub_tasks_submitted_total: 'counter',
        baaaht_hub_tasks_finished_total: 'counter',
        baaaht_hub_dispatch_latency_seconds: 'histogram',
        baaaht_hub_task_duration_seconds: 'histogram',
        baaaht_hub_tasks_requeued_total: 'counter',
        baaaht_hub_tasks_queued: 'gauge',
        baaaht_hub_tasks_running: 'gauge',
        baaaht_hub_workers: 'gauge',
      });
      expect(sampleValue(text, 'baaaht_hub_tasks_submitted_total', { tool: 'file_read' })).toBe(1);
      expect(sampleValue(text, 'baaaht_hub_dispatch_latency_seconds_count', { tool: 'file_read' })).toBe(1);
      const completed = { tool: 'file_read', state: 'completed' };
      expect(sampleValue(text, 'baaaht_hub_tasks_finished_total', completed)).toBe(1);
      expect(sampleValue(text, 'baaaht_hub_task_duration_seconds_count', completed)).toBe(1);
      expect(sampleValue(text, 'baaaht_hub_tasks_queued')).toBe(0);
      expect(sampleValue(text, 'baaaht_hub_tasks_running')).toBe(0);
    });
  });
});

describe('the README metrics table', () => {
  it('documents every baaaht_* metric either page exposes, with its type and labels', async () => {
    const documented = documentedMetrics();
    for (const address of [stack.statusAddr, stack.metricsAddr]) {
      const text = await scrape(address);
      for (const [name, type] of types(text)) {
        if (!name.startsWith('baaaht_')) continue;
        expect([name, documented.get(name)?.type]).toEqual([name, type]);
        const labels = new Set(
          parsePromText(text)
            .filter((s) => s.name === name || s.name.startsWith(`${name}_`))
            .flatMap((s) => Object.keys(s.labels))
            .filter((l) => l !== 'le'),
        );
        for (const label of labels)
          expect([name, documented.get(name)?.labels]).toEqual([name, expect.arrayContaining([label])]);
      }
    }
  });
});
