import fs from 'node:fs';
import path from 'node:path';
import { diagnoseDial } from '@baaaht/agent';
import { HubError, HubListenError, createHub, createHubClient } from '@baaaht/hub';
import type { HubClient, HubTlsOptions } from '@baaaht/hub';
import { AgentState, OutputStream, TaskState, defaultSocketAddress } from '@baaaht/proto';
import type { Agent as WorkerRecord } from '@baaaht/proto';
import type { CommandSpec, ParsedCommand } from './args';
import { parseCommand, printHelp, stringValue, unknownCommand } from './args';
import type { CliIo } from './cli-io';
import { writeOut } from './cli-io';
import { InvalidValue, OPTIONS, optionChoices, parseOptionValue } from './config-schema';
import type { LogFormat, LogLevel } from './config-schema';
import { parseDuration } from './durations';
import { WorkerCliError, configError, usageError } from './errors';
import { reportFromFinished } from './hub-results';
import { completionCommand, runCompletionCommand } from './completion';
import { createLogger } from './logger';
import { createProgress } from './progress';
import { colorEnabled, spinnerEnabled } from './terminal';
import { errorReport, printTaskReport } from './task-output';
import type { TaskReport } from './task-output';
import { formatTable } from './table';
import { TOOL_CALL_FLAGS, prepareToolCall } from './tool-call';
import { toolNames, workerCatalog } from './tool-catalog';
import { workerVersion } from './version';
import {
  EXEC_QUEUE_FLAGS,
  noWorkerWarning,
  queueTimeoutError,
  queueTimeoutMs,
  queueTimer,
  someWorkerOffers,
} from './commands/exec-queue';
import { ADDR_FLAG, DEFAULT_ADDR, TOKEN_FLAG } from './commands/orchestrator-flags';
import {
  cancelCommand,
  runCancelCommand,
  runStatusCommand,
  runTasksCommand,
  statusCommand,
  taskNotFound,
  tasksCommand,
} from './commands/tasks-command';

const serveCommand: CommandSpec = {
  name: 'orchestrator serve',
  brief: 'run the orchestrator',
  usage:
    'orchestrator serve [--listen ADDR] [--data DIR] [--lease 30s] [--auth-token T] [--socket-group G]\n' +
    '                   [--tls-cert FILE --tls-key FILE [--tls-ca FILE]] [--insecure]',
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

const execCommand: CommandSpec = {
  name: 'orchestrator exec',
  brief: 'submit a task and wait for the result',
  usage:
    'orchestrator exec <tool> --addr ADDR [--mount DIR] [--param key=value]... [--timeout D] [--queue-timeout 60s]\n' +
    '                  [--detach] [--json]',
  summary:
    'Submits one task to a running orchestrator and waits for its result; streams output as it arrives. ' +
    'The summary line (and --json) names the task id.',
  flags: { ...TOOL_CALL_FLAGS, ...EXEC_QUEUE_FLAGS, addr: ADDR_FLAG, 'auth-token': TOKEN_FLAG },
  configFlags: false,
  minPositionals: 1,
  maxPositionals: 1,
  positionalChoices: toolNames,
  epilog:
    '--timeout is the run time on the worker; --queue-timeout the wait for one (QUEUE_TIMEOUT, exit 1).\n' +
    'Exit status: 0 when the task completed (or was submitted, with --detach), 1 when it did not, 2 for usage errors.',
};

const workersCommand: CommandSpec = {
  name: 'orchestrator workers',
  brief: 'list workers',
  usage: 'orchestrator workers --addr ADDR [--json]',
  summary: 'Lists the workers the orchestrator knows.',
  flags: { addr: ADDR_FLAG, 'auth-token': TOKEN_FLAG, json: { type: 'boolean', description: 'print JSON' } },
  configFlags: false,
  minPositionals: 0,
  maxPositionals: 0,
};

const SUBCOMMANDS: Record<string, CommandSpec> = {
  serve: serveCommand,
  exec: execCommand,
  workers: workersCommand,
  tasks: tasksCommand,
  status: statusCommand,
  cancel: cancelCommand,
  completion: completionCommand('orchestrator'),
};

const rootCommand: CommandSpec = {
  name: 'orchestrator',
  usage: 'orchestrator <command> [options]',
  summary: "The dev orchestrator and its client. `orchestrator <command> --help` shows a command's options.",
  flags: { version: { type: 'boolean', short: 'v', description: 'print the version' } },
  configFlags: false,
  minPositionals: 0,
  maxPositionals: 0,
  commands: SUBCOMMANDS,
};

export async function orchestratorCli(argv: readonly string[], io: CliIo): Promise<number> {
  const first = argv[0];
  if (first === undefined || first.startsWith('-')) {
    const parsed = parseCommand(rootCommand, argv);
    if (parsed.values['version'] === true) {
      await writeOut(io.stdout, `orchestrator ${workerVersion()}\n`);
      return 0;
    }
    await printHelp(rootCommand, parsed.help ? io.stdout : io.stderr);
    return parsed.help ? 0 : 2;
  }
  const spec = first === 'help' ? (SUBCOMMANDS[argv[1] ?? ''] ?? rootCommand) : SUBCOMMANDS[first];
  if (spec === undefined) throw unknownCommand(rootCommand, first);
  if (first === 'help') {
    await printHelp(spec, io.stdout);
    return 0;
  }
  const parsed = parseCommand(spec, argv.slice(1));
  if (parsed.help) {
    await printHelp(spec, io.stdout);
    return 0;
  }
  switch (first) {
    case 'completion':
      return runCompletionCommand(rootCommand, 'orchestrator', parsed.positionals[0] ?? '', io);
    case 'serve':
      return serve(parsed, io);
    case 'exec':
      return exec(parsed, io);
    case 'workers':
      return withClient(parsed, io, (client) => listWorkers(client, parsed, io));
    case 'tasks':
      return withClient(parsed, io, (client) => runTasksCommand(client, parsed, io));
    case 'cancel':
      return withClient(parsed, io, (client) => runCancelCommand(client, parsed, io));
    default:
      return withClient(parsed, io, (client) => runStatusCommand(client, parsed, io));
  }
}

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
  for (const [flag, f] of [
    ['--tls-cert', certFile],
    ['--tls-key', keyFile],
    ['--tls-ca', caFile],
  ] as const) {
    if (f !== undefined && !fs.existsSync(f)) throw configError(flag, `no such file: ${f}`);
  }
  return { certFile, keyFile, ...(caFile !== undefined ? { caFile, requireClientCert: true } : {}) };
}

async function serve(parsed: ParsedCommand, io: CliIo): Promise<number> {
  const listen = stringValue(parsed.values, 'listen') ?? defaultSocketAddress(io.env);
  const leaseText = stringValue(parsed.values, 'lease');
  const leaseMs = leaseText === undefined ? 30_000 : parseDuration(leaseText);
  if (leaseMs === undefined || leaseMs <= 0)
    throw configError('--lease', `invalid duration ${JSON.stringify(leaseText)} (expected e.g. 30s)`);
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
  const hub = createHub({
    leaseMs,
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
  });
  let bound: string;
  try {
    bound = await hub.listen(listen);
  } catch (err) {
    await hub.close().catch(() => undefined);
    if (err instanceof HubError && err.code === 'INVALID_ARGUMENT') throw usageError(err.message, '--listen');
    if (err instanceof HubListenError && err.code === 'INSECURE_LISTENER') throw usageError(err.message, '--listen');
    throw new WorkerCliError('ORCHESTRATOR_UNAVAILABLE', (err as Error).message, { cause: err });
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
      void hub.close().then(
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

/** `--addr`, else $ORCHESTRATOR_URL, else the default socket (the one `serve` listens on). */
function clientAddress(parsed: ParsedCommand, io: CliIo): string {
  return stringValue(parsed.values, 'addr') ?? (io.env['ORCHESTRATOR_URL'] || defaultSocketAddress(io.env));
}

function clientFor(parsed: ParsedCommand, io: CliIo): HubClient {
  const addr = clientAddress(parsed, io);
  const token = stringValue(parsed.values, 'auth-token') ?? (io.env['ORCHESTRATOR_AUTH_TOKEN'] || undefined);
  try {
    return createHubClient(addr, token !== undefined ? { bearerToken: token } : {});
  } catch (err) {
    if (err instanceof HubError) throw usageError(err.message, '--addr');
    throw err;
  }
}

async function withClient(
  parsed: ParsedCommand,
  io: CliIo,
  fn: (client: HubClient) => Promise<number>,
): Promise<number> {
  const client = clientFor(parsed, io);
  try {
    return await fn(client);
  } catch (err) {
    throw await hubFailure(err, clientAddress(parsed, io));
  } finally {
    client.close();
  }
}

/** gRPC status 14, as grpc-js reports a call that found no connection. */
const GRPC_UNAVAILABLE = 14;

/**
 * A client call's failure in words that point to the fix: an unreachable orchestrator is probed
 * (no socket at the path, a stale socket, permission denied, nothing on the port) instead of
 * showing grpc-js's text; a refused token says which token to give.
 */
async function hubFailure(err: unknown, address: string): Promise<unknown> {
  if (!(err instanceof HubError)) return err;
  if (err.code === 'INVALID_ARGUMENT' || err.code === 'UNKNOWN_TOOL')
    return new WorkerCliError('INVALID_PARAMS', err.message, { cause: err });
  if (err.code === 'TASK_NOT_FOUND') return taskNotFound(err.taskId, err);
  if (err.code === 'UNAUTHENTICATED')
    return new WorkerCliError(
      'UNAUTHENTICATED',
      `the orchestrator at ${address} refused the token (UNAUTHENTICATED): give the token \`orchestrator serve --auth-token\` was started with, as --auth-token or ORCHESTRATOR_AUTH_TOKEN`,
      { cause: err },
    );
  if ((err.cause as { code?: unknown } | undefined)?.code === GRPC_UNAVAILABLE) {
    const why = await diagnoseDial(address);
    return new WorkerCliError(
      'ORCHESTRATOR_UNAVAILABLE',
      `cannot reach the orchestrator at ${address}: ${why.message}`,
      {
        cause: err,
      },
    );
  }
  return new WorkerCliError('ORCHESTRATOR_UNAVAILABLE', `${err.code}: ${err.message}`, { cause: err });
}

async function exec(parsed: ParsedCommand, io: CliIo): Promise<number> {
  const json = parsed.values['json'] === true;
  const toolName = parsed.positionals[0] ?? '';
  let taskId: string | undefined;
  const fail = async (code: string, message: string, exitCode: number): Promise<number> => {
    const report = errorReport(toolName, code, message);
    if (json) await writeOut(io.stdout, JSON.stringify(taskId === undefined ? report : { taskId, ...report }) + '\n');
    io.stderr.write(`orchestrator: ${message}\n`);
    return exitCode;
  };
  let call;
  let queueLimitMs: number;
  try {
    call = prepareToolCall(parsed, {}, '--tool-image');
    queueLimitMs = queueTimeoutMs(parsed);
  } catch (err) {
    if (err instanceof WorkerCliError) return fail(err.code, err.message, err.exitCode);
    throw err;
  }
  const client = clientFor(parsed, io);
  const progress = createProgress({
    stream: io.stderr as NodeJS.WriteStream,
    enabled: !json && spinnerEnabled(io.stderr, io.env),
  });
  let report: TaskReport | undefined;
  let streamed = false;
  let interrupts = 0;
  let onInterrupt: (() => void) | undefined;
  let abandon: (() => void) | undefined;
  let queueTimedOut = false;
  const queue = queueTimer(queueLimitMs, () => {
    if (taskId === undefined) return;
    queueTimedOut = true;
    // A queued task finishes CANCELLED at once; its `finished` event then ends the watch below.
    client.cancel(taskId, { reason: `no worker within --queue-timeout` }).catch(() => undefined);
  });
  const detach = (): void => {
    queue.stop();
    if (onInterrupt === undefined) return;
    io.signals.off('SIGINT', onInterrupt);
    io.signals.off('SIGTERM', onInterrupt);
  };
  try {
    const submitted = await client.submit({
      tool: call.tool,
      params: call.params,
      ...(call.mountSource !== undefined ? { mountSource: call.mountSource } : {}),
      ...(call.timeoutMs !== undefined ? { timeoutMs: call.timeoutMs } : {}),
    });
    taskId = submitted.taskId;
    if (parsed.values['detach'] === true) {
      client.close();
      await writeOut(io.stdout, json ? JSON.stringify({ taskId }) + '\n' : `${taskId}\n`);
      if (!json) io.stderr.write(`orchestrator: submitted task ${taskId}; see orchestrator status ${taskId}\n`);
      return 0;
    }
    if (submitted.state === TaskState.TASK_STATE_QUEUED) {
      queue.start();
      if (!(await someWorkerOffers(client, call.tool)))
        io.stderr.write(`orchestrator: ${noWorkerWarning(call.tool, queueLimitMs)}\n`);
    }
    progress.update(`task ${submitted.taskId}: waiting for a worker…`);
    // Ctrl-C cancels the task on the orchestrator and still waits for its final report; a second one leaves.
    interrupts = 0;
    onInterrupt = (): void => {
      interrupts++;
      if (interrupts === 1) {
        progress.update(`task ${submitted.taskId}: cancelling…`);
        client.cancel(submitted.taskId, { reason: 'interrupted from orchestrator exec' }).catch(() => undefined);
      } else {
        progress.stop();
        io.stderr.write(`orchestrator: left task ${submitted.taskId} without waiting for its result\n`);
        abandon?.();
      }
    };
    io.signals.on('SIGINT', onInterrupt);
    io.signals.on('SIGTERM', onInterrupt);
    const abandoned = new Promise<'abandoned'>((resolve) => {
      abandon = () => resolve('abandoned');
    });
    const watching = (async () => {
      for await (const event of client.watch(submitted.taskId)) {
        const payload = event.payload;
        if (payload === undefined) continue;
        switch (payload.$case) {
          case 'assigned':
            queue.stop();
            // Taken just before the timeout's cancel arrived: whatever it reports now is not a queue timeout.
            queueTimedOut = false;
            progress.update(`task ${submitted.taskId}: running on ${payload.value.agentId}…`);
            break;
          case 'requeued':
            queue.start();
            progress.update(`task ${submitted.taskId}: requeued (${payload.value.reason}), waiting for a worker…`);
            break;
          case 'output':
            if (!json && call.streamable) {
              streamed = true;
              progress.stop();
              (payload.value.stream === OutputStream.OUTPUT_STREAM_STDERR ? io.stderr : io.stdout).write(
                payload.value.data,
              );
            }
            break;
          case 'finished':
            report = reportFromFinished(call.tool, payload.value);
            break;
          default:
            break;
        }
      }
    })();
    if ((await Promise.race([watching, abandoned])) === 'abandoned') {
      detach();
      client.close();
      return 130;
    }
  } catch (err) {
    detach();
    progress.stop();
    client.close();
    const failure = await hubFailure(err, clientAddress(parsed, io));
    if (failure instanceof WorkerCliError) return fail(failure.code, failure.message, failure.exitCode);
    throw failure;
  }
  detach();
  progress.stop();
  client.close();
  if (report === undefined) return fail('ORCHESTRATOR_UNAVAILABLE', 'the task stream ended without a result', 1);
  if (queueTimedOut && report.status === 'cancelled') {
    const error = queueTimeoutError(taskId as string, call.tool, queueLimitMs);
    return fail(error.code, error.message, error.exitCode);
  }
  return printTaskReport(io, { taskId, ...report }, { json, streamed });
}

function workerJson(w: WorkerRecord): Record<string, unknown> {
  return {
    id: w.id,
    name: w.name,
    state: AgentState[w.state] ?? String(w.state),
    connected: w.connected,
    draining: w.draining,
    freeSlots: w.freeSlots,
    activeTasks: w.activeTasks,
    tools: w.capabilities?.supportedTools ?? [],
    registeredAt: w.registeredAt?.toISOString() ?? null,
    lastHeartbeat: w.lastHeartbeat?.toISOString() ?? null,
  };
}

async function listWorkers(client: HubClient, parsed: ParsedCommand, io: CliIo): Promise<number> {
  const workers = await client.workers();
  if (parsed.values['json'] === true) {
    await writeOut(io.stdout, JSON.stringify(workers.map(workerJson), null, 2) + '\n');
    return 0;
  }
  if (workers.length === 0) {
    await writeOut(io.stdout, 'no workers\n');
    return 0;
  }
  const rows = workers.map((w) => [
    w.name,
    w.id,
    w.connected ? (w.draining ? 'draining' : 'connected') : 'disconnected',
    String(w.freeSlots),
    String(w.activeTasks.length),
  ]);
  await writeOut(io.stdout, formatTable(['NAME', 'ID', 'STATE', 'FREE', 'RUNNING'], rows, { aligned: true }));
  return 0;
}
