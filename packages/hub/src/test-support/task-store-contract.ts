import { AgentCapabilities, AgentMetadata, TaskAssignment, TaskFinished, TaskState } from '@baaaht/proto';
import type { AgentRecord, TaskRecord, TaskStore } from '../task-store';

export function taskRecord(taskId: string, extra: Partial<TaskRecord> = {}): TaskRecord {
  return {
    taskId,
    assignment: TaskAssignment.fromPartial({
      taskId,
      tool: 'echo',
      params: { text: 'hi', n: 2 },
      args: ['-a'],
      labels: { k: 'v' },
    }),
    selector: { pool: 'a' },
    state: TaskState.TASK_STATE_QUEUED,
    agentId: '',
    agentName: '',
    attempts: 0,
    createdAt: 1000,
    cancelRequested: false,
    ...extra,
  };
}

export function finishedOf(taskId: string, text: string, state = TaskState.TASK_STATE_COMPLETED): TaskFinished {
  return TaskFinished.fromPartial({ taskId, state, exitCode: 0, stdout: Buffer.from(text), durationMs: 5, attempt: 1 });
}

export function agentRecord(agentId: string): AgentRecord {
  return {
    agentId,
    token: `tok-${agentId}`,
    name: `worker-${agentId}`,
    registeredAt: 42,
    metadata: AgentMetadata.fromPartial({ version: '1', labels: { pool: 'a' } }),
    capabilities: AgentCapabilities.fromPartial({ supportedTools: ['echo'], maxConcurrentTasks: 4 }),
  };
}

/** The behaviour every TaskStore must have; run against each implementation. */
export function describeTaskStoreContract(name: string, open: () => TaskStore): void {
  describe(`${name} (TaskStore contract)`, () => {
    let store: TaskStore;
    beforeEach(() => {
      store = open();
    });
    afterEach(() => store.close());

    test('creates once per id and reads back what it stored', () => {
      expect(store.createTask(taskRecord('a'))).toBe(true);
      expect(store.createTask(taskRecord('a', { selector: {} }))).toBe(false);
      const got = store.getTask('a');
      expect(got?.selector).toEqual({ pool: 'a' });
      expect(got?.assignment.params).toEqual({ text: 'hi', n: 2 });
      expect(got?.assignment.args).toEqual(['-a']);
      expect(got?.state).toBe(TaskState.TASK_STATE_QUEUED);
      expect(store.getTask('missing')).toBeUndefined();
    });

    test('updates patch only the given fields', () => {
      store.createTask(taskRecord('a'));
      store.updateTask('a', { state: TaskState.TASK_STATE_ASSIGNED, agentId: 'w1', attempts: 1 });
      store.updateTask('a', { startedAt: 2000, cancelRequested: true });
      expect(store.getTask('a')).toMatchObject({
        state: TaskState.TASK_STATE_ASSIGNED,
        agentId: 'w1',
        attempts: 1,
        startedAt: 2000,
        cancelRequested: true,
      });
    });

    test('the first terminal result wins; later ones change nothing', () => {
      store.createTask(taskRecord('a', { agentId: 'w1', state: TaskState.TASK_STATE_RUNNING }));
      expect(store.finishTask('a', finishedOf('a', 'first'), 3000)).toBe(true);
      expect(store.finishTask('a', finishedOf('a', 'second', TaskState.TASK_STATE_FAILED), 4000)).toBe(false);
      store.updateTask('a', { state: TaskState.TASK_STATE_QUEUED });
      const got = store.getTask('a');
      expect(got?.state).toBe(TaskState.TASK_STATE_COMPLETED);
      expect(Buffer.isBuffer(got?.finished?.stdout)).toBe(true);
      expect(got?.finished?.stdout.toString()).toBe('first');
      expect(got?.completedAt).toBe(3000);
      expect(got?.agentId).toBe('w1');
      expect(store.finishTask('missing', finishedOf('missing', 'x'), 1)).toBe(false);
    });

    test('lists unfinished tasks oldest first', () => {
      for (const id of ['c', 'a', 'b']) store.createTask(taskRecord(id));
      store.finishTask('a', finishedOf('a', 'done'), 1);
      expect(store.unfinishedTasks().map((t) => t.taskId)).toEqual(['c', 'b']);
    });

    describe('listTasks', () => {
      const ids = (records: TaskRecord[]): string[] => records.map((t) => t.taskId);
      beforeEach(() => {
        // Created out of order, two at the same millisecond: the order is createdAt, then id, both descending.
        store.createTask(taskRecord('old', { createdAt: 1000 }));
        store.createTask(
          taskRecord('grep-1', {
            createdAt: 3000,
            assignment: TaskAssignment.fromPartial({ taskId: 'grep-1', tool: 'grep' }),
          }),
        );
        store.createTask(taskRecord('mid-b', { createdAt: 2000 }));
        store.createTask(taskRecord('mid-a', { createdAt: 2000 }));
        store.updateTask('mid-b', {
          state: TaskState.TASK_STATE_RUNNING,
          agentId: 'agent-1',
          agentName: 'box-1',
          attempts: 1,
        });
        store.updateTask('old', { state: TaskState.TASK_STATE_ASSIGNED, agentId: 'agent-2', agentName: 'box-2' });
        store.finishTask('old', finishedOf('old', 'out'), 1500);
      });

      test('lists newest first: createdAt, then task id, both descending', () => {
        expect(ids(store.listTasks({ limit: 10 }))).toEqual(['grep-1', 'mid-b', 'mid-a', 'old']);
      });

      test('keeps each record whole, the worker name included', () => {
        const [mid] = store.listTasks({ limit: 1, worker: 'box-1' });
        expect(mid).toMatchObject({ taskId: 'mid-b', agentId: 'agent-1', agentName: 'box-1', attempts: 1 });
        const [old] = store.listTasks({ limit: 1, states: [TaskState.TASK_STATE_COMPLETED] });
        expect(old?.finished?.stdout.toString()).toBe('out');
        expect(old).toMatchObject({ agentName: 'box-2', completedAt: 1500 });
      });

      test('filters by state, tool and worker (agent id or name), all together', () => {
        expect(ids(store.listTasks({ limit: 10, states: [TaskState.TASK_STATE_QUEUED] }))).toEqual(['grep-1', 'mid-a']);
        expect(
          ids(store.listTasks({ limit: 10, states: [TaskState.TASK_STATE_RUNNING, TaskState.TASK_STATE_COMPLETED] })),
        ).toEqual(['mid-b', 'old']);
        expect(ids(store.listTasks({ limit: 10, tool: 'grep' }))).toEqual(['grep-1']);
        expect(ids(store.listTasks({ limit: 10, tool: 'echo' }))).toEqual(['mid-b', 'mid-a', 'old']);
        expect(ids(store.listTasks({ limit: 10, worker: 'agent-2' }))).toEqual(['old']);
        expect(ids(store.listTasks({ limit: 10, worker: 'box-2' }))).toEqual(['old']);
        expect(ids(store.listTasks({ limit: 10, tool: 'grep', worker: 'box-1' }))).toEqual([]);
        expect(ids(store.listTasks({ limit: 10, tool: '', worker: '', states: [] }))).toHaveLength(4);
      });

      test('pages with a limit and a cursor, never repeating or skipping a task', () => {
        const first = store.listTasks({ limit: 2 });
        expect(ids(first)).toEqual(['grep-1', 'mid-b']);
        const last = first[1] as TaskRecord;
        const second = store.listTasks({ limit: 2, after: { createdAt: last.createdAt, taskId: last.taskId } });
        expect(ids(second)).toEqual(['mid-a', 'old']);
        expect(store.listTasks({ limit: 2, after: { createdAt: 1000, taskId: 'old' } })).toEqual([]);
        expect(ids(store.listTasks({ limit: 5, tool: 'echo', after: { createdAt: 2000, taskId: 'mid-b' } }))).toEqual([
          'mid-a',
          'old',
        ]);
      });

      test('returns copies, and refuses a limit that is not a positive integer', () => {
        const [got] = store.listTasks({ limit: 1 });
        (got as TaskRecord).state = TaskState.TASK_STATE_FAILED;
        expect(store.getTask('grep-1')?.state).toBe(TaskState.TASK_STATE_QUEUED);
        expect(() => store.listTasks({ limit: 0 })).toThrow(TypeError);
        expect(() => store.listTasks({ limit: 1.5 })).toThrow(TypeError);
      });
    });

    test('returns copies: mutating a result does not change the store', () => {
      store.createTask(taskRecord('a'));
      const got = store.getTask('a') as TaskRecord;
      got.state = TaskState.TASK_STATE_FAILED;
      got.selector['x'] = 'y';
      expect(store.getTask('a')?.state).toBe(TaskState.TASK_STATE_QUEUED);
      expect(store.getTask('a')?.selector).toEqual({ pool: 'a' });
    });

    test('keeps, replaces and deletes agent sessions', () => {
      store.saveAgent(agentRecord('w1'));
      store.saveAgent({ ...agentRecord('w2'), registeredAt: 43 });
      store.saveAgent({ ...agentRecord('w1'), name: 'renamed' });
      expect(store.getAgent('w1')).toMatchObject({ token: 'tok-w1', name: 'renamed' });
      expect(store.getAgent('w1')?.metadata.labels).toEqual({ pool: 'a' });
      expect(store.getAgent('w1')?.capabilities.supportedTools).toEqual(['echo']);
      expect(store.listAgents().map((a) => a.agentId)).toEqual(['w1', 'w2']);
      store.deleteAgent('w1');
      expect(store.getAgent('w1')).toBeUndefined();
      expect(store.listAgents()).toHaveLength(1);
    });
  });
}
