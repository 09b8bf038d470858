import type { MetricMeter as AgentMeter } from '@baaaht/agent';
import type { MetricMeter as ExecutorMeter } from '@baaaht/executor';
import type { MetricMeter as HubMeter } from '@baaaht/hub';
import { MetricConflictError, PromMeter, createProcessMeter } from './prom-meter';

describe('PromMeter', () => {
  it('fits the meter interface of every library', () => {
    const meter = new PromMeter();
    const meters: [ExecutorMeter, AgentMeter, HubMeter] = [meter, meter, meter];
    expect(meters).toHaveLength(3);
  });

  it('writes counters, gauges and histograms with HELP and TYPE lines', async () => {
    const meter = new PromMeter();
    const tasks = meter.counter({ name: 'demo_tasks_total', help: 'Tasks.', labelNames: ['tool', 'status'] });
    tasks.add(1, { tool: 'grep', status: 'completed' });
    tasks.add(2, { tool: 'grep', status: 'completed' });
    tasks.add(1, { tool: 'list', status: 'denied' });
    meter.gauge({ name: 'demo_active', help: 'Active now.' }).set(3);
    const duration = meter.histogram({
      name: 'demo_duration_seconds',
      help: 'How long.',
      labelNames: ['tool'],
      buckets: [0.1, 1, 10],
    });
    duration.record(0.05, { tool: 'grep' });
    duration.record(0.5, { tool: 'grep' });
    duration.record(5, { tool: 'grep' });
    duration.record(50, { tool: 'grep' });

    const text = await meter.metrics();
    expect(text).toContain('# HELP demo_tasks_total Tasks.\n# TYPE demo_tasks_total counter\n');
    expect(text).toContain('demo_tasks_total{tool="grep",status="completed"} 3\n');
    expect(text).toContain('demo_tasks_total{tool="list",status="denied"} 1\n');
    expect(text).toContain('# HELP demo_active Active now.\n# TYPE demo_active gauge\ndemo_active 3\n');
    expect(text).toContain('# TYPE demo_duration_seconds histogram\n');
    expect(text).toContain('demo_duration_seconds_bucket{le="0.1",tool="grep"} 1\n');
    expect(text).toContain('demo_duration_seconds_bucket{le="1",tool="grep"} 2\n');
    expect(text).toContain('demo_duration_seconds_bucket{le="10",tool="grep"} 3\n');
    expect(text).toContain('demo_duration_seconds_bucket{le="+Inf",tool="grep"} 4\n');
    expect(text).toContain('demo_duration_seconds_sum{tool="grep"} 55.55\n');
    expect(text).toContain('demo_duration_seconds_count{tool="grep"} 4\n');
    expect(text).toBe(await meter.registry.metrics());
  });

  it('escapes quotes, backslashes and newlines in label values', async () => {
    const meter = new PromMeter();
    meter
      .counter({ name: 'demo_odd_total', help: 'Odd "labels"\\ and\nlines.', labelNames: ['v'] })
      .add(1, { v: 'a "quoted" \\ back\nslash' });
    const text = await meter.metrics();
    expect(text).toContain('demo_odd_total{v="a \\"quoted\\" \\\\ back\\nslash"} 1\n');
    expect(text).toContain('# HELP demo_odd_total Odd "labels"\\\\ and\\nlines.\n');
  });

  it('returns the same instrument for the same definition', async () => {
    const meter = new PromMeter();
    const first = meter.counter({ name: 'demo_total', help: 'x', labelNames: ['a', 'b'] });
    const again = meter.counter({ name: 'demo_total', help: 'x', labelNames: ['b', 'a'] });
    expect(again).toBe(first);
    first.add(1, { a: '1', b: '2' });
    again.add(1, { a: '1', b: '2' });
    expect(await meter.metrics()).toContain('demo_total{a="1",b="2"} 2\n');
    const h = meter.histogram({ name: 'demo_seconds', help: 'x', buckets: [1, 2] });
    expect(meter.histogram({ name: 'demo_seconds', help: 'x' })).toBe(h);
    expect(meter.histogram({ name: 'demo_seconds', help: 'x', buckets: [1, 2] })).toBe(h);
  });

  it('refuses a definition that clashes in kind, labels or buckets', () => {
    const meter = new PromMeter();
    meter.counter({ name: 'demo_total', help: 'x', labelNames: ['tool'] });
    expect(() => meter.gauge({ name: 'demo_total', help: 'x', labelNames: ['tool'] })).toThrow(
      new MetricConflictError('demo_total', 'asked for a gauge, already defined as a counter'),
    );
    expect(() => meter.counter({ name: 'demo_total', help: 'x', labelNames: ['status'] })).toThrow(
      'metric demo_total: asked with labels [status], already defined with [tool]',
    );
    meter.histogram({ name: 'demo_seconds', help: 'x', buckets: [1, 2] });
    expect(() => meter.histogram({ name: 'demo_seconds', help: 'x', buckets: [1, 5] })).toThrow(
      'metric demo_seconds: asked with buckets [1, 5], already defined with [1, 2]',
    );
  });

  it('refuses a name registered on the registry by someone else', () => {
    const meter = createProcessMeter();
    expect(() => meter.gauge({ name: 'process_resident_memory_bytes', help: 'x' })).toThrow(MetricConflictError);
  });

  it('refuses labels that were not declared and counters that go down', () => {
    const meter = new PromMeter();
    const c = meter.counter({ name: 'demo_total', help: 'x', labelNames: ['tool'] });
    expect(() => c.add(1, { status: 'x' })).toThrow(/status/);
    expect(() => c.add(-1, { tool: 'x' })).toThrow(/decrease/);
  });

  it('a process meter carries the process metrics', async () => {
    const text = await createProcessMeter().metrics();
    for (const name of ['process_cpu_seconds_total', 'process_resident_memory_bytes', 'nodejs_eventloop_lag_seconds'])
      expect(text).toMatch(new RegExp(`^# TYPE ${name} `, 'm'));
  });
});
