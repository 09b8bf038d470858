import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { AgentCapabilities, AgentMetadata, TaskAssignment, TaskState } from '@baaaht/proto';
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

describe('SqliteTaskStore migration', () => {
  test('a store written before tool and agent_name existed lists by tool and by worker name', () => {
    const dataDir = freshDir();
    // The tables exactly as the previous release created them.
    const old = new Database(join(dataDir, 'hub.sqlite'));
    old.exec(`
      CREATE TABLE tasks (
        seq INTEGER PRIMARY KEY AUTOINCREMENT, task_id TEXT NOT NULL UNIQUE, assignment BLOB NOT NULL,
        selector TEXT NOT NULL, state INTEGER NOT NULL, agent_id TEXT NOT NULL DEFAULT '',
        attempts INTEGER NOT NULL DEFAULT 0, created_at INTEGER NOT NULL, started_at INTEGER,
        completed_at INTEGER, cancel_requested INTEGER NOT NULL DEFAULT 0, finished BLOB);
      CREATE TABLE agents (
        agent_id TEXT PRIMARY KEY, token TEXT NOT NULL, name TEXT NOT NULL, registered_at INTEGER NOT NULL,
        metadata BLOB NOT NULL, capabilities BLOB NOT NULL);
    `);
    const insert = old.prepare(
      'INSERT INTO tasks (task_id, assignment, selector, state, agent_id, created_at) VALUES (?, ?, ?, ?, ?, ?)',
    );
    const assignment = (taskId: string, tool: string): Buffer =>
      Buffer.from(TaskAssignment.encode(TaskAssignment.fromPartial({ taskId, tool })).finish());
    insert.run('t-grep', assignment('t-grep', 'grep'), '{}', TaskState.TASK_STATE_RUNNING, 'agent-1', 10);
    insert.run('t-list', assignment('t-list', 'list'), '{}', TaskState.TASK_STATE_QUEUED, '', 20);
    old
      .prepare('INSERT INTO agents VALUES (?, ?, ?, ?, ?, ?)')
      .run(
        'agent-1',
        'tok',
        'box-1',
        1,
        Buffer.from(AgentMetadata.encode(AgentMetadata.fromPartial({})).finish()),
        Buffer.from(AgentCapabilities.encode(AgentCapabilities.fromPartial({})).finish()),
      );
    old.close();

    const store = new SqliteTaskStore({ dataDir });
    expect(store.listTasks({ limit: 10 }).map((t) => t.taskId)).toEqual(['t-list', 't-grep']);
    expect(store.listTasks({ limit: 10, tool: 'grep' }).map((t) => t.taskId)).toEqual(['t-grep']);
    expect(store.listTasks({ limit: 10, worker: 'box-1' }).map((t) => [t.taskId, t.agentName])).toEqual([
      ['t-grep', 'box-1'],
    ]);
    expect(store.getTask('t-list')?.agentName).toBe('');
    store.close();
    // Migrating is once: reopening finds the columns and changes nothing.
    const again = new SqliteTaskStore({ dataDir });
    expect(again.listTasks({ limit: 10, tool: 'list' }).map((t) => t.taskId)).toEqual(['t-list']);
    again.close();
  });
});
