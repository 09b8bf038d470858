import { Backoff } from './backoff';

describe('Backoff', () => {
  test('grows exponentially up to the cap without jitter', () => {
    const b = new Backoff({ initialMs: 100, maxMs: 1000, maxAttempts: 0, jitter: 'none' });
    expect(Array.from({ length: 6 }, () => b.next())).toEqual([100, 200, 400, 800, 1000, 1000]);
  });

  test('full jitter spreads over [0, ceiling)', () => {
    const rolls = [0, 0.5, 0.999];
    const b = new Backoff({
      initialMs: 1000,
      maxMs: 60000,
      maxAttempts: 0,
      jitter: 'full',
      random: () => rolls.shift() ?? 0,
    });
    expect([b.next(), b.next(), b.next()]).toEqual([0, 1000, 3996]);
  });

  test('equal jitter keeps at least half the ceiling', () => {
    const b = new Backoff({ initialMs: 1000, maxMs: 60000, maxAttempts: 0, jitter: 'equal', random: () => 0 });
    expect([b.next(), b.next(), b.next()]).toEqual([500, 1000, 2000]);
    const top = new Backoff({ initialMs: 1000, maxMs: 1500, maxAttempts: 0, jitter: 'equal', random: () => 0.9999 });
    top.next();
    expect(top.next()).toBeLessThanOrEqual(1500);
  });

  test('the attempt budget belongs to one outage: reset() after a success restores it', () => {
    const b = new Backoff({ initialMs: 10, maxMs: 100, maxAttempts: 3, jitter: 'none' });
    expect([b.next(), b.next(), b.next(), b.next()]).toEqual([10, 20, 40, undefined]);
    b.reset();
    expect(b.attempts).toBe(0);
    // A new outage starts from the first delay with the whole budget again.
    expect([b.next(), b.next(), b.next(), b.next()]).toEqual([10, 20, 40, undefined]);
  });

  test('maxAttempts 0 retries forever', () => {
    const b = new Backoff({ initialMs: 1, maxMs: 5, maxAttempts: 0, jitter: 'none' });
    for (let i = 0; i < 1000; i++) expect(b.next()).toBeDefined();
  });
});
