import fs from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import type { CommandSpec, ParsedCommand } from '../args';
import { listValue, stringValue } from '../args';
import type { CliIo } from '../cli-io';
import { writeOut } from '../cli-io';
import type { ResolvedWorkerConfig } from '../config';
import { parseDuration } from '../durations';
import { WorkerCliError, usageError } from '../errors';
import { createWorkerExecutor } from '../executor-port';
import type { ExecutorEvent } from '../executor-port';
import { createLogger } from '../logger';
import { createWorkerPolicy } from '../policy-setup';
import { errorReport, summaryLine, toTaskReport } from '../task-output';
import type { TaskReport } from '../task-output';
import { workerCatalog } from '../tool-catalog';
import { buildToolParams } from '../tool-params';

export const runCommand: CommandSpec = {
  name: 'worker run',
  usage: 'worker run <tool> [--mount DIR] [--param key=value]... [--param-json key=JSON]... [--timeout 30s] [--json]',
  summary:
    'Runs one tool locally through the same executor and policy as the worker, without an orchestrator.\n' +
    '--param values are coerced to the type the tool\'s schema declares; --mount DIR counts as allowed by the operator.',
  flags: {
    mount: { type: 'string', valueName: 'DIR', description: 'host directory mounted at /workspace (file tools)' },
    param: { type: 'string', multiple: true, valueName: 'KEY=VALUE', description: 'a tool parameter' },
    'param-json': { type: 'string', multiple: true, valueName: 'KEY=JSON', description: 'a tool parameter as JSON' },
    timeout: { type: 'string', valueName: 'DURATION', description: 'whole-task timeout (default: the tool\'s)' },
    json: { type: 'boolean', description: 'print one JSON object {tool, status, exitCode, stdout, stderr, ...}' },
  },
  configFlags: true,
  minPositionals: 1,
  maxPositionals: 1,
  epilog: 'Exit status: 0 when the task completed, 1 when it did not, 2 for usage errors.\nExample: worker run grep --mount . --param pattern=TODO --param path=src',
};

interface PreparedRun {
  tool: string;
  params: Record<string, unknown>;
  mountSource: string | undefined;
  timeoutMs: number | undefined;
}

function prepare(resolved: ResolvedWorkerConfig, parsed: ParsedCommand): PreparedRun & { images: Record<string, string> } {
  const tool = parsed.positionals[0] as string;
  const { catalog, images } = workerCatalog(resolved.config.toolImages, sourceOf(resolved, 'toolImages', '--tool-image'));
  if (!catalog.has(tool)) {
    throw new WorkerCliError('UNKNOWN_TOOL', `unknown tool ${JSON.stringify(tool)} (tools: ${catalog.all().map((s) => s.name).join(', ')})`, { tool });
  }
  const spec = catalog.get(tool);
  const params = buildToolParams(spec.parameters, listValue(parsed.values, 'param'), listValue(parsed.values, 'param-json'));
  const checked = catalog.validate(tool, params);
  if (!checked.ok) {
    const problems = checked.errors.map((e) => (e.path ? `${e.path}: ${e.message}` : e.message)).join('; ');
    throw new WorkerCliError('INVALID_PARAMS', `invalid parameters for ${tool}: ${problems}`, { tool });
  }
  const timeoutText = stringValue(parsed.values, 'timeout');
  let timeoutMs: number | undefined;
  if (timeoutText !== undefined) {
    timeoutMs = parseDuration(timeoutText);
    if (timeoutMs === undefined || timeoutMs === 0) throw usageError(`invalid duration ${JSON.stringify(timeoutText)} (expected e.g. 30s, 1m30s, 500ms)`, '--timeout');
  }
  const mount = stringValue(parsed.values, 'mount');
  let mountSource: string | undefined;
  if (mount !== undefined) {
    mountSource = path.resolve(mount);
    if (!fs.existsSync(mountSource) || !fs.statSync(mountSource).isDirectory()) throw usageError(`${mount} is not a directory`, '--mount');
    mountSource = fs.realpathSync(mountSource);
  } else if (spec.workspace !== 'none') {
    throw usageError(`${tool} works on a workspace: give --mount DIR`);
  }
  return { tool, params: checked.params, mountSource, timeoutMs, images };
}

function sourceOf(resolved: ResolvedWorkerConfig, field: keyof ResolvedWorkerConfig['config'], fallback: string): string {
  const s = resolved.sources[field];
  return s === 'default' ? fallback : s;
}

/** `worker run <tool>`: one task through the real executor and policy; exit 0 only when it completed. */
export async function runRunCommand(resolved: ResolvedWorkerConfig, parsed: ParsedCommand, io: CliIo): Promise<number> {
  const json = parsed.values['json'] === true;
  const toolName = parsed.positionals[0] ?? '';
  let prepared: ReturnType<typeof prepare>;
  try {
    prepared = prepare(resolved, parsed);
  } catch (err) {
    // With --json a script always gets its one object, even for a usage error.
    if (json && err instanceof WorkerCliError) {
      await writeOut(io.stdout, JSON.stringify(errorReport(toolName, err.code, err.message)) + '\n');
      io.stderr.write(`worker: ${err.message}\n`);
      return err.exitCode;
    }
    throw err;
  }

  const { config } = resolved;
  // stdout belongs to the tool's output (or the JSON object), so logs go to stderr unless a file was asked for.
  const logger = createLogger({
    level: resolved.sources.logLevel === 'default' ? 'warn' : config.logLevel,
    format: config.logFormat,
    output: config.logOutput === 'stdout' ? 'stderr' : config.logOutput,
    base: { component: 'worker-run' },
  });
  const workspaceRoots = prepared.mountSource ? [...config.workspaceRoots, prepared.mountSource] : config.workspaceRoots;
  const policy = createWorkerPolicy({ file: config.policy, workspaceRoots, env: io.env, logger });
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
  });

  const abort = new AbortController();
  let interrupts = 0;
  const taskId = `run-${randomUUID()}`;
  const onSignal = (): void => {
    interrupts++;
    if (interrupts === 1) abort.abort();
    else void executor.cancelTask(taskId, { force: true });
  };
  io.signals.on('SIGINT', onSignal);
  io.signals.on('SIGTERM', onSignal);

  let streamed = false;
  const onEvent = (event: ExecutorEvent): void => {
    if (json || (event.type !== 'stdout' && event.type !== 'stderr')) return;
    const data = (event as { data: Uint8Array | string }).data;
    streamed = true;
    (event.type === 'stdout' ? io.stdout : io.stderr).write(typeof data === 'string' ? data : Buffer.from(data));
  };

  let report: TaskReport;
  try {
    const result = await executor.executeTask({
      tool: prepared.tool,
      params: prepared.params,
      ...(prepared.mountSource !== undefined ? { mountSource: prepared.mountSource } : {}),
      ...(prepared.timeoutMs !== undefined ? { timeoutMs: prepared.timeoutMs } : {}),
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

  if (json) {
    await writeOut(io.stdout, JSON.stringify(report) + '\n');
  } else {
    if (!streamed) {
      if (report.stdout) await writeOut(io.stdout, report.stdout);
      if (report.stderr) io.stderr.write(report.stderr);
    }
    io.stderr.write(`${summaryLine(report)}\n`);
  }
  return report.status === 'completed' ? 0 : 1;
}
