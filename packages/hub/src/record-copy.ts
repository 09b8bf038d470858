import { AgentCapabilities, AgentMetadata, TaskAssignment, TaskFinished } from '@baaaht/proto';
import type { AgentRecord, TaskRecord } from './task-store';

/**
 * Copies records across the store boundary, so a caller mutating what it got
 * can never change stored state behind the store's back (the memory store
 * would otherwise hide bugs the SQLite store exposes). structuredClone would
 * turn Buffers into plain Uint8Arrays, hence the message-aware copy.
 */
export function copyTask(record: TaskRecord): TaskRecord {
  const copy: TaskRecord = {
    ...record,
    selector: { ...record.selector },
    assignment: TaskAssignment.fromPartial(record.assignment),
  };
  if (record.finished) copy.finished = TaskFinished.fromPartial(record.finished);
  return copy;
}

export function copyAgent(record: AgentRecord): AgentRecord {
  return {
    ...record,
    metadata: AgentMetadata.fromPartial(record.metadata),
    capabilities: AgentCapabilities.fromPartial(record.capabilities),
  };
}
