import type { AgentCapabilities, AgentMetadata } from '@baaaht/proto';
import { invalidField } from './errors';

/**
 * What one registration may make the hub hold. Everything a worker sends in
 * Register is kept for the life of its session (and listed by ListWorkers),
 * so each field is bounded; hub-options.ts documents the defaults.
 */
export interface RegistrationLimits {
  maxWorkerNameBytes: number;
  maxLabels: number;
  maxLabelKeyBytes: number;
  maxLabelValueBytes: number;
  /** Entries of each list: supported tools, tasks, protocols; metadata tags. */
  maxListEntries: number;
  maxListEntryBytes: number;
  /** Each scalar metadata string: version, description, hostname, pid, owner id. */
  maxMetadataFieldBytes: number;
}

/** What a client can make the hub hold (see hub-options.ts for the meaning and defaults). */
export interface HubCoreLimits extends RegistrationLimits {
  registrationTtlMs: number;
  maxRegistrations: number;
  maxListWorkersPageSize: number;
  /** Encoded bytes one ListWorkers page stays under, so it always fits the gRPC message limit. */
  listWorkersPageBytes: number;
  maxListTasksPageSize: number;
  /** Encoded bytes one ListTasks page stays under. */
  listTasksPageBytes: number;
  /** Sandbox sessions the hub tracks for affinity; the least recently used is forgotten beyond. */
  maxSessions: number;
  /** How long `closeSession` waits for the holder's answer before resolving as PENDING. */
  sessionCloseTimeoutMs: number;
  maxListSessionsPageSize: number;
  /** Encoded bytes one ListSessions page stays under. */
  listSessionsPageBytes: number;
}

export const DEFAULT_HUB_CORE_LIMITS: HubCoreLimits = {
  registrationTtlMs: 60000,
  maxRegistrations: 1024,
  maxWorkerNameBytes: 128,
  maxLabels: 32,
  maxLabelKeyBytes: 64,
  maxLabelValueBytes: 256,
  maxListEntries: 128,
  maxListEntryBytes: 128,
  maxMetadataFieldBytes: 256,
  maxListWorkersPageSize: 100,
  listWorkersPageBytes: 4 * 1024 * 1024,
  maxListTasksPageSize: 100,
  listTasksPageBytes: 4 * 1024 * 1024,
  maxSessions: 10000,
  sessionCloseTimeoutMs: 5000,
  maxListSessionsPageSize: 100,
  listSessionsPageBytes: 4 * 1024 * 1024,
};

const bytes = (s: string): number => Buffer.byteLength(s, 'utf8');

function atMostBytes(field: string, value: string, max: number): void {
  const size = bytes(value);
  if (size > max) throw invalidField(field, `at most ${max} bytes, got ${size}`);
}

function boundedList(field: string, list: readonly string[], limits: RegistrationLimits): void {
  if (list.length > limits.maxListEntries) {
    throw invalidField(field, `at most ${limits.maxListEntries} entries, got ${list.length}`);
  }
  list.forEach((entry, i) => atMostBytes(`${field}[${i}]`, entry, limits.maxListEntryBytes));
}

/** Throws INVALID_ARGUMENT naming the field and the limit it broke ("labels: at most 32, got 40"). */
export function checkRegistration(
  name: string,
  metadata: AgentMetadata,
  capabilities: AgentCapabilities,
  limits: RegistrationLimits,
): void {
  atMostBytes('name', name, limits.maxWorkerNameBytes);
  const labels = Object.entries(metadata.labels);
  if (labels.length > limits.maxLabels)
    throw invalidField('labels', `at most ${limits.maxLabels}, got ${labels.length}`);
  for (const [key, value] of labels) {
    atMostBytes('labels: key', key, limits.maxLabelKeyBytes);
    atMostBytes(`labels[${key.slice(0, limits.maxLabelKeyBytes)}]`, value, limits.maxLabelValueBytes);
  }
  const scalars = {
    version: metadata.version,
    description: metadata.description,
    owner_id: metadata.ownerId,
    hostname: metadata.hostname,
    pid: metadata.pid,
  };
  for (const [field, value] of Object.entries(scalars)) {
    atMostBytes(`metadata.${field}`, value, limits.maxMetadataFieldBytes);
  }
  boundedList('metadata.tags', metadata.tags, limits);
  boundedList('capabilities.supported_tools', capabilities.supportedTools, limits);
  boundedList('capabilities.supported_tasks', capabilities.supportedTasks, limits);
  boundedList('capabilities.supported_protocols', capabilities.supportedProtocols, limits);
}
