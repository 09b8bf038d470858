import { DEFAULT_MAX_MESSAGE_BYTES } from '@baaaht/proto';
import type { HubClock } from './clock';
import { realClock } from './clock';
import type { Logger } from './logger';
import { silentLogger } from './logger';
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
  /** @default silent */
  logger?: Logger;
  /** @default the system clock */
  clock?: HubClock;
}

export interface ResolvedHubOptions extends Required<
  Omit<HubOptions, 'dataDir' | 'store' | 'knownTools' | 'bearerToken' | 'tls'>
> {
  dataDir: string | undefined;
  store: TaskStore | undefined;
  knownTools: string[] | undefined;
  bearerToken: string | undefined;
  tls: HubTlsOptions | undefined;
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
    logger: options.logger ?? silentLogger,
    clock: options.clock ?? realClock,
  };
}
