import { benchConfig } from '../lib/config';
import { render, targetRatio, withReference } from '../lib/report';
import { summarize } from '../lib/stats';

describe('report', () => {
  it('gives each row its ratio of medians to the reference', () => {
    const rows = withReference({ executor: summarize([100, 100]), cli: summarize([300, 300]) }, 'executor');
    expect(rows.executor!.vsReference).toBe(1);
    expect(rows.cli!.vsReference).toBe(3);
    expect(() => withReference({ cli: summarize([1]) }, 'executor')).toThrow(/executor/);
  });
  it('checks targets both ways', () => {
    expect(targetRatio(0.4, '<= 0.45').met).toBe(true);
    expect(targetRatio(1.5, '>= 1.7').met).toBe(false);
  });
  it('renders n, p95 as n/a below 20 samples, and the ratio column', () => {
    const md = render(
      [
        {
          name: 'cold',
          reference: 'executor',
          summaries: withReference({ executor: summarize([10, 20, 30]), cli: summarize([60]) }, 'executor'),
        },
      ],
      { date: 'd', cpus: 2, cpuModel: 'x', memGiB: 1, os: 'l', docker: '1', node: 'v' },
      benchConfig({}),
    );
    expect(md).toContain('| variant (ms) | n | min | median | p95 | max | x executor |');
    expect(md).toContain('| executor | 3 | 10.0 | 20.0 | n/a | 30.0 | 1.00 |');
    expect(md).toContain('| cold | cli | ms | 1 | 60.0 | n/a | 3.00 | executor |');
  });
});
