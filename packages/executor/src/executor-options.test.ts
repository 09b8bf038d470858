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
    [{ protectedPaths: ['/abs'] }, /protectedPaths\[0\]/],
    [{ protectedPaths: ['.git', 'a/../b'] }, /protectedPaths\[1\]/],
    [{ protectedPaths: '.git' }, /protectedPaths/],
    [{ allowHardlinks: 'yes' }, /allowHardlinks/],
  ])('rejects %j with a TypeError naming the field', (bad, field) => {
    expect(() => resolveExecutorOptions(bad as never)).toThrow(TypeError);
    expect(() => resolveExecutorOptions(bad as never)).toThrow(field);
  });
});

it('protects .git and refuses hard links by default; protectedPaths is normalised', () => {
  expect(resolveExecutorOptions()).toMatchObject({ protectedPaths: ['.git'], allowHardlinks: false });
  expect(resolveExecutorOptions({ protectedPaths: ['./.git/', 'cfg'] }).protectedPaths).toEqual(['.git', 'cfg']);
  expect(resolveExecutorOptions({ protectedPaths: [], allowHardlinks: true })).toMatchObject({
    protectedPaths: [],
    allowHardlinks: true,
  });
});

describe('pool options', () => {
  it('defaults to on, one container ahead per key, 30 s idle, 8 in all', () => {
    expect(resolveExecutorOptions().pool).toEqual({ enabled: true, perKey: 1, idleMs: 30_000, maxContainers: 8 });
    expect(resolveExecutorOptions({ pool: { enabled: false, idleMs: 5000 } }).pool).toMatchObject({
      enabled: false,
      idleMs: 5000,
    });
  });

  it.each<[unknown, string]>([
    [{ perKey: 0 }, 'pool.perKey'],
    [{ idleMs: 1.5 }, 'pool.idleMs'],
    [{ maxContainers: -1 }, 'pool.maxContainers'],
    [{ enabled: 'yes' }, 'pool.enabled'],
    ['on', 'pool must be an object'],
  ])('rejects %j with a TypeError naming %s', (pool, field) => {
    expect(() => resolveExecutorOptions({ pool: pool as never })).toThrow(TypeError);
    expect(() => resolveExecutorOptions({ pool: pool as never })).toThrow(field);
  });
});
