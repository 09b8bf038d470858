import { randomUUID } from 'node:crypto';
import type { CommandSpec, ParsedCommand } from '../args';
import type { CliIo } from '../cli-io';
import { writeOut } from '../cli-io';
import type { ResolvedWorkerConfig } from '../config';
import { stringValue } from '../args';
import { WorkerCliError, usageError } from '../errors';
import { createWorkerExecutor } from '../worker-executor';
import type { TaskEvent } from '@baaaht/executor';
import { getToolSpec } from '@baaaht/tool-specs';
import { createLogger, logColor } from '../logger';
import { createWorkerPolicy } from '../policy-setup';
import { errorReport, printTaskReport, toTaskReport } from '../task-output';
import type { TaskReport } from '../task-output';
import { requireOfflineImage } from '../offline-images';
import { disabledOptInTools, unavailableTools } from '../tool-availability';
import { toolNames } from '../tool-catalog';
import { TOOL_CALL_FLAGS, prepareToolCall, toolCallRequest } from '../tool-call';
import type { PreparedToolCall } from '../tool-call';

export const runCommand: CommandSpec = {
  name: 'worker run',
  brief: 'run one tool locally through the executor and policy (no orchestrator)',
  usage:
    'worker run <tool> [--mount DIR] [--param key=value]... [--param-json key=JSON]... [--timeout 30s] [--session ID] [--json]\n' +
    "       worker run exec --mount DIR (--command 'STR' | --argv WORD...) [--param cwd=DIR] ...",
  summary:
    'Runs one tool locally through the same executor and policy as the worker, without an orchestrator.\n' +
    "--param values are coerced to the type the tool's schema declares; --mount DIR counts as allowed by the operator.\n" +
    '--session ID runs the call as a session call (sessions enabled for this process); a session lives as long as its\n' +
    'worker process, so state only carries over between calls in a long-lived `worker serve`.',
  flags: {
    ...TOOL_CALL_FLAGS,
    session: {
      type: 'string',
      valueName: 'ID',
      description:
        "run the call in session ID's own hardened container through the in-sandbox agent (a session lives as long as this process)",
    },
  },
  configFlags: true,
  minPositionals: 1,
  maxPositionals: 1,
  positionalChoices: toolNames,
  epilog:
    'Exit status: 0 when the task completed, 1 when it did not, 2 for usage errors.\nExample: worker run grep --mount . --param pattern=TODO --param path=src\n' +
    "Example: worker run exec --policy policy.yaml --mount . --command 'make test 2>&1 | tail -n 50' (exec is opt-in: tools.exec.enabled)",
};

/** Validates the call, then loads the policy and opens the executor (closing what was opened if a later step fails). */
async function setUp(resolved: ResolvedWorkerConfig, parsed: ParsedCommand, io: CliIo) {
  const { config } = resolved;
  const sessionId = stringValue(parsed.values, 'session');
  if (sessionId !== undefined && sessionId.trim() === '')
    throw usageError('a session id must not be empty', '--session');
  const source = resolved.sources.toolImages === 'default' ? '--tool-image' : resolved.sources.toolImages;
  const prepared: PreparedToolCall = prepareToolCall(parsed, config.toolImages, source);
  const unavailable = unavailableTools(config).get(prepared.tool);
  if (unavailable !== undefined) throw new WorkerCliError('TOOL_UNAVAILABLE', unavailable, { tool: prepared.tool });
  const image = prepared.images[prepared.tool];
  if (config.offlineImages && image !== undefined) await requireOfflineImage(prepared.tool, image, io.env);
  // stdout belongs to the tool's output (or the JSON object), so logs go to stderr unless a file was asked for.
  const logger = createLogger({
    level: resolved.sources.logLevel === 'default' ? 'warn' : config.logLevel,
    format: config.logFormat,
    output: config.logOutput === 'stdout' ? 'stderr' : config.logOutput,
    color: logColor(config.logOutput === 'stdout' ? 'stderr' : config.logOutput, io),
    base: { component: 'worker-run' },
  });
  const workspaceRoots = prepared.mountSource
    ? [...config.workspaceRoots, prepared.mountSource]
    : config.workspaceRoots;
  const policy = createWorkerPolicy({
    file: config.policy,
    workspaceRoots,
    auditLog: config.auditLog,
    env: io.env,
    logger,
  });
  try {
    // exec is opt-in: refused up front, with the executor's own message, unless the policy enables it.
    const disabled = disabledOptInTools([getToolSpec(prepared.tool)], policy.enforcer).get(prepared.tool);
    if (disabled !== undefined) throw new WorkerCliError('TOOL_UNAVAILABLE', disabled, { tool: prepared.tool });
    const executor = await createWorkerExecutor({
      policy: policy.enforcer,
      sessionId: 'worker-run',
      workerId: `${config.name}-run-${process.pid}`,
      logger,
      imageOverrides: prepared.images,
      pullPolicy: config.pullPolicy,
      runtime: config.runtime,
      maxConcurrentTasks: 1,
      searchBackendUrl: config.searchBackendUrl,
      env: io.env,
      ...(sessionId !== undefined ? { sessions: { enabled: true } } : {}),
      // One call per process: a container started ahead would only be removed again at exit.
      pool: { enabled: false, idleMs: config.poolIdleMs },
    });
    return { prepared, logger, policy, executor, sessionId };
  } catch (err) {
    policy.store.close();
    throw err;
  }
}

/** `worker run <tool>`: one task through the real executor and policy; exit 0 only when it completed. */
export async function runRunCommand(resolved: ResolvedWorkerConfig, parsed: ParsedCommand, io: CliIo): Promise<number> {
  const json = parsed.values['json'] === true;
  const toolName = parsed.positionals[0] ?? '';
  let setup: Awaited<ReturnType<typeof setUp>>;
  try {
    setup = await setUp(resolved, parsed, io);
  } catch (err) {
    // With --json a script always gets its one object, even for a usage error or Docker being down.
    if (json && err instanceof WorkerCliError) {
      await writeOut(io.stdout, JSON.stringify(errorReport(toolName, err.code, err.message)) + '\n');
      io.stderr.write(`worker: ${err.message}\n`);
      return err.exitCode;
    }
    throw err;
  }
  const { prepared, logger, policy, executor, sessionId } = setup;

  const abort = new AbortController();
  let interrupts = 0;
  const taskId = `run-${randomUUID()}`;
  const onSignal = (): void => {
    interrupts++;
    if (interrupts === 1) abort.abort();
    else executor.cancelTask(taskId, { force: true });
  };
  io.signals.on('SIGINT', onSignal);
  io.signals.on('SIGTERM', onSignal);

  let streamed = false;
  const onEvent = (event: TaskEvent): void => {
    if (json || !prepared.streamable || (event.type !== 'stdout' && event.type !== 'stderr')) return;
    streamed = true;
    (event.type === 'stdout' ? io.stdout : io.stderr).write(event.chunk);
  };

  let report: TaskReport;
  try {
    const result = await executor.executeTask({
      ...toolCallRequest(prepared),
      ...(sessionId !== undefined ? { sessionId } : {}),
      taskId,
      signal: abort.signal,
      onEvent,
    });
    report = toTaskReport(prepared.tool, result);
  } catch (err) {
    // The executor reports task failures as results; a throw is an operational error (Docker down, bad request).
    const e = err as { code?: unknown; message?: unknown };
    const code = typeof e.code === 'string' ? e.code : 'ERROR';
    report = errorReport(prepared.tool, code, typeof e.message === 'string' ? e.message : String(err));
  } finally {
    io.signals.off('SIGINT', onSignal);
    io.signals.off('SIGTERM', onSignal);
    await executor.close().catch(() => undefined);
    policy.store.close();
    logger.flush();
  }

  return printTaskReport(io, report, { json, streamed });
}
