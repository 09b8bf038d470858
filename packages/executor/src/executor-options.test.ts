import { resolveExecutorOptions } from './executor-options';

describe('resolveExecutorOptions', () => {
  it('fills defaults', () => {
    const o = resolveExecutorOptions({});
    expect(o).toMatchObject({
      pullPolicy: 'if-missing',
      runtime: 'runc',
      maxConcurrentTasks: 4,
      maxQueuedTasks: 64,
      maxConcurrentStarts: 2,
      maxStdoutBytes: 1024 * 1024,
      maxStderrBytes: 1024 * 1024,
      maxOutputBytes: 2 * 1024 * 1024,
      reapIntervalMs: 30_000,
      gracePeriodMs: 2000,
      timeoutGracePeriodMs: 500,
    });
    expect(o.workerId).toMatch(/^worker-/);
  });

  it('keeps the default worker id stable across calls (a restarted worker finds its orphans)', () => {
    expect(resolveExecutorOptions({}).workerId).toBe(resolveExecutorOptions({}).workerId);
  });

  it.each([
    [{ maxConcurrentTasks: 0 }, /maxConcurrentTasks/],
    [{ maxQueuedTasks: -1 }, /maxQueuedTasks/],
    [{ maxStdoutBytes: 1.5 }, /maxStdoutBytes/],
    [{ gracePeriodMs: Number.NaN }, /gracePeriodMs/],
    [{ workerId: ' ' }, /workerId/],
    [{ runtime: '' }, /runtime/],
    [{ pullPolicy: 'sometimes' }, /pullPolicy/],
    [{ imageOverrides: { file_read: 'has space' } }, /imageOverrides\.file_read/],
    [{ policy: {} }, /policy\.enforce/],
  ])('rejects %j with a TypeError naming the field', (bad, field) => {
    expect(() => resolveExecutorOptions(bad as never)).toThrow(TypeError);
    expect(() => resolveExecutorOptions(bad as never)).toThrow(field);
  });
});
