import { TaskFinished, TaskState, isTerminalTaskState } from '@baaaht/proto';
import { copyAgent, copyTask } from './record-copy';
import { checkTaskQuery, matchesTaskQuery, newestFirst } from './task-query';
import type { AgentRecord, TaskPatch, TaskQuery, TaskRecord, TaskStore } from './task-store';

/** The default store: fast, and gone with the process. */
export class MemoryTaskStore implements TaskStore {
  readonly durable = false;
  private readonly tasks = new Map<string, TaskRecord>();
  private readonly agents = new Map<string, AgentRecord>();

  createTask(record: TaskRecord): boolean {
    if (this.tasks.has(record.taskId)) return false;
    this.tasks.set(record.taskId, copyTask(record));
    return true;
  }

  getTask(taskId: string): TaskRecord | undefined {
    const record = this.tasks.get(taskId);
    return record && copyTask(record);
  }

  updateTask(taskId: string, patch: TaskPatch): void {
    const record = this.tasks.get(taskId);
    if (!record || record.finished) return;
    Object.assign(record, patch);
  }

  finishTask(taskId: string, finished: TaskFinished, completedAt: number): boolean {
    const record = this.tasks.get(taskId);
    if (!record || record.finished) return false;
    record.finished = TaskFinished.fromPartial(finished);
    record.state = isTerminalTaskState(finished.state) ? finished.state : TaskState.TASK_STATE_ERROR;
    record.completedAt = completedAt;
    return true;
  }

  unfinishedTasks(): TaskRecord[] {
    return [...this.tasks.values()].filter((t) => !t.finished).map(copyTask);
  }

  listTasks(query: TaskQuery): TaskRecord[] {
    checkTaskQuery(query);
    return [...this.tasks.values()]
      .filter((t) => matchesTaskQuery(t, query))
      .sort(newestFirst)
      .slice(0, query.limit)
      .map(copyTask);
  }

  saveAgent(record: AgentRecord): void {
    this.agents.set(record.agentId, copyAgent(record));
  }

  getAgent(agentId: string): AgentRecord | undefined {
    const record = this.agents.get(agentId);
    return record && copyAgent(record);
  }

  deleteAgent(agentId: string): void {
    this.agents.delete(agentId);
  }

  listAgents(): AgentRecord[] {
    return [...this.agents.values()].map(copyAgent);
  }

  close(): void {}
}
