/**
 * `orchestrator serve`: the dev orchestrator (@baaaht/hub) on a socket or TCP, until SIGINT/SIGTERM;
 * with `--metrics-listen`, its metrics (hub and process) over HTTP; with `--mcp-listen`, the workers' tools
 * over MCP (Streamable HTTP).
 */
import path from 'node:path';
import { HubError, HubListenError, createHub } from '@baaaht/hub';
import type { HubTlsOptions } from '@baaaht/hub';
import { defaultSocketAddress } from '@baaaht/proto';
import type { CommandSpec, ParsedCommand } from '../args';
import { listValue, stringValue } from '../args';
import type { CliIo } from '../cli-io';
import { InvalidValue, OPTIONS, optionChoices, parseOptionValue } from '../config-schema';
import type { LogFormat, LogLevel } from '../config-schema';
import { parseDuration } from '../durations';
import { WorkerCliError, configError, usageError } from '../errors';
import { parseHostPort } from '../http-endpoints';
import type { HttpEndpoints } from '../http-endpoints';
import { createLogger } from '../logger';
import { startTracing } from '../tracing';
import { loadMcpHttp, loadMetricsServer, loadPromMeter } from '../lazy-modules';
import type { McpHttpServer } from '../mcp/mcp-http';
import { colorEnabled } from '../terminal';
import { workerCatalog } from '../tool-catalog';
import { workerVersion } from '../version';
import { DEFAULT_ADDR } from './orchestrator-flags';
import { assertFilesExist } from './tls-files';

export const serveCommand: CommandSpec = {
  name: 'orchestrator serve',
  brief: 'run the orchestrator',
  usage:
    'orchestrator serve [--listen ADDR] [--data DIR] [--lease 30s] [--auth-token T] [--socket-group G]\n' +
    '                   [--tls-cert FILE --tls-key FILE [--tls-ca FILE]] [--insecure] [--metrics-listen HOST:PORT]\n' +
    '                   [--mcp-listen HOST:PORT [--mcp-workspace-root DIR]...]\n' +
    '                   [--keepalive-interval 20s] [--keepalive-timeout 10s]',
  summary: 'Runs the dev orchestrator (@baaaht/hub): accepts workers, dispatches submitted tasks, keeps results.',
  flags: {
    listen: { type: 'string', valueName: 'ADDR', description: `unix:///path or host:port (default ${DEFAULT_ADDR})` },
    data: {
      type: 'string',
      valueName: 'DIR',
      description: 'keep tasks and results in SQLite under DIR (default: memory)',
    },
    lease: {
      type: 'string',
      valueName: 'DURATION',
      description: 'how long a disconnected worker keeps its tasks (default 30s)',
    },
    'keepalive-interval': {
      type: 'string',
      valueName: 'DURATION',
      description:
        'HTTP/2 ping interval towards workers (default 20s): a worker behind a dead link counts as gone after this plus --keepalive-timeout, then its lease runs',
    },
    'keepalive-timeout': {
      type: 'string',
      valueName: 'DURATION',
      description: 'how long a ping may go unanswered (default 10s)',
    },
    'auth-token': { type: 'string', valueName: 'TOKEN', description: 'require this bearer token on every call' },
    'socket-group': {
      type: 'string',
      valueName: 'GROUP',
      description: 'make the Unix socket 0660 for this group (gid or name; default 0600, owner only)',
    },
    'tls-cert': { type: 'string', valueName: 'FILE', description: 'server certificate (PEM): serve TLS on TCP' },
    'tls-key': { type: 'string', valueName: 'FILE', description: 'private key of --tls-cert' },
    'tls-ca': {
      type: 'string',
      valueName: 'FILE',
      description: 'CA bundle client certificates must chain to (mutual TLS: workers need --tls-cert/--tls-key)',
    },
    insecure: {
      type: 'boolean',
      description: 'allow TCP without TLS (and, on loopback, without a token): anyone reaching the port may use it',
    },
    'metrics-listen': {
      type: 'string',
      valueName: 'HOST:PORT',
      description: 'serve /metrics (Prometheus) and /healthz over HTTP here; host 127.0.0.1 unless given (default off)',
    },
    'mcp-listen': {
      type: 'string',
      valueName: 'HOST:PORT',
      description:
        "serve the connected workers' tools over MCP (Streamable HTTP, /mcp) here, guarded by --auth-token; " +
        'host 127.0.0.1 unless given (default off)',
    },
    'mcp-workspace-root': {
      type: 'string',
      multiple: true,
      valueName: 'DIR',
      description:
        "a directory (on the workers' hosts) MCP calls may mount as `workspace`; the only one is the default",
    },
    'log-level': {
      type: 'string',
      valueName: 'LEVEL',
      description: 'log level (default info)',
      choices: optionChoices('log-level'),
    },
    'log-format': {
      type: 'string',
      valueName: 'FORMAT',
      description: 'log format (default text)',
      choices: optionChoices('log-format'),
    },
  },
  configFlags: false,
  minPositionals: 0,
  maxPositionals: 0,
};

function flagOption<T>(flag: string, value: string | undefined, fallback: T): T {
  if (value === undefined) return fallback;
  const option = OPTIONS.find((o) => o.flag === flag);
  if (option === undefined) throw new WorkerCliError('INTERNAL', `no option --${flag}`);
  try {
    return parseOptionValue(option, value) as T;
  } catch (err) {
    if (err instanceof InvalidValue) throw configError(`--${flag}`, err.message);
    throw err;
  }
}

/** `--tls-cert`/`--tls-key` (and `--tls-ca` for mutual TLS), validated like the worker's options of the same names. */
function serverTls(parsed: ParsedCommand): HubTlsOptions | undefined {
  const file = (flag: string): string | undefined =>
    flagOption<string | undefined>(flag, stringValue(parsed.values, flag), undefined);
  const certFile = file('tls-cert');
  const keyFile = file('tls-key');
  const caFile = file('tls-ca');
  if (certFile === undefined && keyFile === undefined && caFile === undefined) return undefined;
  if (certFile === undefined || keyFile === undefined)
    throw usageError(
      '--tls-cert and --tls-key go together (--tls-ca adds mutual TLS)',
      certFile ? '--tls-key' : '--tls-cert',
    );
  assertFilesExist([
    ['--tls-cert', certFile],
    ['--tls-key', keyFile],
    ['--tls-ca', caFile],
  ]);
  return { certFile, keyFile, ...(caFile !== undefined ? { caFile, requireClientCert: true } : {}) };
}

/** A positive duration flag in milliseconds, `fallback` when absent. */
function durationFlag(parsed: ParsedCommand, flag: string, fallback: number): number {
  const text = stringValue(parsed.values, flag);
  const ms = text === undefined ? fallback : parseDuration(text);
  if (ms === undefined || ms <= 0)
    throw configError(`--${flag}`, `invalid duration ${JSON.stringify(text)} (expected e.g. 30s)`);
  return ms;
}

export async function runOrchestratorServe(parsed: ParsedCommand, io: CliIo): Promise<number> {
  const listen = stringValue(parsed.values, 'listen') ?? defaultSocketAddress(io.env);
  const leaseMs = durationFlag(parsed, 'lease', 30_000);
  const keepaliveTimeMs = durationFlag(parsed, 'keepalive-interval', 20_000);
  const keepaliveTimeoutMs = durationFlag(parsed, 'keepalive-timeout', 10_000);
  const level = flagOption<LogLevel>('log-level', stringValue(parsed.values, 'log-level'), 'info');
  const format = flagOption<LogFormat>('log-format', stringValue(parsed.values, 'log-format'), 'text');
  const logger = createLogger({
    level,
    format,
    output: 'stdout',
    color: colorEnabled(io.stdout, io.env),
    base: { component: 'orchestrator' },
  });
  const dataDir = stringValue(parsed.values, 'data');
  const token = stringValue(parsed.values, 'auth-token') ?? (io.env['ORCHESTRATOR_AUTH_TOKEN'] || undefined);
  const tls = serverTls(parsed);
  const socketGroup = stringValue(parsed.values, 'socket-group');
  const metricsListen = stringValue(parsed.values, 'metrics-listen');
  if (metricsListen !== undefined) parseHostPort(metricsListen, '--metrics-listen');
  const mcpListen = stringValue(parsed.values, 'mcp-listen');
  if (mcpListen !== undefined) parseHostPort(mcpListen, '--mcp-listen');
  const mcpRoots = listValue(parsed.values, 'mcp-workspace-root').map((d) => path.resolve(d));
  if (mcpRoots.length > 0 && mcpListen === undefined)
    throw usageError('--mcp-workspace-root needs --mcp-listen', '--mcp-workspace-root');
  // Only a metrics listener is ever scraped; without one the hub keeps its no-op meter.
  const meter = metricsListen !== undefined ? loadPromMeter().createProcessMeter() : undefined;
  // Only when OTEL_* asks for it (tracing.ts); ended after the hub, so its last spans go out.
  const tracing = startTracing({ serviceName: 'baaaht-orchestrator', version: workerVersion(), env: io.env, logger });
  const hub = createHub({
    leaseMs,
    keepaliveTimeMs,
    keepaliveTimeoutMs,
    logger,
    version: workerVersion(),
    knownTools: workerCatalog({})
      .catalog.all()
      .map((s) => s.name),
    ...(dataDir !== undefined ? { dataDir: path.resolve(dataDir) } : {}),
    ...(token !== undefined ? { bearerToken: token } : {}),
    ...(tls !== undefined ? { tls } : {}),
    ...(socketGroup !== undefined ? { socketGroup } : {}),
    insecure: parsed.values['insecure'] === true,
    ...(meter !== undefined ? { metrics: meter } : {}),
  });
  let bound: string;
  try {
    bound = await hub.listen(listen);
  } catch (err) {
    await hub.close().catch(() => undefined);
    await tracing?.shutdown();
    if (err instanceof HubError && err.code === 'INVALID_ARGUMENT') throw usageError(err.message, '--listen');
    if (err instanceof HubListenError && err.code === 'INSECURE_LISTENER') throw usageError(err.message, '--listen');
    throw new WorkerCliError('ORCHESTRATOR_UNAVAILABLE', (err as Error).message, { cause: err });
  }
  let metricsServer: HttpEndpoints | undefined;
  if (meter !== undefined && metricsListen !== undefined) {
    try {
      metricsServer = await loadMetricsServer().startMetricsServer({
        address: metricsListen,
        registry: meter.registry,
        logger,
      });
    } catch (err) {
      await hub.close().catch(() => undefined);
      await tracing?.shutdown();
      throw err;
    }
  }
  let mcpServer: McpHttpServer | undefined;
  if (mcpListen !== undefined) {
    try {
      mcpServer = await loadMcpHttp().startMcpHttp({
        address: mcpListen,
        hub,
        ...(token !== undefined ? { bearerToken: token } : {}),
        ...(tls !== undefined ? { tls } : {}),
        insecure: parsed.values['insecure'] === true,
        workspaceRoots: mcpRoots,
        version: workerVersion(),
        logger,
      });
    } catch (err) {
      await Promise.all([hub.close(), metricsServer?.close()]).catch(() => undefined);
      throw err;
    }
  }
  logger.info('orchestrator listening', { address: bound, dataDir, leaseMs });
  return new Promise<number>((resolve) => {
    let signals = 0;
    const stop = (signal: NodeJS.Signals): void => {
      signals++;
      if (signals > 1) {
        logger.warn('second signal: exiting now', { signal });
        logger.flush();
        resolve(1);
        return;
      }
      logger.info('shutting down, send again to force', { signal });
      // The MCP endpoint first: its calls are the hub's tasks, cancelled as the hub closes.
      const closed = Promise.all([mcpServer?.close().then(() => hub.close()) ?? hub.close(), metricsServer?.close()]);
      void closed
        .finally(() => tracing?.shutdown())
        .then(
          () => {
            logger.info('orchestrator stopped');
            logger.flush();
            resolve(0);
          },
          (err: unknown) => {
            logger.error('close failed', { err });
            logger.flush();
            resolve(1);
          },
        );
    };
    io.signals.on('SIGINT', stop);
    io.signals.on('SIGTERM', stop);
  });
}
