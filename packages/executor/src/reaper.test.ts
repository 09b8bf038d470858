import type { Clock } from './clock';
import { LABELS } from './labels';
import { quietLogger } from './logger';
import { Reaper, selectOrphans } from './reaper';
import { FakeDocker } from './test-support/fake-docker';

const NOW = 1_000_000_000;
const container = (id: string, labels: Record<string, string>) => ({
  id,
  state: 'exited',
  labels: { [LABELS.managed]: 'true', ...labels },
});

describe('selectOrphans', () => {
  const options = {
    workerId: 'me',
    marginMs: 1000,
    isLive: (c: { labels: Record<string, string> }) => c.labels[LABELS.taskId] === 'live',
  };

  it('takes this worker containers without a live task', () => {
    const list = [
      container('a', { [LABELS.workerId]: 'me', [LABELS.taskId]: 'gone', [LABELS.deadline]: String(NOW + 60_000) }),
      container('b', { [LABELS.workerId]: 'me', [LABELS.taskId]: 'live', [LABELS.deadline]: String(NOW - 60_000) }),
    ];
    expect(selectOrphans(list, options, NOW).map((c) => c.id)).toEqual(['a']);
  });

  it('takes other workers containers only past deadline + margin', () => {
    const list = [
      container('fresh', { [LABELS.workerId]: 'other', [LABELS.deadline]: String(NOW - 500) }),
      container('expired', { [LABELS.workerId]: 'other', [LABELS.deadline]: String(NOW - 1500) }),
      container('no-deadline', { [LABELS.workerId]: 'other' }),
    ];
    expect(selectOrphans(list, options, NOW).map((c) => c.id)).toEqual(['expired']);
  });

  it('never touches containers without the managed label', () => {
    const list = [{ id: 'x', state: 'running', labels: { [LABELS.workerId]: 'me' } }];
    expect(selectOrphans(list, options, NOW)).toEqual([]);
  });
});

describe('Reaper', () => {
  it('removes orphans and keeps going when one removal fails', async () => {
    const docker = new FakeDocker();
    docker.extraListed = [container('a', { [LABELS.workerId]: 'me' }), container('b', { [LABELS.workerId]: 'me' })];
    const removed: string[] = [];
    docker.removeContainer = async (id) => {
      if (id === 'a') throw new Error('engine busy');
      removed.push(id);
    };
    const clock: Clock = { now: () => NOW, setTimeout: () => 0, clearTimeout: () => undefined };
    const reaper = new Reaper({ docker, workerId: 'me', marginMs: 0, isLive: () => false, clock, logger: quietLogger });
    expect(await reaper.reapOnce()).toBe(1);
    expect(removed).toEqual(['b']);
  });

  it('a failing list is logged, not thrown', async () => {
    const docker = new FakeDocker();
    docker.listContainers = () => Promise.reject(new Error('down'));
    const reaper = new Reaper({
      docker,
      workerId: 'me',
      marginMs: 0,
      isLive: () => false,
      clock: { now: () => 0, setTimeout: () => 0, clearTimeout: () => undefined },
      logger: quietLogger,
    });
    expect(await reaper.reapOnce()).toBe(0);
  });
});
