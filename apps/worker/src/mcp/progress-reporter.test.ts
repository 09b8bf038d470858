import { ProgressReporter } from './progress-reporter';
import type { ProgressUpdate } from './progress-reporter';

describe('ProgressReporter', () => {
  it('reports every step at once and output at most once per interval, progress always increasing', () => {
    const sent: ProgressUpdate[] = [];
    let now = 0;
    const reporter = new ProgressReporter((u) => sent.push(u), { outputIntervalMs: 1000, now: () => now });
    reporter.step('queued');
    reporter.step('container 0123456789ab started');
    reporter.output(10);
    now = 500;
    reporter.output(20); // within the interval: counted, not sent
    now = 1000;
    reporter.output(5);
    reporter.step('container 0123456789ac started (step 2)');
    expect(sent).toEqual([
      { progress: 1, message: 'queued' },
      { progress: 2, message: 'container 0123456789ab started' },
      { progress: 3, message: '10 bytes of output so far' },
      { progress: 4, message: '35 bytes of output so far' },
      { progress: 5, message: 'container 0123456789ac started (step 2)' },
    ]);
  });

  it('refuses a negative interval, naming the option', () => {
    expect(() => new ProgressReporter(() => undefined, { outputIntervalMs: -1 })).toThrow(/outputIntervalMs/);
  });
});
