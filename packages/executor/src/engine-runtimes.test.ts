import { EngineRuntimes } from './engine-runtimes';

const engine = (lists: string[][]): { calls: number; runtimes: () => Promise<string[]> } => {
  const e = {
    calls: 0,
    runtimes: async (): Promise<string[]> => {
      e.calls++;
      const list = lists.shift();
      if (list === undefined) throw new Error('engine unreachable');
      return list;
    },
  };
  return e;
};

it('answers from what was read at open, and reads again only on a miss', async () => {
  const e = engine([['runc', 'runsc']]);
  const r = new EngineRuntimes(e, ['runc']);
  expect(await r.has('runc')).toBe(true);
  expect(e.calls).toBe(0);
  expect(await r.has('runsc')).toBe(true);
  expect(e.calls).toBe(1);
  expect(r.known).toEqual(['runc', 'runsc']);
});

it('shares one read between concurrent misses, and an unreachable engine is a miss', async () => {
  const e = engine([['runc']]);
  const r = new EngineRuntimes(e, ['runc']);
  expect(await Promise.all([r.has('runsc'), r.has('runsc'), r.has('runsc')])).toEqual([false, false, false]);
  expect(e.calls).toBe(1);
  expect(await r.has('runsc')).toBe(false);
  expect(e.calls).toBe(2);
  expect(r.known).toEqual(['runc']);
});
