import type { Context } from '@opentelemetry/api';
import type { Clock } from './clock';
import { sleep } from './clock';
import type { DockerClient } from './docker-client';
import type { Logger } from './logger';
import { shortId } from './logger';
import type { StopMode } from './task-types';
import { childSpan } from './tracing';

/** What stopping one step's container needs. */
export interface ContainerStopContext {
  docker: DockerClient;
  clock: Clock;
  logger: Logger;
  containerId: string;
  taskId: string;
  tool: string;
  /** Aborted once the process has ended: cuts the grace period short. */
  ended: AbortSignal;
  /** The graceful ask (SIGTERM to the container, or a CANCEL frame to the in-sandbox agent). */
  askToStop(graceMs: number): Promise<void> | void;
  /** The step's span: each stop is a `container.stop` span under it. @default undefined (no span) */
  traceContext?: Context;
}

/**
 * `RunningStep.stop` for a step that owns its container: `force` (or no grace) kills it now; `graceful`
 * asks, then SIGKILLs once `graceMs` has passed without the process ending. Never throws.
 */
export function containerStopper(ctx: ContainerStopContext): (mode: StopMode, graceMs: number) => Promise<void> {
  const { docker, clock, logger, containerId: id } = ctx;
  return async (mode, graceMs) => {
    const meta = { component: 'executor', taskId: ctx.taskId, tool: ctx.tool, containerId: shortId(id), mode };
    const span = childSpan(ctx.traceContext, 'container.stop', { 'container.id': id, 'baaaht.stop.mode': mode });
    try {
      if (mode === 'force' || graceMs === 0) {
        await docker.killContainer(id, 'SIGKILL');
        return span.end({ 'baaaht.stop.killed': true });
      }
      await ctx.askToStop(graceMs);
      await sleep(clock, graceMs, ctx.ended);
      const killed = !ctx.ended.aborted;
      if (killed) {
        logger.debug('grace period over, sending SIGKILL', meta);
        await docker.killContainer(id, 'SIGKILL');
      }
      span.end({ 'baaaht.stop.killed': killed });
    } catch (err) {
      span.fail(err);
      logger.warn('could not signal container', { ...meta, error: String(err) });
    }
  };
}
