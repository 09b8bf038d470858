/**
 * The worker's own metrics (`baaaht_worker_*`) as prom-client instruments whose values are read from the
 * `WorkerStatusSnapshot` when scraped, so `/metrics` and `/status.json` always tell the same story.
 */
import { Counter, Gauge, Registry } from 'prom-client';
import { TASK_STATUSES } from '@baaaht/executor';
import { CONNECTION_STATES } from './worker-metrics';
import type { WorkerStatusSnapshot } from './worker-metrics';

type Labels = Record<string, string>;
type Samples = (s: WorkerStatusSnapshot) => [Labels, number][];

interface SnapshotMetric {
  name: string;
  type: 'counter' | 'gauge';
  help: string;
  labelNames?: string[];
  samples: Samples;
}

const one = (value: number): [Labels, number][] => [[{}, value]];

/** Registration order is exposition order. */
const WORKER_METRICS: readonly SnapshotMetric[] = [
  {
    name: 'baaaht_worker_info',
    type: 'gauge',
    help: 'Worker identity.',
    labelNames: ['name', 'version'],
    samples: (s) => [[{ name: s.name, version: s.version }, 1]],
  },
  {
    name: 'baaaht_worker_tasks_total',
    type: 'counter',
    help: 'Tasks finished, by final status.',
    labelNames: ['status'],
    // Every status the executor can report is present (0 until it happens), so rates never start from absent.
    samples: (s) =>
      [...new Set([...TASK_STATUSES, ...Object.keys(s.tasksByStatus)])].map((status) => [
        { status },
        s.tasksByStatus[status] ?? 0,
      ]),
  },
  {
    name: 'baaaht_worker_tasks_started_total',
    type: 'counter',
    help: 'Tasks started, by tool.',
    labelNames: ['tool'],
    samples: (s) => Object.entries(s.tasksByTool).map(([tool, n]) => [{ tool }, n]),
  },
  {
    name: 'baaaht_worker_running_tasks',
    type: 'gauge',
    help: 'Tasks running now.',
    samples: (s) => one(s.runningTasks),
  },
  {
    name: 'baaaht_worker_connection_state',
    type: 'gauge',
    help: 'Connection to the orchestrator: 1 for the current state.',
    labelNames: ['state'],
    samples: (s) => CONNECTION_STATES.map((state) => [{ state }, state === s.connection ? 1 : 0]),
  },
  {
    name: 'baaaht_worker_registered',
    type: 'gauge',
    help: '1 when registered with the orchestrator.',
    samples: (s) => one(s.registered ? 1 : 0),
  },
  {
    name: 'baaaht_worker_draining',
    type: 'gauge',
    help: '1 while draining for shutdown.',
    samples: (s) => one(s.draining ? 1 : 0),
  },
  {
    name: 'baaaht_worker_reconnects_total',
    type: 'counter',
    help: 'Reconnections to the orchestrator.',
    samples: (s) => one(s.reconnects),
  },
  {
    name: 'baaaht_worker_egress_decisions_total',
    type: 'counter',
    help: 'Egress proxy decisions.',
    labelNames: ['decision'],
    samples: (s) =>
      s.egress
        ? [
            [{ decision: 'allowed' }, s.egress.allowed],
            [{ decision: 'denied' }, s.egress.denied],
          ]
        : [],
  },
  {
    name: 'baaaht_worker_uptime_seconds',
    type: 'gauge',
    help: 'Seconds since the worker started.',
    samples: (s) => one(Math.floor(s.uptimeMs / 1000)),
  },
];

/** The names of the worker's own metrics, in exposition order. */
export const WORKER_METRIC_NAMES: readonly string[] = WORKER_METRICS.map((m) => m.name);

/**
 * Adds the `baaaht_worker_*` instruments to `registry`. A scrape takes one snapshot, shared by every
 * instrument: prom-client runs all collect callbacks in one synchronous turn, and the cache is dropped
 * at the next microtask.
 */
export function registerWorkerInstruments(registry: Registry, snapshot: () => WorkerStatusSnapshot): void {
  let current: WorkerStatusSnapshot | undefined;
  const read = (): WorkerStatusSnapshot => {
    if (current === undefined) {
      current = snapshot();
      queueMicrotask(() => (current = undefined));
    }
    return current;
  };
  for (const m of WORKER_METRICS) {
    const config = { name: m.name, help: m.help, labelNames: m.labelNames ?? [], registers: [registry] };
    if (m.type === 'counter') {
      new Counter({
        ...config,
        collect(this: Counter) {
          this.reset();
          for (const [labels, value] of m.samples(read())) this.inc(labels, value);
        },
      });
    } else {
      new Gauge({
        ...config,
        collect(this: Gauge) {
          this.reset();
          for (const [labels, value] of m.samples(read())) this.set(labels, value);
        },
      });
    }
  }
}

/** Prometheus text (format 0.0.4) of the worker's own metrics in one snapshot. */
export function renderPrometheus(s: WorkerStatusSnapshot): Promise<string> {
  const registry = new Registry();
  registerWorkerInstruments(registry, () => s);
  return registry.metrics();
}
