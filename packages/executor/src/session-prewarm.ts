import { randomUUID } from 'node:crypto';
import type { ContainerPlan } from './container-config';
import type { EngineRuntimes } from './engine-runtimes';
import { ExecutorError } from './errors';
import type { ExecutorCatalog, ResolvedExecutorOptions } from './executor-options';
import type { ImageResolver } from './image-resolver';
import type { Logger } from './logger';
import { gateTask } from './policy-gate';
import { planTask } from './task-plan';
import type { TaskRequest } from './task-types';
import type { PinnedWorkspace } from './workspace-source';
import type { DescriptorVolumes } from './descriptor-mounts';
import type { SessionInfo } from './session-runtime';

/** What `executor.prewarmSession` takes: a call like the session's first, which is planned and judged but not run. */
export type SessionPrewarmRequest = Pick<
  TaskRequest,
  'tool' | 'params' | 'args' | 'mountSource' | 'limits' | 'timeoutMs'
>;

export interface PrewarmContext {
  catalog: ExecutorCatalog;
  options: ResolvedExecutorOptions;
  logger: Logger;
  instanceId: string;
  version: string;
  now: number;
  /** The engine's runtimes, for a policy's `security.runtime`. */
  engineRuntimes: EngineRuntimes;
  /** The gVisor tier's descriptor volumes (see descriptor-mounts.ts). */
  descriptors?: DescriptorVolumes;
  imageFor(tool: string, catalogImage: string): string;
}

/**
 * Plans and judges a prewarm request exactly as a task (plan, policy, floor, workspace guards), so the
 * session it creates is bound to what its calls will be judged to need. Throws the refusal as an
 * `ExecutorError` with the task's code. The caller closes `workspace` once the container holds the mount.
 */
export async function judgePrewarm(
  sessionId: string,
  request: SessionPrewarmRequest,
  ctx: PrewarmContext,
): Promise<{ plan: ContainerPlan; workspace: PinnedWorkspace | undefined }> {
  const taskId = `prewarm-${randomUUID()}`;
  const planned = planTask(taskId, { ...request, sessionId }, ctx);
  const refuse = (code: ExecutorError['code'], message: string, detail?: string): never => {
    throw new ExecutorError(code, message, detail === undefined ? { taskId } : { taskId, detail });
  };
  if ('outcome' in planned) {
    const e = planned.outcome.error;
    return refuse(e?.code ?? 'INTERNAL', e?.message ?? 'the prewarm request was refused', e?.detail);
  }
  const { spec, params, workspace } = planned.plan;
  try {
    if (spec.network === 'egress')
      refuse('INVALID_REQUEST', `${spec.name} needs egress: web tools run per call, never in a session container`);
    const policy = ctx.options.policy?.snapshot?.() ?? ctx.options.policy;
    const gate = await gateTask(policy, planned.plan.plan, spec, params, {
      env: ctx.options.env,
      logger: ctx.logger,
      runtimes: ctx.engineRuntimes,
      ...(ctx.descriptors === undefined ? {} : { descriptors: ctx.descriptors }),
    });
    if (!gate.allowed) return refuse(gate.error.code, gate.error.message, gate.error.detail);
    return { plan: gate.plan, workspace };
  } catch (err) {
    workspace?.close();
    throw err;
  }
}

/**
 * `executor.prewarmSession`: judges the request (above), makes sure the image is there, then creates (or
 * checks the binding of) the session's container and waits for its agent. The pinned workspace is released
 * once the container holds the mount.
 */
export async function prewarmSession(
  sessionId: string,
  request: SessionPrewarmRequest,
  ctx: PrewarmContext & { images: ImageResolver; prewarm(plan: ContainerPlan): Promise<SessionInfo> },
): Promise<SessionInfo> {
  const { plan, workspace } = await judgePrewarm(sessionId, request, ctx);
  try {
    await ctx.images.ensure(plan.image, { taskId: plan.taskId, tool: plan.tool, signal: new AbortController().signal });
    return await ctx.prewarm(plan);
  } finally {
    workspace?.close();
  }
}
