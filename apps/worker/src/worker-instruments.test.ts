import { Registry } from 'prom-client';
import { TASK_STATUSES } from '@baaaht/executor';
import { PromMeter } from './prom-meter';
import { startStatusServer } from './status-server';
import { WORKER_METRIC_NAMES, registerWorkerInstruments, renderPrometheus } from './worker-instruments';
import { WorkerMetrics } from './worker-metrics';
import { documentedMetrics } from './test-support/metrics-table';

describe('the worker metrics through prom-client', () => {
  it('keeps the names, types, labels and values the hand-written text had', async () => {
    let t = 0;
    const metrics = new WorkerMetrics({ name: 'w "1"\\x\ny', version: '1.2.3', now: () => t });
    metrics.setConnection('connecting');
    metrics.setConnection('ready');
    metrics.setRegistered('wid');
    metrics.taskStarted('grep');
    metrics.taskStarted('list');
    metrics.taskFinished('denied');
    metrics.taskFinished('weird');
    metrics.setReconnects(3);
    t = 61_900;
    const lines = (await renderPrometheus(metrics.snapshot())).split('\n');
    const types = lines.filter((l) => l.startsWith('# TYPE ')).map((l) => l.slice('# TYPE '.length));
    expect(types).toEqual([
      'baaaht_worker_info gauge',
      'baaaht_worker_tasks_total counter',
      'baaaht_worker_tasks_started_total counter',
      'baaaht_worker_running_tasks gauge',
      'baaaht_worker_connection_state gauge',
      'baaaht_worker_registered gauge',
      'baaaht_worker_draining gauge',
      'baaaht_worker_reconnects_total counter',
      'baaaht_worker_egress_decisions_total counter',
      'baaaht_worker_uptime_seconds gauge',
    ]);
    expect(WORKER_METRIC_NAMES).toEqual(types.map((t) => t.split(' ')[0]));
    // The README's metrics table says the same.
    const documented = documentedMetrics();
    for (const t of types) {
      const [name, type] = t.split(' ') as [string, string];
      expect([name, documented.get(name)?.type]).toEqual([name, type]);
    }
    const samples = lines.filter((l) => l !== '' && !l.startsWith('#'));
    expect(samples).toEqual([
      'baaaht_worker_info{name="w \\"1\\"\\\\x\\ny",version="1.2.3"} 1',
      ...TASK_STATUSES.map((s) => `baaaht_worker_tasks_total{status="${s}"} ${s === 'denied' ? 1 : 0}`),
      'baaaht_worker_tasks_total{status="weird"} 1',
      'baaaht_worker_tasks_started_total{tool="grep"} 1',
      'baaaht_worker_tasks_started_total{tool="list"} 1',
      'baaaht_worker_running_tasks 0',
      'baaaht_worker_connection_state{state="idle"} 0',
      'baaaht_worker_connection_state{state="connecting"} 0',
      'baaaht_worker_connection_state{state="ready"} 1',
      'baaaht_worker_connection_state{state="transient_failure"} 0',
      'baaaht_worker_connection_state{state="shutdown"} 0',
      'baaaht_worker_registered 1',
      'baaaht_worker_draining 0',
      'baaaht_worker_reconnects_total 3',
      'baaaht_worker_uptime_seconds 61',
    ]);
  });

  it('follows the snapshot from scrape to scrape, one snapshot per scrape', async () => {
    const registry = new Registry();
    const metrics = new WorkerMetrics({ name: 'w', version: '0' });
    let snapshots = 0;
    registerWorkerInstruments(registry, () => {
      snapshots++;
      return metrics.snapshot();
    });
    metrics.setEgress({ allowed: 1, denied: 0 });
    expect(await registry.metrics()).toContain('baaaht_worker_egress_decisions_total{decision="allowed"} 1\n');
    expect(snapshots).toBe(1);
    metrics.setEgress({ allowed: 4, denied: 2 });
    metrics.taskStarted('grep');
    const text = await registry.metrics();
    expect(text).toContain('baaaht_worker_egress_decisions_total{decision="allowed"} 4\n');
    expect(text).toContain('baaaht_worker_egress_decisions_total{decision="denied"} 2\n');
    expect(text).toContain('baaaht_worker_running_tasks 1\n');
    expect(snapshots).toBe(2);
  });

  it("serves the libraries' metrics next to the worker's on one registry", async () => {
    const meter = new PromMeter();
    meter
      .histogram({ name: 'baaaht_executor_task_duration_seconds', help: 'x', labelNames: ['tool', 'status'] })
      .record(0.2, { tool: 'file_read', status: 'completed' });
    const metrics = new WorkerMetrics({ name: 'w', version: '0' });
    const server = await startStatusServer({
      address: '127.0.0.1:0',
      snapshot: () => metrics.snapshot(),
      ready: () => true,
      registry: meter.registry,
    });
    try {
      const res = await fetch(`http://127.0.0.1:${server.address.port}/metrics`);
      expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
      const text = await res.text();
      expect(text).toContain('baaaht_executor_task_duration_seconds_count{tool="file_read",status="completed"} 1\n');
      expect(text).toContain('baaaht_worker_running_tasks 0\n');
    } finally {
      await server.close();
    }
  });
});
