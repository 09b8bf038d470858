import { RecordingMeter } from '@baaaht/test-utils';
import { EXECUTOR_METRICS, MetricsRecorder } from './metrics';

describe('MetricsRecorder', () => {
  it('counts egress decisions for the snapshot and emits them with a decision label', () => {
    const meter = new RecordingMeter();
    const m = new MetricsRecorder(meter, ['fetch_url']);
    m.egress(true);
    m.egress(false);
    m.egress(false);
    expect(meter.total(EXECUTOR_METRICS.egressDecisions, { decision: 'allowed' })).toBe(1);
    expect(meter.total(EXECUTOR_METRICS.egressDecisions, { decision: 'denied' })).toBe(2);
    expect(m.snapshot(0, 0)).toMatchObject({ egressAllowed: 1, egressDenied: 2 });
  });

  it('counts reaped containers and keeps every label it emits declared', () => {
    const meter = new RecordingMeter();
    const m = new MetricsRecorder(meter);
    m.container('reaped');
    m.task('timeout', 'fetch_url', 1500);
    m.slots(2, 3);
    expect(meter.total(EXECUTOR_METRICS.containers, { event: 'reaped' })).toBe(1);
    expect(meter.values(EXECUTOR_METRICS.taskDuration, { tool: 'fetch_url', status: 'timeout' })).toEqual([1.5]);
    expect([meter.last(EXECUTOR_METRICS.tasksActive), meter.last(EXECUTOR_METRICS.tasksQueued)]).toEqual([2, 3]);
    expect(m.snapshot(2, 3)).toMatchObject({ containersReaped: 1, tasks: { timeout: 1 }, activeTasks: 2 });
  });

  it('works without a meter (the no-op default)', () => {
    const m = new MetricsRecorder();
    m.task('completed');
    expect(m.snapshot(0, 0).tasks.completed).toBe(1);
  });
});
