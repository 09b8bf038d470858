import { hostname } from 'node:os';
import { DEFAULT_MAX_MESSAGE_BYTES } from '@baaaht/proto';
import type { JitterMode } from './backoff';
import type { Clock } from './clock';
import { systemClock } from './clock';
import type { Logger } from './logger';
import { quietLogger } from './logger';
import type { MetricMeter } from './metric-meter';
import { noopMeter } from './metric-meter';
import type { TaskHandler } from './task-handler';
import { defaultHubAddress, parseAddress } from './address';
import type { ParsedAddress } from './address';

/** TLS towards the hub; give `ca*` to verify the hub, and `cert*` + `key*` for mutual TLS. */
export interface AgentTlsOptions {
  ca?: string | Buffer;
  caFile?: string;
  cert?: string | Buffer;
  certFile?: string;
  key?: string | Buffer;
  keyFile?: string;
  /** Overrides the name checked against the hub's certificate. */
  serverName?: string;
}

export interface AgentOptions {
  /** Runs the tasks. Required. */
  handler: TaskHandler;
  /**
   * Hub address: `unix:///path` or `host:port`.
   * @default `defaultHubAddress()`: `unix:///run/baaaht/grpc.sock` as root, else under `$XDG_RUNTIME_DIR`
   */
  address?: string;
  /** @default `worker-<hostname>` */
  name?: string;
  /** Reported in registration metadata. @default '0.0.0' */
  version?: string;
  /** Labels the hub matches task selectors against. @default {} */
  labels?: Record<string, string>;
  /** Tasks run at once. @default 4 */
  maxConcurrentTasks?: number;
  /** TLS (and mutual TLS) towards a TCP hub. @default undefined (plaintext) */
  tls?: AgentTlsOptions;
  /** Sent as `authorization: Bearer <token>` on every call. @default undefined */
  bearerToken?: string;
  /** @default 30000 */
  dialTimeoutMs?: number;
  /** Deadline of each unary call. @default 10000 */
  rpcTimeoutMs?: number;
  /** @default 104857600 (100 MB) */
  maxReceiveMessageBytes?: number;
  /** @default 104857600 (100 MB) */
  maxSendMessageBytes?: number;
  /** HTTP/2 keepalive ping interval. @default 20000 */
  keepaliveTimeMs?: number;
  /** @default 10000 */
  keepaliveTimeoutMs?: number;
  /** First reconnect delay (before jitter). @default 5000 */
  reconnectIntervalMs?: number;
  /** @default 60000 */
  reconnectMaxIntervalMs?: number;
  /** Attempts per outage; 0 retries forever. @default 0 */
  reconnectMaxAttempts?: number;
  /** @default 'full' */
  reconnectJitter?: JitterMode;
  /** @default 30000 */
  heartbeatIntervalMs?: number;
  /** How long drain()/close() let running tasks finish before cancelling them. @default 30000 */
  shutdownTimeoutMs?: number;
  /** How long drain()/close() wait for the hub to acknowledge reported outcomes. @default 5000 */
  ackTimeoutMs?: number;
  /** @default quiet */
  logger?: Logger;
  /** Counters and gauges (`baaaht_agent_*`). @default a no-op meter */
  metrics?: MetricMeter;
  /** @default the system clock */
  clock?: Clock;
  /** Uniform [0, 1) used for jitter. @default Math.random */
  random?: () => number;
  /**
   * Owners of a Unix socket (and its directories) trusted besides this process's user and root,
   * e.g. a dedicated orchestrator user sharing a `--socket-group` socket. @default []
   */
  trustedSocketUids?: number[];
}

export interface ResolvedAgentOptions extends Required<Omit<AgentOptions, 'tls' | 'bearerToken'>> {
  tls: AgentTlsOptions | undefined;
  bearerToken: string | undefined;
  parsedAddress: ParsedAddress;
}

function positiveInt(field: string, value: number, allowZero = false): number {
  if (!Number.isInteger(value) || value < 0 || (!allowZero && value === 0)) {
    throw new TypeError(`${field} must be a ${allowZero ? 'non-negative' : 'positive'} integer, got ${String(value)}`);
  }
  return value;
}

function uidList(field: string, uids: number[]): number[] {
  if (!Array.isArray(uids) || !uids.every((u) => Number.isInteger(u) && u >= 0))
    throw new TypeError(`${field} must be a list of non-negative integer uids`);
  return [...uids];
}

/** Fills defaults and rejects bad values with a TypeError naming the field. */
export function resolveAgentOptions(options: AgentOptions): ResolvedAgentOptions {
  const handler = options.handler as TaskHandler | undefined;
  if (!handler || typeof handler.run !== 'function' || typeof handler.tools !== 'function') {
    throw new TypeError('handler must implement tools(), run() and cancel()');
  }
  const address = options.address ?? defaultHubAddress();
  let parsedAddress: ParsedAddress;
  try {
    parsedAddress = parseAddress(address);
  } catch (err) {
    throw new TypeError(`address: ${(err as Error).message}`);
  }
  const jitter = options.reconnectJitter ?? 'full';
  if (!['full', 'equal', 'none'].includes(jitter)) throw new TypeError(`reconnectJitter must be full, equal or none`);
  const name = options.name ?? `worker-${hostname()}`;
  if (name.trim() === '') throw new TypeError('name must not be empty');
  if (options.bearerToken !== undefined && options.bearerToken.trim() === '') {
    throw new TypeError('bearerToken must not be empty when given');
  }
  const reconnectIntervalMs = positiveInt('reconnectIntervalMs', options.reconnectIntervalMs ?? 5000);
  const reconnectMaxIntervalMs = positiveInt('reconnectMaxIntervalMs', options.reconnectMaxIntervalMs ?? 60000);
  if (reconnectMaxIntervalMs < reconnectIntervalMs) {
    throw new TypeError('reconnectMaxIntervalMs must be >= reconnectIntervalMs');
  }
  return {
    handler,
    address,
    parsedAddress,
    name,
    version: options.version ?? '0.0.0',
    labels: { ...(options.labels ?? {}) },
    maxConcurrentTasks: positiveInt('maxConcurrentTasks', options.maxConcurrentTasks ?? 4),
    tls: options.tls,
    bearerToken: options.bearerToken,
    dialTimeoutMs: positiveInt('dialTimeoutMs', options.dialTimeoutMs ?? 30000),
    rpcTimeoutMs: positiveInt('rpcTimeoutMs', options.rpcTimeoutMs ?? 10000),
    maxReceiveMessageBytes: positiveInt(
      'maxReceiveMessageBytes',
      options.maxReceiveMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES,
    ),
    maxSendMessageBytes: positiveInt('maxSendMessageBytes', options.maxSendMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES),
    keepaliveTimeMs: positiveInt('keepaliveTimeMs', options.keepaliveTimeMs ?? 20000),
    keepaliveTimeoutMs: positiveInt('keepaliveTimeoutMs', options.keepaliveTimeoutMs ?? 10000),
    reconnectIntervalMs,
    reconnectMaxIntervalMs,
    reconnectMaxAttempts: positiveInt('reconnectMaxAttempts', options.reconnectMaxAttempts ?? 0, true),
    reconnectJitter: jitter,
    heartbeatIntervalMs: positiveInt('heartbeatIntervalMs', options.heartbeatIntervalMs ?? 30000),
    shutdownTimeoutMs: positiveInt('shutdownTimeoutMs', options.shutdownTimeoutMs ?? 30000, true),
    ackTimeoutMs: positiveInt('ackTimeoutMs', options.ackTimeoutMs ?? 5000, true),
    logger: options.logger ?? quietLogger,
    metrics: options.metrics ?? noopMeter,
    clock: options.clock ?? systemClock,
    random: options.random ?? Math.random,
    trustedSocketUids: uidList('trustedSocketUids', options.trustedSocketUids ?? []),
  };
}
