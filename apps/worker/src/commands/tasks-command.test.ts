import { Task, TaskFinished, TaskState } from '@baaaht/proto';
import { reportFromFinished } from '../hub-results';
import { formatTaskStatus, formatTaskTable, parseStates, taskView } from './tasks-command';

const NOW = Date.parse('2026-01-01T00:10:00.000Z');
const at = (iso: string): Date => new Date(`2026-01-01T${iso}Z`);

const completed = Task.fromPartial({
  id: 'task-completed',
  name: 'grep',
  state: TaskState.TASK_STATE_COMPLETED,
  agentId: '0b6f1c9e-agent',
  agentName: 'box-1',
  attempts: 1,
  createdAt: at('00:00:00.000'),
  startedAt: at('00:00:01.000'),
  completedAt: at('00:00:02.500'),
  assignment: { taskId: 'task-completed', tool: 'grep' },
  finished: TaskFinished.fromPartial({
    taskId: 'task-completed',
    state: TaskState.TASK_STATE_COMPLETED,
    durationMs: 1234,
    containerId: '0123456789abcdef',
  }),
});
const running = Task.fromPartial({
  id: 'task-running',
  name: 'fetch_url',
  state: TaskState.TASK_STATE_RUNNING,
  agentId: '0b6f1c9e-agent',
  agentName: 'box-1',
  attempts: 2,
  createdAt: at('00:05:00.000'),
  startedAt: at('00:09:30.000'),
});
const queued = Task.fromPartial({
  id: 'task-queued',
  name: 'list',
  state: TaskState.TASK_STATE_QUEUED,
  createdAt: at('00:09:59.600'),
});
const failed = Task.fromPartial({
  id: 'task-failed',
  name: 'file_edit',
  state: TaskState.TASK_STATE_FAILED,
  agentId: 'agent-without-name',
  attempts: 1,
  createdAt: at('00:01:00.000'),
  startedAt: at('00:01:00.000'),
  completedAt: at('00:01:00.300'),
  finished: TaskFinished.fromPartial({
    state: TaskState.TASK_STATE_FAILED,
    exitCode: 1,
    durationMs: 300,
    error: { code: 'TOOL_FAILED', message: 'old_string not found', detail: 'EDIT_NO_MATCH' },
  }),
});

describe('taskView', () => {
  it('puts states in words, the worker by name, and measures age and run time', () => {
    expect(taskView(completed, NOW)).toEqual({
      taskId: 'task-completed',
      tool: 'grep',
      state: 'completed',
      worker: 'box-1',
      agentId: '0b6f1c9e-agent',
      attempts: 1,
      createdAt: '2026-01-01T00:00:00.000Z',
      startedAt: '2026-01-01T00:00:01.000Z',
      completedAt: '2026-01-01T00:00:02.500Z',
      ageMs: 600_000,
      durationMs: 1234,
      error: null,
    });
    // Running: the run time so far. Queued: no worker, no run time.
    expect(taskView(running, NOW)).toMatchObject({ state: 'running', durationMs: 30_000, attempts: 2 });
    expect(taskView(queued, NOW)).toMatchObject({ state: 'queued', worker: null, agentId: null, durationMs: null });
    // A worker the hub recorded no name for is shown by its agent id; the error keeps its detail.
    expect(taskView(failed, NOW)).toMatchObject({
      worker: 'agent-without-name',
      error: { code: 'TOOL_FAILED', message: 'old_string not found', detail: 'EDIT_NO_MATCH' },
    });
  });
});

describe('formatTaskTable', () => {
  const views = [queued, running, failed, completed].map((t) => taskView(t, NOW));

  it('aligns ID TOOL STATE WORKER ATTEMPTS AGE DURATION on a terminal', () => {
    expect(formatTaskTable(views, true)).toBe(
      [
        'ID              TOOL       STATE      WORKER              ATTEMPTS  AGE    DURATION',
        'task-queued     list       queued     -                   0         400ms  -',
        'task-running    fetch_url  running    box-1               2         5m     30s',
        'task-failed     file_edit  failed     agent-without-name  1         9m     300ms',
        'task-completed  grep       completed  box-1               1         10m    1s',
        '',
      ].join('\n'),
    );
  });

  it('is tab-separated with the header first otherwise', () => {
    const lines = formatTaskTable(views, false).trimEnd().split('\n');
    expect(lines[0]).toBe('ID\tTOOL\tSTATE\tWORKER\tATTEMPTS\tAGE\tDURATION');
    expect(lines[2]?.split('\t')).toEqual(['task-running', 'fetch_url', 'running', 'box-1', '2', '5m', '30s']);
  });
});

describe('parseStates', () => {
  it('takes words, comma-separated or repeated, in any case, once each', () => {
    expect(parseStates(['running,queued', 'COMPLETED', 'running'])).toEqual([
      TaskState.TASK_STATE_RUNNING,
      TaskState.TASK_STATE_QUEUED,
      TaskState.TASK_STATE_COMPLETED,
    ]);
    expect(parseStates([])).toEqual([]);
  });

  it('refuses a word that names no state, listing the words (exit 2)', () => {
    expect(() => parseStates(['done'])).toThrow(
      expect.objectContaining({
        code: 'USAGE',
        message: expect.stringMatching(/^--state: unknown state "done" \(one of .*completed/),
      }),
    );
    expect(() => parseStates(['TASK_STATE_RUNNING'])).toThrow(expect.objectContaining({ exitCode: 2 }));
  });
});

describe('formatTaskStatus', () => {
  it('says it in words with the worker name, the timings, the error and the result', () => {
    const view = taskView(failed, NOW);
    expect(formatTaskStatus(view, reportFromFinished(view.tool, failed.finished as TaskFinished))).toBe(
      [
        'task task-failed: failed',
        '  tool      file_edit',
        '  worker    agent-without-name',
        '  attempts  1',
        '  created   2026-01-01T00:01:00.000Z (9m ago)',
        '  started   2026-01-01T00:01:00.000Z',
        '  finished  2026-01-01T00:01:00.300Z',
        '  duration  300ms',
        '  error     TOOL_FAILED (EDIT_NO_MATCH): old_string not found',
        '  result    file_edit failed in 300ms (exit 1): TOOL_FAILED (EDIT_NO_MATCH): old_string not found',
        '',
      ].join('\n'),
    );
    expect(formatTaskStatus(taskView(running, NOW), null)).toContain('  worker    box-1 (agent 0b6f1c9e-agent)\n');
    expect(formatTaskStatus(taskView(queued, NOW), null)).toContain('  worker    - (not assigned)\n');
  });
});
