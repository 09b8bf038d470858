import { PassThrough } from 'node:stream';
import type { LiveTaskInfo } from '@baaaht/executor';
import { parseCommand } from '../args';
import type { CliIo } from '../cli-io';
import { startStatusServer } from '../status-server';
import { WorkerMetrics, runningTaskSnapshots } from '../worker-metrics';
import { formatRunningTasks, runStatusCommand, statusCommand, statusUrl } from './status-command';

const SINCE = Date.parse('2026-01-01T00:00:00.000Z');
const live: LiveTaskInfo[] = [
  {
    taskId: 'task-1',
    tool: 'fetch_url',
    state: 'running',
    startedAt: SINCE,
    containerId: '0123456789abcdef0123',
    sessionId: 'sess-a',
  },
  { taskId: 'task-2', tool: 'grep', state: 'queued', startedAt: SINCE + 1000, containerId: null, sessionId: null },
];

function captureIo(tty: boolean, env: NodeJS.ProcessEnv = {}): { io: CliIo; out: () => string } {
  const stdout = Object.assign(new PassThrough(), { isTTY: tty });
  let text = '';
  stdout.on('data', (c: Buffer) => (text += c.toString()));
  return { io: { stdout, stderr: new PassThrough(), env, signals: process }, out: () => text };
}

describe('worker status', () => {
  it('formats the running tasks: id, tool, state, since, 12-character container, session', () => {
    expect(formatRunningTasks(runningTaskSnapshots(live), true, SINCE + 75_000)).toBe(
      [
        'TASK    TOOL       STATE    SINCE      CONTAINER     SESSION',
        'task-1  fetch_url  running  1m15s ago  0123456789ab  sess-a',
        'task-2  grep       queued   1m14s ago  -             -',
        '',
      ].join('\n'),
    );
  });

  it('asks a wildcard bind on loopback', () => {
    expect(statusUrl('0.0.0.0:9090', '--addr')).toBe('http://127.0.0.1:9090/status.json');
    expect(statusUrl('[::]:9090', '--addr')).toBe('http://[::1]:9090/status.json');
    expect(statusUrl(':9090', '--addr')).toBe('http://127.0.0.1:9090/status.json');
    expect(() => statusUrl('nope', '--addr')).toThrow(expect.objectContaining({ code: 'USAGE' }));
  });

  it("reads a worker's /status.json: its tasks in a table, --json as served", async () => {
    const metrics = new WorkerMetrics({ name: 'box-1', version: '0', liveTasks: () => live });
    metrics.setConnection('ready');
    metrics.setRegistered('agent-1');
    metrics.taskFinished('completed');
    const server = await startStatusServer({
      address: '127.0.0.1:0',
      snapshot: () => metrics.snapshot(),
      ready: () => metrics.ready,
    });
    try {
      const addr = `127.0.0.1:${server.address.port}`;
      const text = captureIo(false);
      expect(await runStatusCommand(parseCommand(statusCommand, ['--addr', addr]), text.io, () => SINCE + 5000)).toBe(
        0,
      );
      const lines = text.out().split('\n');
      expect(lines[0]).toBe('worker box-1 (agent agent-1): ready');
      expect(lines[2]).toBe('  tasks running 2; finished: completed 1');
      expect(lines[3]).toBe('TASK\tTOOL\tSTATE\tSINCE\tCONTAINER\tSESSION');
      expect(lines[4]).toBe('task-1\tfetch_url\trunning\t5s ago\t0123456789ab\tsess-a');

      const json = captureIo(true, { WORKER_STATUS_ADDR: addr });
      expect(await runStatusCommand(parseCommand(statusCommand, ['--json']), json.io)).toBe(0);
      expect(JSON.parse(json.out()).tasks).toEqual([
        {
          taskId: 'task-1',
          tool: 'fetch_url',
          state: 'running',
          since: '2026-01-01T00:00:00.000Z',
          containerId: '0123456789abcdef0123',
          sessionId: 'sess-a',
        },
        {
          taskId: 'task-2',
          tool: 'grep',
          state: 'queued',
          since: '2026-01-01T00:00:01.000Z',
          containerId: null,
          sessionId: null,
        },
      ]);
    } finally {
      await server.close();
    }
  });

  it('says where it looked when nothing answers, and wants an address', async () => {
    const probe = await startStatusServer({
      address: '127.0.0.1:0',
      snapshot: () => new WorkerMetrics({ name: 'x', version: '0' }).snapshot(),
      ready: () => false,
    });
    const port = probe.address.port;
    await probe.close();
    const { io } = captureIo(false);
    await expect(
      runStatusCommand(parseCommand(statusCommand, ['--addr', `127.0.0.1:${port}`]), io),
    ).rejects.toMatchObject({
      code: 'WORKER_UNAVAILABLE',
      exitCode: 1,
      message: expect.stringMatching(
        new RegExp(
          `^no worker status at http://127\\.0\\.0\\.1:${port}/status\\.json: ECONNREFUSED \\(is the worker running with --status-addr`,
        ),
      ),
    });
    await expect(runStatusCommand(parseCommand(statusCommand, []), io)).rejects.toMatchObject({ code: 'USAGE' });
  });
});
