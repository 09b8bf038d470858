import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TaskState } from '@baaaht/proto';
import { SqliteTaskStore } from './sqlite-task-store';
import { agentRecord, describeTaskStoreContract, finishedOf, taskRecord } from './test-support/task-store-contract';

const dirs: string[] = [];
function freshDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'hub-store-'));
  dirs.push(dir);
  return dir;
}
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describeTaskStoreContract('SqliteTaskStore', () => new SqliteTaskStore({ dataDir: freshDir() }));

describe('SqliteTaskStore durability', () => {
  test('a reopened store has every task, result and agent session', () => {
    const dataDir = freshDir();
    const first = new SqliteTaskStore({ dataDir });
    first.createTask(taskRecord('queued'));
    first.createTask(taskRecord('held', { state: TaskState.TASK_STATE_RUNNING, agentId: 'w1', attempts: 1 }));
    first.createTask(taskRecord('done'));
    first.finishTask('done', finishedOf('done', 'result'), 5);
    first.saveAgent(agentRecord('w1'));
    first.close();

    const second = new SqliteTaskStore({ dataDir });
    expect(second.unfinishedTasks().map((t) => [t.taskId, t.state, t.agentId])).toEqual([
      ['queued', TaskState.TASK_STATE_QUEUED, ''],
      ['held', TaskState.TASK_STATE_RUNNING, 'w1'],
    ]);
    expect(second.getTask('done')?.finished?.stdout.toString()).toBe('result');
    expect(second.getAgent('w1')?.token).toBe('tok-w1');
    second.close();
  });

  test('runs in WAL mode and writes results with synchronous=FULL', () => {
    const store = new SqliteTaskStore({ dataDir: freshDir() });
    const db = (store as unknown as { db: { pragma(s: string, o?: { simple: boolean }): unknown } }).db;
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    const seen: unknown[] = [];
    const pragma = db.pragma.bind(db);
    db.pragma = (s: string, o?: { simple: boolean }) => {
      if (s.startsWith('synchronous =')) seen.push(s);
      return pragma(s, o);
    };
    store.createTask(taskRecord('a'));
    store.updateTask('a', { state: TaskState.TASK_STATE_ASSIGNED });
    store.finishTask('a', finishedOf('a', 'x'), 1);
    expect(seen).toEqual(['synchronous = FULL', 'synchronous = NORMAL', 'synchronous = FULL', 'synchronous = NORMAL']);
    expect(pragma('synchronous', { simple: true })).toBe(1);
    store.close();
  });
});
