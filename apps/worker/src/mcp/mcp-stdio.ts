/**
 * `worker mcp`: the catalog as a local MCP server on stdio, every call through this process's executor
 * and policy (no orchestrator). stdout is the protocol, so logs go to stderr (or the `--log-output` file).
 * Loaded only by that command (the SDK is not part of any other command's start-up).
 *
 * Life: `starting` (policy and executor open, the image check runs while the client connects) ->
 * `serving` -> `closing` (stdin closed, or SIGINT/SIGTERM: running calls are stopped at once (SIGKILL),
 * their containers removed, the executor closed) -> `closed` (the command returns 0).
 */
import type { Writable } from 'node:stream';
import { StdioServerTransport, serveStdio } from '@modelcontextprotocol/server/stdio';
import type { CliIo } from '../cli-io';
import type { ResolvedWorkerConfig } from '../config';
import { WorkerCliError } from '../errors';
import { createLogger, logColor } from '../logger';
import { createWorkerPolicy } from '../policy-setup';
import { checkToolAvailability } from '../tool-availability';
import { workerCatalog } from '../tool-catalog';
import { workerVersion } from '../version';
import { configuredExecutorOptions, createWorkerExecutor } from '../worker-executor';
import { noWorkspaceWarning } from '../workspace-check';
import { createLocalBackend } from './local-backend';
import { createMcpToolServer } from './tool-server';

/** The client's first words about this server (shown to its model). */
function instructions(roots: readonly string[]): string {
  const where =
    roots.length === 1
      ? `Workspace tools mount ${roots[0]} at /workspace unless a call names a directory below it as \`workspace\`.`
      : roots.length > 1
        ? `Workspace tools need \`workspace\`: one of ${roots.join(', ')} (or a directory below one).`
        : 'Workspace tools need `workspace`, an absolute host directory the policy allows.';
  return `baaaht runs each tool call in a fresh, locked-down container (no network but the web tools' egress proxy). ${where}`;
}

/** Serves MCP on `io.stdin`/`io.stdout` until the client closes stdin or a signal arrives; resolves with 0. */
export async function serveMcpStdio(resolved: ResolvedWorkerConfig, io: CliIo): Promise<number> {
  const { config } = resolved;
  const stdin = io.stdin;
  if (stdin === undefined) throw new WorkerCliError('INTERNAL', 'worker mcp needs stdin');
  const source = resolved.sources.toolImages === 'default' ? '--tool-image' : resolved.sources.toolImages;
  const { catalog, images } = workerCatalog(config.toolImages, source);
  // stdout carries the protocol: nothing else may ever be written there.
  const output = config.logOutput === 'stdout' ? 'stderr' : config.logOutput;
  const logger = createLogger({
    level: config.logLevel,
    format: config.logFormat,
    output,
    color: logColor(output, io),
    base: { component: 'worker-mcp' },
  });
  const policy = createWorkerPolicy({
    file: config.policy,
    workspaceRoots: config.workspaceRoots,
    auditLog: config.auditLog,
    env: io.env,
    logger,
  });
  let executor: Awaited<ReturnType<typeof createWorkerExecutor>>;
  try {
    executor = await createWorkerExecutor({
      policy: policy.enforcer,
      sessionId: `${config.name}-mcp`,
      workerId: `${config.name}-mcp-${process.pid}`,
      logger,
      ...configuredExecutorOptions(config, images, io.env),
      version: workerVersion(),
    });
  } catch (err) {
    policy.store.close();
    throw err;
  }
  const mountWarning = noWorkspaceWarning(config, io.env);
  if (mountWarning !== undefined) logger.warn(mountWarning);
  const unavailable = checkToolAvailability({
    executor,
    catalog,
    config,
    policy: policy.enforcer,
    env: io.env,
    logger,
    runtime: {
      policy: policy.store.current(),
      workerRuntime: config.runtime,
      engineRuntimes: executor.engineRuntimes(),
    },
  });
  const backend = createLocalBackend({
    executor,
    catalog,
    unavailable,
    workspaceRoots: config.workspaceRoots,
    // With sessions on, the connection is one client: its calls run warm (one container per call shape).
    ...(config.sessions ? { defaultSession: `mcp-${process.pid}` } : {}),
    logger,
  });
  const handle = serveStdio(
    () =>
      createMcpToolServer(backend, {
        name: 'baaaht-worker',
        version: workerVersion(),
        instructions: instructions(config.workspaceRoots),
        logger,
      }),
    {
      transport: new StdioServerTransport(stdin, io.stdout as Writable),
      onerror: (err) => logger.warn('mcp transport error', { err: err.message }),
    },
  );
  logger.info('serving MCP on stdio', { workspaceRoots: config.workspaceRoots, policy: config.policy ?? 'default' });

  let stop: (reason: string) => void = () => undefined;
  const stopped = new Promise<string>((resolve) => (stop = resolve));
  const onSignal = (signal: NodeJS.Signals): void => stop(signal);
  const onEnd = (): void => stop('stdin closed');
  stdin.once('end', onEnd);
  stdin.once('close', onEnd);
  io.signals.on('SIGINT', onSignal);
  io.signals.on('SIGTERM', onSignal);
  const reason = await stopped;
  stdin.off('end', onEnd);
  stdin.off('close', onEnd);
  io.signals.off('SIGINT', onSignal);
  io.signals.off('SIGTERM', onSignal);
  logger.info('stopping', { reason, running: executor.liveTasks().length });
  // Nobody waits for a running call's output any more: stop its container at once, then wait for removal.
  await unavailable.catch(() => undefined);
  await executor.close({ force: true });
  await handle.close().catch((err: unknown) => logger.warn('mcp close failed', { err: (err as Error).message }));
  policy.store.close();
  logger.info('stopped');
  logger.flush();
  return 0;
}
