import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import {
  AgentCapabilities,
  AgentMetadata,
  TaskAssignment,
  TaskFinished,
  TaskState,
  isTerminalTaskState,
} from '@baaaht/proto';
import { HubError } from './errors';
import { checkTaskQuery } from './task-query';
import type { AgentRecord, TaskPatch, TaskQuery, TaskRecord, TaskStore } from './task-store';

export interface SqliteTaskStoreOptions {
  /** Directory holding `hub.sqlite` (created if missing). */
  dataDir: string;
  /** @default 'hub.sqlite' */
  fileName?: string;
}

interface TaskRow {
  task_id: string;
  assignment: Buffer;
  selector: string;
  state: number;
  agent_id: string;
  agent_name: string;
  attempts: number;
  created_at: number;
  started_at: number | null;
  completed_at: number | null;
  cancel_requested: number;
  finished: Buffer | null;
}

interface AgentRow {
  agent_id: string;
  token: string;
  name: string;
  registered_at: number;
  metadata: Buffer;
  capabilities: Buffer;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS tasks (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  task_id TEXT NOT NULL UNIQUE,
  assignment BLOB NOT NULL,
  selector TEXT NOT NULL,
  state INTEGER NOT NULL,
  agent_id TEXT NOT NULL DEFAULT '',
  agent_name TEXT NOT NULL DEFAULT '',
  tool TEXT NOT NULL DEFAULT '',
  attempts INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  started_at INTEGER,
  completed_at INTEGER,
  cancel_requested INTEGER NOT NULL DEFAULT 0,
  finished BLOB
);
CREATE INDEX IF NOT EXISTS tasks_unfinished ON tasks (seq) WHERE finished IS NULL;
CREATE TABLE IF NOT EXISTS agents (
  agent_id TEXT PRIMARY KEY,
  token TEXT NOT NULL,
  name TEXT NOT NULL,
  registered_at INTEGER NOT NULL,
  metadata BLOB NOT NULL,
  capabilities BLOB NOT NULL
);
`;

/** After the migration: the columns listTasks filters and orders on. */
const INDEXES = `
CREATE INDEX IF NOT EXISTS tasks_newest ON tasks (created_at DESC, task_id DESC);
`;

const PATCH_COLUMNS: Record<keyof TaskPatch, string> = {
  state: 'state',
  agentId: 'agent_id',
  agentName: 'agent_name',
  attempts: 'attempts',
  startedAt: 'started_at',
  cancelRequested: 'cancel_requested',
};

/**
 * Durable store on SQLite in WAL mode: a hub killed at any point restarts
 * with every queued task, every recorded result and every worker session.
 * Submissions, results and sessions are written with synchronous=FULL (they
 * also survive power loss); dispatch state changes use NORMAL, because a lost
 * ASSIGNED/RUNNING mark is repaired by the worker's hello. Messages are stored
 * as their protobuf encoding.
 *
 * State: `open` from the constructor (which fails STORE_FAILED rather than half-open), then `closed`
 * after `close()` (final; closing again is a no-op).
 */
export class SqliteTaskStore implements TaskStore {
  readonly durable = true;
  readonly path: string;
  private readonly db: Database.Database;
  private readonly stmts;
  /** Statements built from a query's shape (patch fields, list filters), prepared once per shape. */
  private readonly shapedStmts = new Map<string, Database.Statement>();

  constructor(options: SqliteTaskStoreOptions) {
    mkdirSync(options.dataDir, { recursive: true });
    this.path = join(options.dataDir, options.fileName ?? 'hub.sqlite');
    try {
      this.db = new Database(this.path);
      this.db.pragma('journal_mode = WAL');
      // NORMAL in WAL mode survives a killed process; FULL (see durably()) also survives power
      // loss and is used for what a peer is told we keep: submissions, results, sessions.
      this.db.pragma('synchronous = NORMAL');
      this.db.pragma('busy_timeout = 5000');
      this.db.exec(SCHEMA);
      migrate(this.db);
      this.db.exec(INDEXES);
    } catch (err) {
      throw new HubError('STORE_FAILED', `cannot open task store at ${this.path}: ${(err as Error).message}`, {
        cause: err,
      });
    }
    const db = this.db;
    this.stmts = {
      insertTask: db.prepare(
        `INSERT OR IGNORE INTO tasks (task_id, assignment, selector, state, agent_id, agent_name, tool, attempts, created_at, started_at, cancel_requested)
         VALUES (@task_id, @assignment, @selector, @state, @agent_id, @agent_name, @tool, @attempts, @created_at, @started_at, @cancel_requested)`,
      ),
      getTask: db.prepare<[string], TaskRow>('SELECT * FROM tasks WHERE task_id = ?'),
      finishTask: db.prepare(
        `UPDATE tasks SET finished = @finished, state = @state, completed_at = @completed_at
         WHERE task_id = @task_id AND finished IS NULL`,
      ),
      unfinished: db.prepare<[], TaskRow>('SELECT * FROM tasks WHERE finished IS NULL ORDER BY seq'),
      saveAgent: db.prepare(
        `INSERT INTO agents (agent_id, token, name, registered_at, metadata, capabilities)
         VALUES (@agent_id, @token, @name, @registered_at, @metadata, @capabilities)
         ON CONFLICT(agent_id) DO UPDATE SET token = excluded.token, name = excluded.name,
           metadata = excluded.metadata, capabilities = excluded.capabilities`,
      ),
      getAgent: db.prepare<[string], AgentRow>('SELECT * FROM agents WHERE agent_id = ?'),
      deleteAgent: db.prepare('DELETE FROM agents WHERE agent_id = ?'),
      listAgents: db.prepare<[], AgentRow>('SELECT * FROM agents ORDER BY registered_at'),
    };
  }

  /** Runs one write with synchronous=FULL: the WAL is fsynced before it returns. */
  private durably<T>(write: () => T): T {
    this.db.pragma('synchronous = FULL');
    try {
      return write();
    } finally {
      this.db.pragma('synchronous = NORMAL');
    }
  }

  createTask(record: TaskRecord): boolean {
    const result = this.durably(() =>
      this.stmts.insertTask.run({
        task_id: record.taskId,
        assignment: Buffer.from(TaskAssignment.encode(record.assignment).finish()),
        selector: JSON.stringify(record.selector),
        state: record.state,
        agent_id: record.agentId,
        agent_name: record.agentName,
        tool: record.assignment.tool,
        attempts: record.attempts,
        created_at: record.createdAt,
        started_at: record.startedAt ?? null,
        cancel_requested: record.cancelRequested ? 1 : 0,
      }),
    );
    return result.changes === 1;
  }

  getTask(taskId: string): TaskRecord | undefined {
    const row = this.stmts.getTask.get(taskId);
    return row && rowToTask(row);
  }

  updateTask(taskId: string, patch: TaskPatch): void {
    const sets: string[] = [];
    const values: Record<string, unknown> = { task_id: taskId };
    for (const [key, column] of Object.entries(PATCH_COLUMNS) as [keyof TaskPatch, string][]) {
      if (!(key in patch)) continue;
      const value = patch[key];
      sets.push(`${column} = @${column}`);
      values[column] = typeof value === 'boolean' ? (value ? 1 : 0) : (value ?? null);
    }
    if (sets.length === 0) return;
    this.statement(`UPDATE tasks SET ${sets.join(', ')} WHERE task_id = @task_id AND finished IS NULL`).run(values);
  }

  finishTask(taskId: string, finished: TaskFinished, completedAt: number): boolean {
    const result = this.durably(() =>
      this.stmts.finishTask.run({
        task_id: taskId,
        finished: Buffer.from(TaskFinished.encode(finished).finish()),
        state: isTerminalTaskState(finished.state) ? finished.state : TaskState.TASK_STATE_ERROR,
        completed_at: completedAt,
      }),
    );
    return result.changes === 1;
  }

  unfinishedTasks(): TaskRecord[] {
    return this.stmts.unfinished.all().map(rowToTask);
  }

  listTasks(query: TaskQuery): TaskRecord[] {
    checkTaskQuery(query);
    const where: string[] = [];
    const values: Record<string, unknown> = { limit: query.limit };
    if (query.states !== undefined && query.states.length > 0) {
      where.push('state IN (SELECT value FROM json_each(@states))');
      values['states'] = JSON.stringify(query.states);
    }
    if (query.tool) {
      where.push('tool = @tool');
      values['tool'] = query.tool;
    }
    if (query.worker) {
      where.push('(agent_id = @worker OR agent_name = @worker)');
      values['worker'] = query.worker;
    }
    if (query.after !== undefined) {
      where.push('(created_at < @after_created OR (created_at = @after_created AND task_id < @after_id))');
      values['after_created'] = query.after.createdAt;
      values['after_id'] = query.after.taskId;
    }
    const sql =
      `SELECT * FROM tasks${where.length > 0 ? ` WHERE ${where.join(' AND ')}` : ''}` +
      ' ORDER BY created_at DESC, task_id DESC LIMIT @limit';
    return this.statement(sql)
      .all(values)
      .map((row) => rowToTask(row as TaskRow));
  }

  private statement(sql: string): Database.Statement {
    let stmt = this.shapedStmts.get(sql);
    if (!stmt) {
      stmt = this.db.prepare(sql);
      this.shapedStmts.set(sql, stmt);
    }
    return stmt;
  }

  saveAgent(record: AgentRecord): void {
    this.durably(() =>
      this.stmts.saveAgent.run({
        agent_id: record.agentId,
        token: record.token,
        name: record.name,
        registered_at: record.registeredAt,
        metadata: Buffer.from(AgentMetadata.encode(record.metadata).finish()),
        capabilities: Buffer.from(AgentCapabilities.encode(record.capabilities).finish()),
      }),
    );
  }

  getAgent(agentId: string): AgentRecord | undefined {
    const row = this.stmts.getAgent.get(agentId);
    return row && rowToAgent(row);
  }

  deleteAgent(agentId: string): void {
    this.stmts.deleteAgent.run(agentId);
  }

  listAgents(): AgentRecord[] {
    return this.stmts.listAgents.all().map(rowToAgent);
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}

/**
 * Brings a store written before `tool` and `agent_name` existed up to date: adds the columns, fills
 * `tool` from each stored assignment and `agent_name` from the sessions still known. Runs once.
 */
function migrate(db: Database.Database): void {
  const columns = new Set(
    db
      .prepare<[], { name: string }>('PRAGMA table_info(tasks)')
      .all()
      .map((c) => c.name),
  );
  db.transaction(() => {
    if (!columns.has('agent_name')) {
      db.exec("ALTER TABLE tasks ADD COLUMN agent_name TEXT NOT NULL DEFAULT ''");
      db.exec(
        "UPDATE tasks SET agent_name = COALESCE((SELECT name FROM agents WHERE agents.agent_id = tasks.agent_id), '')",
      );
    }
    if (!columns.has('tool')) {
      db.exec("ALTER TABLE tasks ADD COLUMN tool TEXT NOT NULL DEFAULT ''");
      const rows = db.prepare<[], { seq: number; assignment: Buffer }>('SELECT seq, assignment FROM tasks').all();
      const set = db.prepare('UPDATE tasks SET tool = ? WHERE seq = ?');
      for (const row of rows) set.run(TaskAssignment.decode(row.assignment).tool, row.seq);
    }
  })();
}

function rowToTask(row: TaskRow): TaskRecord {
  const record: TaskRecord = {
    taskId: row.task_id,
    assignment: TaskAssignment.decode(row.assignment),
    selector: JSON.parse(row.selector) as Record<string, string>,
    state: row.state as TaskState,
    agentId: row.agent_id,
    agentName: row.agent_name,
    attempts: row.attempts,
    createdAt: row.created_at,
    cancelRequested: row.cancel_requested === 1,
  };
  if (row.started_at !== null) record.startedAt = row.started_at;
  if (row.completed_at !== null) record.completedAt = row.completed_at;
  if (row.finished !== null) record.finished = TaskFinished.decode(row.finished);
  return record;
}

function rowToAgent(row: AgentRow): AgentRecord {
  return {
    agentId: row.agent_id,
    token: row.token,
    name: row.name,
    registeredAt: row.registered_at,
    metadata: AgentMetadata.decode(row.metadata),
    capabilities: AgentCapabilities.decode(row.capabilities),
  };
}
