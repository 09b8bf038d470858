/**
 * The one schema of the worker's configuration. Flags, environment variables and
 * config-file keys are all derived from this table, and every value from every
 * source is validated here, so a bad value reads the same wherever it came from.
 */
import { defaultSocketAddress } from '@baaaht/proto';
import type { OptionRule } from './option-values';

export { InvalidValue, parseOptionValue } from './option-values';
export type { OptionRule, OptionType } from './option-values';

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error';
export type LogFormat = 'json' | 'text';
export type PullPolicy = 'always' | 'if-missing' | 'never';

/** The worker's resolved configuration. Durations are milliseconds, sizes bytes. */
export interface WorkerConfig {
  /**
   * The same default `orchestrator serve` listens on (`defaultSocketAddress()`).
   * @default 'unix://$XDG_RUNTIME_DIR/baaaht/grpc.sock' (root: 'unix:///run/baaaht/grpc.sock')
   */
  orchestratorAddr: string;
  /** @default `worker-<hostname>` */
  name: string;
  /** @default 30000 */
  dialTimeoutMs: number;
  /** @default 10000 */
  rpcTimeoutMs: number;
  /** @default 104857600 */
  maxRecvMsgSize: number;
  /** @default 104857600 */
  maxSendMsgSize: number;
  /** @default 5000 */
  reconnectIntervalMs: number;
  /** 0 means retry for ever. @default 0 */
  reconnectMaxAttempts: number;
  /** @default 30000 */
  heartbeatIntervalMs: number;
  /** HTTP/2 ping interval towards the orchestrator, so a dead link is noticed. @default 20000 */
  keepaliveIntervalMs: number;
  /** How long a ping may go unanswered before the connection counts as lost. @default 10000 */
  keepaliveTimeoutMs: number;
  /** Labels the orchestrator matches task selectors against (`zone=eu`, `gpu=true`). @default {} */
  labels: Record<string, string>;
  /** @default 'info' */
  logLevel: LogLevel;
  /** @default 'text' */
  logFormat: LogFormat;
  /** `stdout`, `stderr` or a file path. @default 'stdout' */
  logOutput: string;
  /** @default 4 */
  maxConcurrentTasks: number;
  /** @default 30000 */
  shutdownTimeoutMs: number;
  /** Policy file; absent means the default policy over `workspaceRoots`. */
  policy: string | undefined;
  /** File every policy decision is appended to as a JSON line (fsynced). @default none */
  auditLog: string | undefined;
  /** Directories tools may mount (the default policy's mount allowlist). @default [] */
  workspaceRoots: string[];
  /** Image per tool; the key `*` applies to every tool without its own entry. @default {} */
  toolImages: Record<string, string>;
  /** @default 'if-missing' */
  pullPolicy: PullPolicy;
  /** Run on the offline images (`pnpm images:offline`): file and web tool images, pull policy never. @default false */
  offlineImages: boolean;
  /** OCI runtime for tool containers. @default 'runc' */
  runtime: string;
  /** Start the next call's container ahead of time (the executor's warm pool). @default true */
  pool: boolean;
  /** How long a pooled container waits for its call. @default 30000 */
  poolIdleMs: number;
  tlsCa: string | undefined;
  tlsCert: string | undefined;
  tlsKey: string | undefined;
  tlsServerName: string | undefined;
  authToken: string | undefined;
  searchBackendUrl: string | undefined;
  /** `host:port` of the HTTP status server; absent means none. */
  statusAddr: string | undefined;
  /** Run tasks that carry a session id in their session's long-lived container (executor sessions). @default false */
  sessions: boolean;
  /** A session with no call for this long is closed. @default 300000 */
  sessionIdleMs: number;
  /** Sessions open at once; beyond it the least recently used idle one is evicted. @default 8 */
  maxSessions: number;
}

/** One configuration option: its flag, field, type (and the rule its values follow), default and help. */
export interface OptionSpec extends OptionRule {
  /** Flag name without dashes; env var is `WORKER_` + upper snake case, file keys kebab or snake case. */
  flag: string;
  /** A boolean that defaults to true: the command line also takes `--no-<flag>` to turn it off. */
  negatable?: boolean;
  field: keyof WorkerConfig;
  /** Rendering of the default for help and docs. */
  defaultText: string;
  description: string;
  /** Placeholder in help, e.g. `DURATION`. */
  valueName: string;
}

export const OPTIONS: readonly OptionSpec[] = [
  {
    flag: 'orchestrator-addr',
    field: 'orchestratorAddr',
    type: 'address',
    defaultText: 'unix://$XDG_RUNTIME_DIR/baaaht/grpc.sock',
    valueName: 'ADDR',
    description:
      'orchestrator gRPC address (unix:///path or host:port); env ORCHESTRATOR_URL also works. Default as root: unix:///run/baaaht/grpc.sock',
  },
  {
    flag: 'name',
    field: 'name',
    type: 'string',
    defaultText: 'worker-<hostname>',
    valueName: 'NAME',
    description: 'worker name shown by the orchestrator',
  },
  {
    flag: 'dial-timeout',
    field: 'dialTimeoutMs',
    type: 'duration',
    defaultText: '30s',
    valueName: 'DURATION',
    description: 'timeout for connecting to the orchestrator',
  },
  {
    flag: 'rpc-timeout',
    field: 'rpcTimeoutMs',
    type: 'duration',
    defaultText: '10s',
    valueName: 'DURATION',
    description: 'timeout for unary RPC calls',
  },
  {
    flag: 'max-recv-msg-size',
    field: 'maxRecvMsgSize',
    type: 'size',
    defaultText: '104857600',
    valueName: 'SIZE',
    description: 'maximum received gRPC message size (bytes, or 100MB / 100MiB)',
  },
  {
    flag: 'max-send-msg-size',
    field: 'maxSendMsgSize',
    type: 'size',
    defaultText: '104857600',
    valueName: 'SIZE',
    description: 'maximum sent gRPC message size',
  },
  {
    flag: 'reconnect-interval',
    field: 'reconnectIntervalMs',
    type: 'duration',
    defaultText: '5s',
    valueName: 'DURATION',
    description: 'interval between reconnection attempts',
  },
  {
    flag: 'reconnect-max-attempts',
    field: 'reconnectMaxAttempts',
    type: 'count',
    min: 0,
    defaultText: '0',
    valueName: 'N',
    description: 'maximum reconnection attempts (0 = infinite)',
  },
  {
    flag: 'heartbeat-interval',
    field: 'heartbeatIntervalMs',
    type: 'duration',
    defaultText: '30s',
    valueName: 'DURATION',
    description: 'interval between heartbeats',
  },
  {
    flag: 'keepalive-interval',
    field: 'keepaliveIntervalMs',
    type: 'duration',
    defaultText: '20s',
    valueName: 'DURATION',
    description: 'HTTP/2 ping interval towards the orchestrator (a dead link is noticed after this plus the timeout)',
  },
  {
    flag: 'keepalive-timeout',
    field: 'keepaliveTimeoutMs',
    type: 'duration',
    defaultText: '10s',
    valueName: 'DURATION',
    description: 'how long a ping may go unanswered before the connection counts as lost',
  },
  {
    flag: 'label',
    field: 'labels',
    type: 'label-map',
    defaultText: '(none)',
    valueName: 'KEY=VALUE',
    description: 'label the orchestrator matches task selectors against (repeatable, e.g. zone=eu)',
  },
  {
    flag: 'log-level',
    field: 'logLevel',
    type: 'enum',
    choices: ['trace', 'debug', 'info', 'warn', 'error'],
    defaultText: 'info',
    valueName: 'LEVEL',
    description: 'logging level',
  },
  {
    flag: 'log-format',
    field: 'logFormat',
    type: 'enum',
    choices: ['json', 'text'],
    defaultText: 'text',
    valueName: 'FORMAT',
    description: 'log format',
  },
  {
    flag: 'log-output',
    field: 'logOutput',
    type: 'string',
    defaultText: 'stdout',
    valueName: 'OUT',
    description: 'log output: stdout, stderr or a file path',
  },
  {
    flag: 'max-concurrent-tasks',
    field: 'maxConcurrentTasks',
    type: 'count',
    min: 1,
    defaultText: '4',
    valueName: 'N',
    description: 'tasks run at the same time',
  },
  {
    flag: 'shutdown-timeout',
    field: 'shutdownTimeoutMs',
    type: 'duration',
    defaultText: '30s',
    valueName: 'DURATION',
    description: 'how long a drain waits for running tasks',
  },
  {
    flag: 'policy',
    field: 'policy',
    type: 'string',
    defaultText: '(default policy)',
    valueName: 'FILE',
    description: 'security policy file (YAML or JSON); SIGHUP reloads it',
  },
  {
    flag: 'audit-log',
    field: 'auditLog',
    type: 'string',
    defaultText: '(off)',
    valueName: 'FILE',
    description: 'append every policy decision (allowed and denied) to FILE as a JSON line',
  },
  {
    flag: 'workspace-root',
    field: 'workspaceRoots',
    type: 'list',
    defaultText: '(none)',
    valueName: 'DIR',
    description: "directory tools may mount (repeatable); the default policy's mount allowlist",
  },
  {
    flag: 'tool-image',
    field: 'toolImages',
    type: 'image-map',
    defaultText: '(catalog images)',
    valueName: 'TOOL=IMAGE',
    description: 'image for a tool (repeatable; *=IMAGE for all tools)',
  },
  {
    flag: 'pull-policy',
    field: 'pullPolicy',
    type: 'enum',
    choices: ['always', 'if-missing', 'never'],
    defaultText: 'if-missing',
    valueName: 'POLICY',
    description: 'when to pull tool images',
  },
  {
    flag: 'offline-images',
    field: 'offlineImages',
    type: 'boolean',
    defaultText: 'false',
    valueName: '',
    description:
      'use the offline images (built by pnpm images:offline) for every tool without a --tool-image; implies --pull-policy never',
  },
  {
    flag: 'runtime',
    field: 'runtime',
    type: 'string',
    defaultText: 'runc',
    valueName: 'NAME',
    description: 'OCI runtime for tool containers (e.g. runc, runsc)',
  },
  {
    flag: 'pool',
    field: 'pool',
    type: 'boolean',
    negatable: true,
    defaultText: 'true',
    valueName: '',
    description: "start the next call's container ahead of time, still one per call (--no-pool: start each cold)",
  },
  {
    flag: 'pool-idle',
    field: 'poolIdleMs',
    type: 'duration',
    defaultText: '30s',
    valueName: 'DURATION',
    description: 'how long a pooled container waits for its call before it is removed',
  },
  {
    flag: 'tls-ca',
    field: 'tlsCa',
    type: 'string',
    defaultText: '(none)',
    valueName: 'FILE',
    description: 'CA bundle to verify the orchestrator (enables TLS)',
  },
  {
    flag: 'tls-cert',
    field: 'tlsCert',
    type: 'string',
    defaultText: '(none)',
    valueName: 'FILE',
    description: 'client certificate for mutual TLS',
  },
  {
    flag: 'tls-key',
    field: 'tlsKey',
    type: 'string',
    defaultText: '(none)',
    valueName: 'FILE',
    description: 'client key for mutual TLS',
  },
  {
    flag: 'tls-server-name',
    field: 'tlsServerName',
    type: 'string',
    defaultText: '(from address)',
    valueName: 'NAME',
    description: "server name to verify in the orchestrator's certificate",
  },
  {
    flag: 'auth-token',
    field: 'authToken',
    type: 'string',
    defaultText: '(none)',
    valueName: 'TOKEN',
    description: 'bearer token sent to the orchestrator',
  },
  {
    flag: 'search-backend-url',
    field: 'searchBackendUrl',
    type: 'url',
    defaultText: '(none)',
    valueName: 'URL',
    description: 'SearXNG-compatible JSON endpoint for web_search',
  },
  {
    flag: 'status-addr',
    field: 'statusAddr',
    type: 'address',
    defaultText: '(off)',
    valueName: 'HOST:PORT',
    description: 'HTTP status server: /healthz /readyz /metrics /status.json',
  },
  {
    flag: 'sessions',
    field: 'sessions',
    type: 'boolean',
    defaultText: 'false',
    valueName: '',
    description: "run tasks carrying a session id in the session's own long-lived hardened container",
  },
  {
    flag: 'session-idle',
    field: 'sessionIdleMs',
    type: 'duration',
    defaultText: '5m',
    valueName: 'DURATION',
    description: 'close a session after this long without a call',
  },
  {
    flag: 'max-sessions',
    field: 'maxSessions',
    type: 'count',
    min: 1,
    defaultText: '8',
    valueName: 'N',
    description: 'sessions open at once (then the least recently used idle one is evicted)',
  },
];

/** Defaults of every field; `hostname` fills the worker name, `env` (XDG_RUNTIME_DIR) the socket. */
export function defaultWorkerConfig(hostname: string, env: NodeJS.ProcessEnv = process.env): WorkerConfig {
  return {
    orchestratorAddr: defaultSocketAddress(env),
    name: `worker-${hostname}`,
    dialTimeoutMs: 30_000,
    rpcTimeoutMs: 10_000,
    maxRecvMsgSize: 104_857_600,
    maxSendMsgSize: 104_857_600,
    reconnectIntervalMs: 5_000,
    reconnectMaxAttempts: 0,
    heartbeatIntervalMs: 30_000,
    keepaliveIntervalMs: 20_000,
    keepaliveTimeoutMs: 10_000,
    labels: {},
    logLevel: 'info',
    logFormat: 'text',
    logOutput: 'stdout',
    maxConcurrentTasks: 4,
    shutdownTimeoutMs: 30_000,
    policy: undefined,
    auditLog: undefined,
    workspaceRoots: [],
    toolImages: {},
    pullPolicy: 'if-missing',
    offlineImages: false,
    runtime: 'runc',
    pool: true,
    poolIdleMs: 30_000,
    tlsCa: undefined,
    tlsCert: undefined,
    tlsKey: undefined,
    tlsServerName: undefined,
    authToken: undefined,
    searchBackendUrl: undefined,
    statusAddr: undefined,
    sessions: false,
    sessionIdleMs: 300_000,
    maxSessions: 8,
  };
}

/** The choices of an enum option (`log-format` -> json, text), for commands that take the same flag. */
export function optionChoices(flag: string): readonly string[] | undefined {
  return OPTIONS.find((o) => o.flag === flag)?.choices;
}

/** `dial-timeout` -> `WORKER_DIAL_TIMEOUT`. */
export function envName(flag: string): string {
  return `WORKER_${flag.toUpperCase().replace(/-/g, '_')}`;
}

/** `dial-timeout` -> `dial_timeout`. */
export function snakeKey(flag: string): string {
  return flag.replace(/-/g, '_');
}

const OPTION_BY_KEY = new Map<string, OptionSpec>();
for (const o of OPTIONS) {
  OPTION_BY_KEY.set(o.flag, o);
  OPTION_BY_KEY.set(snakeKey(o.flag), o);
}

/** The option a config-file key (kebab or snake case) names, if any. */
export function optionForKey(key: string): OptionSpec | undefined {
  return OPTION_BY_KEY.get(key);
}
