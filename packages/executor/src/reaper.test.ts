import type { Clock } from './clock';
import type { InstanceLiveness } from './instance-registry';
import { LABELS } from './labels';
import { quietLogger } from './logger';
import { Reaper, selectOrphanVolumes, selectOrphans } from './reaper';
import type { ManagedVolume } from './docker-client';
import { FakeDocker } from './test-support/fake-docker';

const NOW = 1_000_000_000;
const container = (id: string, labels: Record<string, string>) => ({
  id,
  state: 'exited',
  labels: { [LABELS.managed]: 'true', ...labels },
});

describe('selectOrphans', () => {
  const liveness = (id: string): InstanceLiveness =>
    id === 'dead-inst' ? 'gone' : id === 'live-inst' ? 'live' : 'unknown';
  const options = {
    instanceId: 'my-inst',
    marginMs: 1000,
    liveness,
    isLive: (c: { labels: Record<string, string> }) => c.labels[LABELS.taskId] === 'live',
  };
  const future = String(NOW + 60_000);

  it('takes this instance containers without a live task', () => {
    const list = [
      container('a', { [LABELS.instanceId]: 'my-inst', [LABELS.taskId]: 'gone', [LABELS.deadline]: future }),
      container('b', {
        [LABELS.instanceId]: 'my-inst',
        [LABELS.taskId]: 'live',
        [LABELS.deadline]: String(NOW - 60_000),
      }),
    ];
    expect(selectOrphans(list, options, NOW).map((c) => c.id)).toEqual(['a']);
  });

  it('treats session containers like task containers: a gone instance, an expiry past, or unowned', () => {
    const session = (id: string, instance: string, expiry: number) =>
      container(id, {
        [LABELS.session]: '1',
        [LABELS.sessionId]: 's',
        [LABELS.instanceId]: instance,
        [LABELS.sessionExpiry]: String(expiry),
        [LABELS.deadline]: String(expiry),
      });
    const list = [
      session('crashed-worker', 'dead-inst', NOW + 3_600_000),
      session('other-live', 'live-inst', NOW + 3_600_000),
      session('expired-elsewhere', 'unknown-inst', NOW - 60_000),
      session('mine-unowned', 'my-inst', NOW + 3_600_000),
    ];
    expect(selectOrphans(list, options, NOW).map((c) => c.id)).toEqual([
      'crashed-worker',
      'expired-elsewhere',
      'mine-unowned',
    ]);
  });

  it("takes another live instance's pooled container once it stopped and is past its idle deadline + margin", () => {
    const pooled = (id: string, state: string, idle: number) => ({
      ...container(id, {
        [LABELS.instanceId]: 'live-inst',
        [LABELS.pool]: '1',
        [LABELS.poolIdleDeadline]: String(idle),
        [LABELS.deadline]: future,
      }),
      state,
    });
    const list = [
      pooled('stopped-expired', 'exited', NOW - 2000),
      pooled('stopped-in-margin', 'exited', NOW - 500),
      pooled('running-expired', 'running', NOW - 2000),
      pooled('stopped-waiting', 'exited', NOW + 5000),
    ];
    expect(selectOrphans(list, options, NOW).map((c) => c.id)).toEqual(['stopped-expired']);
  });

  it('takes the containers of a provably gone instance, whatever its worker id', () => {
    const list = [
      container('dead', { [LABELS.workerId]: 'other', [LABELS.instanceId]: 'dead-inst', [LABELS.deadline]: future }),
      container('dead-same-name', { [LABELS.workerId]: 'me', [LABELS.instanceId]: 'dead-inst' }),
    ];
    expect(selectOrphans(list, options, NOW).map((c) => c.id)).toEqual(['dead', 'dead-same-name']);
  });

  it('leaves a live instance with the same worker id alone (two workers with one name on one engine)', () => {
    const list = [
      container('theirs', { [LABELS.workerId]: 'me', [LABELS.instanceId]: 'live-inst', [LABELS.deadline]: future }),
      container('unproven', { [LABELS.workerId]: 'me', [LABELS.instanceId]: 'elsewhere', [LABELS.deadline]: future }),
      container('legacy', { [LABELS.workerId]: 'me', [LABELS.taskId]: 'x', [LABELS.deadline]: future }),
    ];
    expect(selectOrphans(list, options, NOW)).toEqual([]);
    // ...until their deadline passes.
    const expired = list.map((c) => ({ ...c, labels: { ...c.labels, [LABELS.deadline]: String(NOW - 1500) } }));
    expect(selectOrphans(expired, options, NOW).map((c) => c.id)).toEqual(['theirs', 'unproven', 'legacy']);
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
    docker.extraListed = [container('a', { [LABELS.instanceId]: 'me' }), container('b', { [LABELS.instanceId]: 'me' })];
    const removed: string[] = [];
    docker.removeContainer = async (id) => {
      if (id === 'a') throw new Error('engine busy');
      removed.push(id);
    };
    const clock: Clock = { now: () => NOW, setTimeout: () => 0, clearTimeout: () => undefined };
    const reaper = new Reaper({
      docker,
      workerId: 'w',
      instanceId: 'me',
      liveness: () => 'unknown',
      marginMs: 0,
      isLive: () => false,
      clock,
      logger: quietLogger,
    });
    expect(await reaper.reapOnce()).toBe(1);
    expect(removed).toEqual(['b']);
  });

  it('a failing list is logged, not thrown', async () => {
    const docker = new FakeDocker();
    docker.listContainers = () => Promise.reject(new Error('down'));
    const reaper = new Reaper({
      docker,
      workerId: 'w',
      instanceId: 'me',
      liveness: () => 'unknown',
      marginMs: 0,
      isLive: () => false,
      clock: { now: () => 0, setTimeout: () => 0, clearTimeout: () => undefined },
      logger: quietLogger,
    });
    expect(await reaper.reapOnce()).toBe(0);
  });
});

describe('selectOrphanVolumes (descriptor volumes)', () => {
  const vol = (name: string, labels: Record<string, string>): ManagedVolume => ({
    name,
    labels: { [LABELS.managed]: 'true', ...labels },
  });
  const opts = (live: string[]) => ({
    instanceId: 'me',
    isLiveVolume: (n: string) => live.includes(n),
    liveness: (id: string) => (id === 'dead' ? ('gone' as const) : ('unknown' as const)),
    marginMs: 1000,
  });

  it("takes ours once no container uses them, a gone instance's, and any past its deadline; leaves the rest", () => {
    const volumes = [
      vol('mine-live', { [LABELS.instanceId]: 'me' }),
      vol('mine-done', { [LABELS.instanceId]: 'me' }),
      vol('dead', { [LABELS.instanceId]: 'dead' }),
      vol('other-live', { [LABELS.instanceId]: 'other', [LABELS.deadline]: '10000' }),
      vol('other-expired', { [LABELS.instanceId]: 'other', [LABELS.deadline]: '100' }),
      { name: 'not-ours', labels: { [LABELS.instanceId]: 'me' } },
    ];
    expect(selectOrphanVolumes(volumes, opts(['mine-live']), 5000).map((v) => v.name)).toEqual([
      'mine-done',
      'dead',
      'other-expired',
    ]);
  });
});
