import type { MetricCounter, MetricGauge, MetricMeter } from './metric-meter';
import type { PoolDiscardReason, PoolMissReason } from './container-pool';

/** The warm pool's metric names (beside `EXECUTOR_METRICS`). */
export const POOL_METRICS = Object.freeze({
  hits: 'baaaht_executor_pool_hits_total',
  misses: 'baaaht_executor_pool_misses_total',
  containers: 'baaaht_executor_pool_containers',
  discarded: 'baaaht_executor_pool_discarded_total',
});

/** Counts for tests and `pool` snapshots, emitted through the executor's meter as well. */
export class PoolMetrics {
  readonly counts = { hits: 0, misses: 0, discarded: 0 };
  private readonly hitsTotal: MetricCounter;
  private readonly missesTotal: MetricCounter;
  private readonly gauge: MetricGauge;
  private readonly discardedTotal: MetricCounter;

  constructor(meter: MetricMeter) {
    this.hitsTotal = meter.counter({
      name: POOL_METRICS.hits,
      help: 'Steps served by a warm-pool container, by tool.',
      labelNames: ['tool'],
    });
    this.missesTotal = meter.counter({
      name: POOL_METRICS.misses,
      help: 'Steps that found no warm-pool container and started one cold, by tool and reason.',
      labelNames: ['tool', 'reason'],
    });
    this.gauge = meter.gauge({
      name: POOL_METRICS.containers,
      help: 'Warm-pool containers now, by state (starting, ready, taken).',
      labelNames: ['state'],
    });
    this.discardedTotal = meter.counter({
      name: POOL_METRICS.discarded,
      help: 'Warm-pool containers removed without serving a call, by reason.',
      labelNames: ['reason'],
    });
  }

  hit(tool: string): void {
    this.counts.hits++;
    this.hitsTotal.add(1, { tool });
  }

  miss(tool: string, reason: PoolMissReason): void {
    this.counts.misses++;
    this.missesTotal.add(1, { tool, reason });
  }

  discarded(reason: PoolDiscardReason): void {
    this.counts.discarded++;
    this.discardedTotal.add(1, { reason });
  }

  containers(starting: number, ready: number, taken: number): void {
    this.gauge.set(starting, { state: 'starting' });
    this.gauge.set(ready, { state: 'ready' });
    this.gauge.set(taken, { state: 'taken' });
  }
}
