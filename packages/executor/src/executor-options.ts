import os from 'node:os';
import { checkProtectedPath } from '@baaaht/tool-specs';
import type { ToolCatalog } from '@baaaht/tool-specs';
import type { Clock } from './clock';
import type { DockerClient } from './docker-client';
import { defaultInstanceDir } from './instance-registry';
import type { Logger } from './logger';
import type { MetricMeter } from './metric-meter';
import { noopMeter } from './metric-meter';
import type { PolicyEnforcer } from './policy-enforcer';
import { resolveSessionOptions } from './session-options';
import type { ResolvedSessionOptions, SessionOptions } from './session-options';
import type { StepRuntimeFactory } from './step-runtime';

export type PullPolicy = 'always' | 'if-missing' | 'never';

/**
 * What the executor needs from a tool catalog (`createToolCatalog()` from @baaaht/tool-specs). With
 * `all()`, the metrics show a zero for every tool and status from the start.
 */
export type ExecutorCatalog = Pick<ToolCatalog, 'has' | 'get' | 'validate' | 'validateArgs'> &
  Partial<Pick<ToolCatalog, 'all'>>;

const MiB = 1024 * 1024;

/** The warm pool (`pooled-container-runtime.ts`): a fresh container per call, started ahead of time. */
export interface PoolOptions {
  /**
   * Start the next call's container ahead of time. Without the in-sandbox agent binary (`pnpm build`) the
   * pool turns itself off with one warning. Ignored when `stepRuntime` is given.
   * @default true
   */
  enabled?: boolean;
  /** Containers waiting ahead per pool key (image, mounts, limits, user, runtime, labels). @default 1 */
  perKey?: number;
  /** How long a container waits for its call before it is removed, in ms. @default 30000 */
  idleMs?: number;
  /** Containers waiting ahead in all, over every key. @default 8 */
  maxContainers?: number;
}

export interface ResolvedPoolOptions {
  enabled: boolean;
  perKey: number;
  idleMs: number;
  maxContainers: number;
}

export interface ExecutorOptions {
  /** Docker client. @default dockerode on DOCKER_HOST or /var/run/docker.sock */
  docker?: DockerClient;
  /** Environment read for DOCKER_HOST. @default process.env */
  env?: NodeJS.ProcessEnv;
  /** Checks every container before creation and every egress connection. @default none (built-in egress rules) */
  policy?: PolicyEnforcer;
  /** Default session id for tasks and labels. @default none */
  sessionId?: string;
  /**
   * Identifies this worker's containers. Keep it stable across restarts so the start-up reap removes
   * orphans of a killed predecessor, and unique per live process on one engine.
   * @default `worker-<hostname>`
   */
  workerId?: string;
  /** @default a quiet logger */
  logger?: Logger;
  /** Counters, gauges and histograms (`baaaht_executor_*`). @default a no-op meter */
  metrics?: MetricMeter;
  /** Image per tool name; `'*'` applies to every tool without its own entry. @default {} */
  imageOverrides?: Readonly<Record<string, string>>;
  /** @default 'if-missing' */
  pullPolicy?: PullPolicy;
  /** OCI runtime (`docker info` Runtimes); refused when the engine does not have it. @default 'runc' */
  runtime?: string;
  /** Tasks running at once. @default 4 */
  maxConcurrentTasks?: number;
  /** Tasks waiting for a slot; beyond this `QUEUE_FULL`. @default 64 */
  maxQueuedTasks?: number;
  /** Container create/attach/start sequences at once. @default 2 */
  maxConcurrentStarts?: number;
  /** Per command. @default 1048576 (1 MiB) */
  maxStdoutBytes?: number;
  /** Per command. @default 1048576 (1 MiB) */
  maxStderrBytes?: number;
  /** stdout + stderr per command. @default 2097152 (2 MiB) */
  maxOutputBytes?: number;
  /** @default the built-in tools (`createToolCatalog()`) */
  catalog?: ExecutorCatalog;
  /** SearXNG-compatible base URL for web_search. @default none (web_search fails with INVALID_REQUEST) */
  searchBackendUrl?: string;
  /** Periodic reap; 0 disables the timer (the start-up reap still runs). @default 30000 */
  reapIntervalMs?: number;
  /** How long past its deadline label any worker's container is reaped. @default 60000 */
  reapMarginMs?: number;
  /** SIGTERM to SIGKILL delay for a graceful cancel. @default 2000 */
  gracePeriodMs?: number;
  /** SIGTERM to SIGKILL delay when a task times out. @default 500 */
  timeoutGracePeriodMs?: number;
  /** Upper bound on any task's timeout. @default 600000 */
  maxTimeoutMs?: number;
  /** Size of the /tmp tmpfs. @default 16777216 (16 MiB) */
  tmpfsBytes?: number;
  /** Where egress proxy socket directories are created. @default os.tmpdir() */
  egressSocketRoot?: string;
  /** @default the system clock */
  clock?: Clock;
  /**
   * Where this instance writes its lease (see instance-registry.ts): a reaper removes another instance's
   * containers only when its lease there names a dead process.
   * @default `$XDG_RUNTIME_DIR/baaaht/instances`, `/run/baaaht/instances` as root, else `$TMPDIR/baaaht-<uid>/instances`
   */
  instanceDir?: string;
  /** Written to every container's `org.baaaht.version` label. @default this package's version */
  version?: string;
  /**
   * When a live instance on this host already holds `workerId`: `share` it (safe: reaping is per
   * instance; a warning is logged), `refuse` (`WORKER_ID_IN_USE`), or take the first free `<id>-2`, `<id>-3`...
   * (`suffix`; `executor.workerId` says which).
   * @default 'share'
   */
  workerIdConflict?: 'share' | 'refuse' | 'suffix';
  /**
   * Workspace-relative paths tools may never write: mounted read-only over the read-write workspace
   * and refused by file_write/file_edit. A policy's `mounts.protected_paths` replaces it when set.
   * @default ['.git']
   */
  protectedPaths?: readonly string[];
  /**
   * Let file tools read or write a regular file with more than one hard link (possibly an inode from
   * outside the workspace). A policy's `mounts.allow_hardlinks` replaces it when set.
   * @default false
   */
  allowHardlinks?: boolean;
  /**
   * Experimental: how steps run (the runtime seam, see step-runtime.ts). Tests inject a fake runtime;
   * the next releases add a warm container pool and session containers behind the same interface.
   * @default a fresh hardened container per step (`FreshContainerRuntime`)
   */
  stepRuntime?: StepRuntimeFactory;
  /**
   * Sessions (opt-in): tasks carrying a session id run in their session's long-lived hardened container,
   * through the in-sandbox agent (see the README's "Sessions").
   * @default `{ enabled: false, idleMs: 300000, maxLifetimeMs: 3600000, maxSessions: 8, whenFull: 'evict-idle' }`
   */
  sessions?: SessionOptions;
  /** The warm pool; see `PoolOptions`. @default `{ enabled: true, perKey: 1, idleMs: 30000, maxContainers: 8 }` */
  pool?: PoolOptions;
}

export interface ResolvedExecutorOptions extends Required<
  Omit<
    ExecutorOptions,
    | 'docker'
    | 'policy'
    | 'sessionId'
    | 'searchBackendUrl'
    | 'catalog'
    | 'clock'
    | 'logger'
    | 'metrics'
    | 'version'
    | 'protectedPaths'
    | 'stepRuntime'
    | 'sessions'
    | 'pool'
  >
> {
  sessions: ResolvedSessionOptions;
  pool: ResolvedPoolOptions;
  protectedPaths: string[];
  docker?: DockerClient;
  policy?: PolicyEnforcer;
  sessionId?: string;
  searchBackendUrl?: string;
  catalog?: ExecutorCatalog;
  clock?: Clock;
  logger?: Logger;
  metrics: MetricMeter;
  version?: string;
  stepRuntime?: StepRuntimeFactory;
}

function positiveInt(name: string, value: number | undefined, fallback: number, min = 1): number {
  const v = value ?? fallback;
  if (!Number.isSafeInteger(v) || v < min)
    throw new TypeError(`${name} must be an integer >= ${min} (got ${String(value)})`);
  return v;
}

function nonEmpty(name: string, value: string | undefined): void {
  if (value !== undefined && (typeof value !== 'string' || value.trim() === ''))
    throw new TypeError(`${name} must be a non-empty string`);
}

function resolveProtectedPaths(list: readonly string[] | undefined): string[] {
  if (list === undefined) return ['.git'];
  if (!Array.isArray(list)) throw new TypeError('protectedPaths must be an array of workspace-relative paths');
  return list.map((entry, i) => {
    const checked =
      typeof entry === 'string' ? checkProtectedPath(entry) : { ok: false as const, message: 'must be a string' };
    if (!checked.ok) throw new TypeError(`protectedPaths[${i}] ${checked.message}`);
    return checked.path;
  });
}

function resolvePoolOptions(pool: PoolOptions | undefined): ResolvedPoolOptions {
  if (pool !== undefined && (pool === null || typeof pool !== 'object' || Array.isArray(pool)))
    throw new TypeError('pool must be an object ({ enabled?, perKey?, idleMs?, maxContainers? })');
  const p = pool ?? {};
  const enabled = p.enabled ?? true;
  if (typeof enabled !== 'boolean') throw new TypeError(`pool.enabled must be a boolean (got ${String(p.enabled)})`);
  return {
    enabled,
    perKey: positiveInt('pool.perKey', p.perKey, 1),
    idleMs: positiveInt('pool.idleMs', p.idleMs, 30_000),
    maxContainers: positiveInt('pool.maxContainers', p.maxContainers, 8),
  };
}

/** Fills defaults and rejects bad values with a TypeError naming the field. */
export function resolveExecutorOptions(options: ExecutorOptions = {}): ResolvedExecutorOptions {
  nonEmpty('workerId', options.workerId);
  nonEmpty('sessionId', options.sessionId);
  nonEmpty('runtime', options.runtime);
  nonEmpty('searchBackendUrl', options.searchBackendUrl);
  const pullPolicy = options.pullPolicy ?? 'if-missing';
  if (!['always', 'if-missing', 'never'].includes(pullPolicy)) {
    throw new TypeError(`pullPolicy must be 'always', 'if-missing' or 'never' (got '${String(pullPolicy)}')`);
  }
  for (const [tool, image] of Object.entries(options.imageOverrides ?? {})) {
    if (typeof image !== 'string' || !/^\S+$/.test(image))
      throw new TypeError(`imageOverrides.${tool} must be an image reference`);
  }
  const maxStdoutBytes = positiveInt('maxStdoutBytes', options.maxStdoutBytes, MiB, 0);
  const maxStderrBytes = positiveInt('maxStderrBytes', options.maxStderrBytes, MiB, 0);
  const resolved: ResolvedExecutorOptions = {
    env: options.env ?? process.env,
    metrics: options.metrics ?? noopMeter,
    workerId: options.workerId ?? `worker-${os.hostname()}`,
    imageOverrides: { ...options.imageOverrides },
    pullPolicy,
    runtime: options.runtime ?? 'runc',
    maxConcurrentTasks: positiveInt('maxConcurrentTasks', options.maxConcurrentTasks, 4),
    maxQueuedTasks: positiveInt('maxQueuedTasks', options.maxQueuedTasks, 64, 0),
    maxConcurrentStarts: positiveInt('maxConcurrentStarts', options.maxConcurrentStarts, 2),
    maxStdoutBytes,
    maxStderrBytes,
    maxOutputBytes: positiveInt('maxOutputBytes', options.maxOutputBytes, maxStdoutBytes + maxStderrBytes, 0),
    reapIntervalMs: positiveInt('reapIntervalMs', options.reapIntervalMs, 30_000, 0),
    reapMarginMs: positiveInt('reapMarginMs', options.reapMarginMs, 60_000, 0),
    gracePeriodMs: positiveInt('gracePeriodMs', options.gracePeriodMs, 2000, 0),
    timeoutGracePeriodMs: positiveInt('timeoutGracePeriodMs', options.timeoutGracePeriodMs, 500, 0),
    maxTimeoutMs: positiveInt('maxTimeoutMs', options.maxTimeoutMs, 600_000),
    tmpfsBytes: positiveInt('tmpfsBytes', options.tmpfsBytes, 16 * MiB, 64 * 1024),
    egressSocketRoot: options.egressSocketRoot ?? os.tmpdir(),
    instanceDir: options.instanceDir ?? defaultInstanceDir(options.env ?? process.env),
    workerIdConflict: options.workerIdConflict ?? 'share',
    protectedPaths: resolveProtectedPaths(options.protectedPaths),
    allowHardlinks: options.allowHardlinks ?? false,
    sessions: resolveSessionOptions(options.sessions),
    pool: resolvePoolOptions(options.pool),
  };
  if (!['share', 'refuse', 'suffix'].includes(resolved.workerIdConflict))
    throw new TypeError(
      `workerIdConflict must be 'share', 'refuse' or 'suffix' (got '${String(resolved.workerIdConflict)}')`,
    );
  nonEmpty('version', options.version);
  if (options.version !== undefined) resolved.version = options.version;
  if (typeof resolved.allowHardlinks !== 'boolean') throw new TypeError('allowHardlinks must be a boolean');
  if (options.docker !== undefined) resolved.docker = options.docker;
  if (options.policy !== undefined) {
    if (typeof options.policy.enforce !== 'function') throw new TypeError('policy.enforce must be a function');
    resolved.policy = options.policy;
  }
  if (options.sessionId !== undefined) resolved.sessionId = options.sessionId;
  if (options.searchBackendUrl !== undefined) resolved.searchBackendUrl = options.searchBackendUrl;
  if (options.catalog !== undefined) resolved.catalog = options.catalog;
  if (options.clock !== undefined) resolved.clock = options.clock;
  if (options.logger !== undefined) resolved.logger = options.logger;
  if (options.stepRuntime !== undefined) {
    if (typeof options.stepRuntime !== 'function') throw new TypeError('stepRuntime must be a function');
    resolved.stepRuntime = options.stepRuntime;
  }
  return resolved;
}
