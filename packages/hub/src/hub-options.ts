import { readFileSync } from 'node:fs';
import { DEFAULT_MAX_MESSAGE_BYTES } from '@baaaht/proto';
import type { Clock } from './clock';
import { systemClock } from './clock';
import type { Logger } from './logger';
import { quietLogger } from './logger';
import type { MetricMeter } from './metric-meter';
import { noopMeter } from './metric-meter';
import { DEFAULT_HUB_CORE_LIMITS as LIMITS } from './registration-limits';
import type { TaskStore } from './task-store';

/** Server TLS; give `ca*` with `requireClientCert` for mutual TLS. */
export interface HubTlsOptions {
  cert?: string | Buffer;
  certFile?: string;
  key?: string | Buffer;
  keyFile?: string;
  /** CA that client certificates must chain to. */
  ca?: string | Buffer;
  caFile?: string;
  /** @default true when a CA is given */
  requireClientCert?: boolean;
}

export interface HubOptions {
  /** Keep tasks, results and worker sessions in SQLite under this directory. @default undefined (memory) */
  dataDir?: string;
  /** A custom store; wins over `dataDir`. @default MemoryTaskStore */
  store?: TaskStore;
  /** How long a disconnected worker keeps its tasks before they are re-queued. @default 30000 */
  leaseMs?: number;
  /** If set, submissions naming another tool fail with UNKNOWN_TOOL. @default undefined (any well-formed name) */
  knownTools?: string[];
  /** Require `authorization: Bearer <token>` on every call. @default undefined */
  bearerToken?: string;
  /** Serve TLS on TCP addresses. @default undefined (plaintext) */
  tls?: HubTlsOptions;
  /** @default 104857600 (100 MB) */
  maxReceiveMessageBytes?: number;
  /** @default 104857600 (100 MB) */
  maxSendMessageBytes?: number;
  /** HTTP/2 keepalive ping interval towards workers, so dead peers are noticed. @default 20000 */
  keepaliveTimeMs?: number;
  /** @default 10000 */
  keepaliveTimeoutMs?: number;
  /** How long close() waits for calls to end before cutting them. @default 2000 */
  shutdownGraceMs?: number;
  /** Reported by HealthCheck. @default '0.1.0' */
  version?: string;
  /** @default quietLogger (logs nothing) */
  logger?: Logger;
  /** Counters, gauges and histograms (`baaaht_hub_*`). @default a no-op meter */
  metrics?: MetricMeter;
  /** @default the system clock */
  clock?: Clock;
  /**
   * A registration that never opens its Work stream is dropped this long after Register; one whose
   * stream closed is dropped once it holds no task and has been silent this long. @default 60000
   */
  registrationTtlMs?: number;
  /** Live registrations the hub holds at most; Register beyond it fails with RESOURCE_EXHAUSTED. @default 1024 */
  maxRegistrations?: number;
  /** UTF-8 bytes of a worker name. @default 128 */
  maxWorkerNameBytes?: number;
  /** Labels per worker. @default 32 */
  maxLabels?: number;
  /** @default 64 */
  maxLabelKeyBytes?: number;
  /** @default 256 */
  maxLabelValueBytes?: number;
  /** Entries of each registered list (supported tools, tasks, protocols; metadata tags). @default 128 */
  maxListEntries?: number;
  /** UTF-8 bytes of each list entry. @default 128 */
  maxListEntryBytes?: number;
  /** UTF-8 bytes of each metadata string (version, description, hostname, pid, owner id). @default 256 */
  maxMetadataFieldBytes?: number;
  /** ListWorkers page size cap (and the size of a page that asks for 0). @default 100 */
  maxListWorkersPageSize?: number;
  /** ListTasks page size cap (and the size of a page that asks for 0). @default 100 */
  maxListTasksPageSize?: number;
  /**
   * Group (gid or name) given read-write access to a Unix socket: mode 0660 instead of 0600.
   * A missing socket directory is then created 0710 with that group, so its members can reach the socket.
   * @default undefined (socket 0600, directory 0700: only this user and root)
   */
  socketGroup?: number | string;
  /**
   * Allow a TCP listener without TLS: without a bearer token on loopback, or off loopback at all.
   * Anyone who can reach it can then register as a worker or submit tasks; the hub logs a warning.
   * @default false
   */
  insecure?: boolean;
  /** How long listen() waits for an existing socket to answer before calling it live. @default 1000 */
  socketProbeTimeoutMs?: number;
}

export interface ResolvedHubOptions extends Required<
  Omit<HubOptions, 'dataDir' | 'store' | 'knownTools' | 'bearerToken' | 'tls' | 'socketGroup'>
> {
  /** Resolved to a gid. */
  socketGroup: number | undefined;
  dataDir: string | undefined;
  store: TaskStore | undefined;
  knownTools: string[] | undefined;
  bearerToken: string | undefined;
  tls: HubTlsOptions | undefined;
}

/** A gid, or a group name looked up in /etc/group (Node has no getgrnam). */
function resolveGroup(group: number | string): number {
  if (typeof group === 'number' || /^\d+$/.test(group)) {
    const gid = Number(group);
    if (!Number.isInteger(gid) || gid < 0)
      throw new TypeError(`socketGroup must be a gid or a group name, got ${group}`);
    return gid;
  }
  let lines: string[] = [];
  try {
    lines = readFileSync('/etc/group', 'utf8').split('\n');
  } catch {
    // No group database: only numeric gids work.
  }
  for (const line of lines) {
    const [name, , gid] = line.split(':');
    if (name === group && gid !== undefined && /^\d+$/.test(gid)) return Number(gid);
  }
  throw new TypeError(`socketGroup: no group named ${JSON.stringify(group)} (give a gid or a group from /etc/group)`);
}

function positive(field: string, value: number): number {
  if (!Number.isInteger(value) || value <= 0)
    throw new TypeError(`${field} must be a positive integer, got ${String(value)}`);
  return value;
}

/** Fills defaults and rejects bad values with a TypeError naming the field. */
export function resolveHubOptions(options: HubOptions = {}): ResolvedHubOptions {
  if (options.dataDir !== undefined && (typeof options.dataDir !== 'string' || options.dataDir === '')) {
    throw new TypeError('dataDir must be a non-empty path');
  }
  if (options.knownTools !== undefined && !Array.isArray(options.knownTools))
    throw new TypeError('knownTools must be an array');
  if (options.bearerToken !== undefined && options.bearerToken.trim() === '') {
    throw new TypeError('bearerToken must not be empty when given');
  }
  return {
    dataDir: options.dataDir,
    store: options.store,
    knownTools: options.knownTools ? [...options.knownTools] : undefined,
    bearerToken: options.bearerToken,
    tls: options.tls,
    leaseMs: positive('leaseMs', options.leaseMs ?? 30000),
    maxReceiveMessageBytes: positive(
      'maxReceiveMessageBytes',
      options.maxReceiveMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES,
    ),
    maxSendMessageBytes: positive('maxSendMessageBytes', options.maxSendMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES),
    keepaliveTimeMs: positive('keepaliveTimeMs', options.keepaliveTimeMs ?? 20000),
    keepaliveTimeoutMs: positive('keepaliveTimeoutMs', options.keepaliveTimeoutMs ?? 10000),
    shutdownGraceMs: positive('shutdownGraceMs', options.shutdownGraceMs ?? 2000),
    version: options.version ?? '0.1.0',
    logger: options.logger ?? quietLogger,
    metrics: options.metrics ?? noopMeter,
    clock: options.clock ?? systemClock,
    registrationTtlMs: positive('registrationTtlMs', options.registrationTtlMs ?? LIMITS.registrationTtlMs),
    maxRegistrations: positive('maxRegistrations', options.maxRegistrations ?? LIMITS.maxRegistrations),
    maxWorkerNameBytes: positive('maxWorkerNameBytes', options.maxWorkerNameBytes ?? LIMITS.maxWorkerNameBytes),
    maxLabels: positive('maxLabels', options.maxLabels ?? LIMITS.maxLabels),
    maxLabelKeyBytes: positive('maxLabelKeyBytes', options.maxLabelKeyBytes ?? LIMITS.maxLabelKeyBytes),
    maxLabelValueBytes: positive('maxLabelValueBytes', options.maxLabelValueBytes ?? LIMITS.maxLabelValueBytes),
    maxListEntries: positive('maxListEntries', options.maxListEntries ?? LIMITS.maxListEntries),
    maxListEntryBytes: positive('maxListEntryBytes', options.maxListEntryBytes ?? LIMITS.maxListEntryBytes),
    maxMetadataFieldBytes: positive(
      'maxMetadataFieldBytes',
      options.maxMetadataFieldBytes ?? LIMITS.maxMetadataFieldBytes,
    ),
    maxListWorkersPageSize: positive(
      'maxListWorkersPageSize',
      options.maxListWorkersPageSize ?? LIMITS.maxListWorkersPageSize,
    ),
    maxListTasksPageSize: positive('maxListTasksPageSize', options.maxListTasksPageSize ?? LIMITS.maxListTasksPageSize),
    socketGroup: options.socketGroup === undefined ? undefined : resolveGroup(options.socketGroup),
    insecure: options.insecure ?? false,
    socketProbeTimeoutMs: positive('socketProbeTimeoutMs', options.socketProbeTimeoutMs ?? 1000),
  };
}
