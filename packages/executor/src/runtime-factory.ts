import { ExecutorError } from './errors';
import type { ResolvedExecutorOptions } from './executor-options';
import { FreshContainerRuntime } from './fresh-container-runtime';
import type { Logger } from './logger';
import { PooledContainerRuntime } from './pooled-container-runtime';
import { sandboxAgentPath } from './sandbox-agent-path';
import type { StepRuntimeFactory } from './step-runtime';

/**
 * The executor's step runtime when none is injected: the warm pool unless it is turned off, or the
 * in-sandbox agent it needs was not built (then one warning and fresh containers exactly as before).
 */
export function defaultRuntimeFactory(
  options: ResolvedExecutorOptions,
  logger: Logger,
  agentPath: () => string = sandboxAgentPath,
): StepRuntimeFactory {
  const fresh: StepRuntimeFactory = (ctx) => new FreshContainerRuntime(ctx);
  if (!options.pool.enabled) return fresh;
  let path: string;
  try {
    path = agentPath();
  } catch (err) {
    if (!(err instanceof ExecutorError) || err.code !== 'SANDBOX_AGENT_MISSING') throw err;
    logger.warn('warm pool off: the in-sandbox agent is not built; every call starts a container cold', {
      component: 'executor',
      error: err.message,
    });
    return fresh;
  }
  const { perKey, idleMs, maxContainers } = options.pool;
  return (ctx) =>
    new PooledContainerRuntime(ctx, {
      perKey,
      idleMs,
      maxContainers,
      maxTimeoutMs: options.maxTimeoutMs,
      agentPath: path,
      meter: options.metrics,
    });
}
