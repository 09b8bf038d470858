import { WorkerMetrics } from './worker-metrics';

describe('WorkerMetrics', () => {
  it('lists the executor sessions in the snapshot (status.json), times as ISO 8601', () => {
    const metrics = new WorkerMetrics({
      name: 'w',
      version: '1',
      now: () => 0,
      sessions: () => [
        {
          sessionId: 's1',
          state: 'ready',
          workspace: '/srv/p',
          workspaceMode: 'readwrite',
          image: 'alpine:3.19',
          createdAt: 1000,
          lastUsedAt: 2000,
          calls: 3,
          restarts: 1,
          containerId: 'c'.repeat(64),
        },
      ],
    });
    expect(metrics.snapshot().sessions).toEqual([
      {
        sessionId: 's1',
        state: 'ready',
        workspace: '/srv/p',
        image: 'alpine:3.19',
        createdAt: '1970-01-01T00:00:01.000Z',
        lastUsedAt: '1970-01-01T00:00:02.000Z',
        calls: 3,
        restarts: 1,
        containerId: 'c'.repeat(64),
      },
    ]);
    expect(new WorkerMetrics({ name: 'w', version: '1' }).snapshot().sessions).toEqual([]);
  });
});
