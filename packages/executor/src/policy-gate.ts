import fs from 'node:fs';
import type { ToolSpec } from '@baaaht/tool-specs';
import { applyEnforced, toContainerRequest, WORKSPACE_TARGET } from './container-config';
import type { ContainerPlan } from './container-config';
import { engineMountDenial } from './engine-paths';
import { runtimeUnavailableMessage } from './engine-runtimes';
import type { EngineRuntimes } from './engine-runtimes';
import { usesDescriptorMounts } from './descriptor-mounts';
import type { DescriptorMount, DescriptorVolumes } from './descriptor-mounts';
import { mountPinRefusal } from './mount-gate';
import { openJudgedDirectory } from './workspace-source';
import type { Logger } from './logger';
import type { PolicyEnforcer, ToolGrant } from './policy-enforcer';
import type { TaskError, TaskStatus } from './task-types';
import { guardWorkspace } from './workspace-guards';

/**
 * Decides whether a planned task may run, before any container exists: the policy (which may also
 * tighten the plan), then the executor's own floor under any policy (no system or engine paths as a
 * workspace), then the host-side workspace guards (protected paths, file types, hard links). Returns a
 * result, never throws: a policy that cannot decide refuses (fail closed).
 */
export type GateResult =
  | {
      allowed: true;
      plan: ContainerPlan;
      /** An opt-in tool's grant (exec): its limits and network need, for the runner to apply. */
      grant?: ToolGrant;
    }
  | { allowed: false; status: TaskStatus; error: TaskError };

const refusal = (error: TaskError, status: TaskStatus = 'denied'): GateResult => ({ allowed: false, status, error });

function taskError(code: TaskError['code'], message: string, detail: string | undefined): TaskError {
  return detail === undefined ? { code, message } : { code, message, detail };
}

/** Asks the policy; a denial names the first violated rule as `detail`. */
export async function askPolicy(
  policy: PolicyEnforcer,
  plan: ContainerPlan,
  spec: Pick<ToolSpec, 'name' | 'network'>,
  logger: Logger,
): Promise<GateResult> {
  const request = toContainerRequest(plan, spec.network);
  try {
    const enforced = await policy.enforce(request);
    if (request.network === 'egress' && enforced.network === 'none')
      return refusal({ code: 'POLICY_DENIED', message: `policy removed network egress, which ${spec.name} needs` });
    return { allowed: true, plan: applyEnforced(plan, enforced) };
  } catch (err) {
    const code = (err as { code?: unknown } | null)?.code;
    const message = err instanceof Error ? err.message : String(err);
    if (code === 'POLICY_DENIED') {
      const violations = (err as { violations?: unknown }).violations;
      const rule = Array.isArray(violations)
        ? violations.map((v) => (v as { rule?: unknown })?.rule).find((r) => typeof r === 'string')
        : undefined;
      return refusal(taskError('POLICY_DENIED', message, typeof rule === 'string' ? rule : undefined));
    }
    // A policy that cannot decide must not let the container through.
    logger.error('policy enforcer failed; refusing the task', {
      component: 'executor',
      taskId: plan.taskId,
      tool: plan.tool,
      error: message,
    });
    return refusal({ code: 'POLICY_DENIED', message: `policy check failed: ${message}`, detail: 'POLICY_ERROR' });
  }
}

/** The whole gate: policy (when there is one), the executor's floor, the workspace guards. */
export async function gateTask(
  policy: PolicyEnforcer | undefined,
  planned: ContainerPlan,
  spec: Pick<ToolSpec, 'name' | 'network' | 'workspaceTargets' | 'enabledBy'>,
  params: Record<string, unknown>,
  context: {
    env: NodeJS.ProcessEnv;
    logger: Logger;
    runtimes: Pick<EngineRuntimes, 'has' | 'known'>;
    /** Descriptor volumes' probe (the gVisor tier); without it, workspace tools under gVisor are refused. */
    descriptors?: Pick<DescriptorVolumes, 'check'>;
  },
): Promise<GateResult> {
  let plan = planned;
  // An opt-in tool runs with its grant's limits and network need; the policy then judges that request.
  const grant = spec.enabledBy === undefined ? undefined : policy?.toolGrant?.(spec.name);
  const network = grant?.network ?? spec.network;
  if (grant !== undefined) plan = applyGrant(plan, grant);
  if (policy !== undefined) {
    const judged = await askPolicy(policy, plan, { name: spec.name, network }, context.logger);
    if (!judged.allowed) return judged;
    const runtimeRefusal = await checkRuntime(planned.runtime, judged.plan, context.runtimes);
    if (runtimeRefusal !== undefined) return runtimeRefusal;
    plan = judged.plan;
  }
  // The executor's floor for opt-in tools, in every policy mode and without a policy: enabled, or refused.
  if (spec.enabledBy !== undefined && grant?.enabled !== true)
    return refusal({ code: 'POLICY_DENIED', message: optInRefusal(spec.name, spec.enabledBy), detail: spec.enabledBy });
  // The executor's floor, after the policy (so its audit sees the request) and whether or not there is one.
  const engineDenial =
    plan.workspaceSource === undefined ? undefined : engineMountDenial(plan.workspaceSource, context.env);
  if (engineDenial !== undefined)
    return refusal({ code: 'POLICY_DENIED', message: engineDenial, detail: 'executor.always_denied' });

  // Protected paths and hard links are judged on the host, after the policy had its say, before any container.
  const guarded = guardWorkspace(spec, params, plan);
  if ('refusal' in guarded) {
    const { code, message, detail } = guarded.refusal;
    return refusal(taskError(code, message, detail));
  }
  if ('failure' in guarded)
    return refusal(taskError(guarded.failure.code, guarded.failure.message, undefined), 'failed');
  plan = guarded.plan;
  // The nested read-only binds are gated like the workspace: each must be the inode that was judged.
  for (const m of plan.protectedMounts ?? []) plan.pins?.push({ target: m.target, dev: m.dev, ino: m.ino });
  if (plan.workspaceSource !== undefined && usesDescriptorMounts(plan.runtime)) {
    const mounts = await descriptorMounts(plan, context.descriptors);
    if ('refusal' in mounts) return mounts.refusal;
    plan = { ...plan, descriptorMounts: mounts.mounts };
  }
  return grant === undefined ? { allowed: true, plan } : { allowed: true, plan, grant };
}

/**
 * A runtime the policy chose (`security.runtime`) must be registered with the engine: otherwise the task
 * is refused, never run under the executor's own weaker one. Under it, a workspace tool must still be
 * pinnable (gVisor hides host inode numbers: MOUNT_PIN_UNAVAILABLE).
 */
async function checkRuntime(
  ours: string,
  plan: ContainerPlan,
  runtimes: Pick<EngineRuntimes, 'has' | 'known'>,
): Promise<GateResult | undefined> {
  if (plan.runtime === ours) return undefined;
  if (!(await runtimes.has(plan.runtime)))
    return refusal(
      {
        code: 'RUNTIME_UNAVAILABLE',
        message: `${plan.tool}: ${runtimeUnavailableMessage(plan.runtime, "the policy's security.runtime", runtimes.known)}`,
        detail: 'security.runtime',
      },
      'error',
    );
  return undefined;
}

/**
 * The gVisor tier: the workspace and each protected directory are mounted from descriptors (each container
 * opens its own, see descriptor-mounts.ts), once the engine is proven to mount them (MOUNT_PIN_UNAVAILABLE
 * otherwise). A protected path that is not a directory, or that changed since it was checked, cannot be
 * mounted read-only that way: PROTECTED_PATH, before any container.
 */
async function descriptorMounts(
  plan: ContainerPlan,
  descriptors: Pick<DescriptorVolumes, 'check'> | undefined,
): Promise<{ mounts: DescriptorMount[] } | { refusal: GateResult }> {
  const pin = plan.pins?.find((p) => p.target === WORKSPACE_TARGET);
  const problem =
    descriptors === undefined || pin === undefined || plan.workspaceSource === undefined
      ? 'this executor cannot create descriptor volumes'
      : await descriptors.check(plan);
  const unpinnable = mountPinRefusal(plan.tool, plan.runtime, problem);
  if (unpinnable !== undefined || pin === undefined || plan.workspaceSource === undefined)
    return { refusal: refusal({ code: 'MOUNT_PIN_UNAVAILABLE', message: unpinnable ?? '' }, 'error') };
  const mounts: DescriptorMount[] = [
    { target: WORKSPACE_TARGET, source: plan.workspaceSource, dev: pin.dev, ino: pin.ino },
  ];
  for (const m of plan.protectedMounts ?? []) {
    const opened = openJudgedDirectory(m.source, m.dev, m.ino);
    if ('error' in opened) {
      const at = m.target.slice(WORKSPACE_TARGET.length + 1);
      return {
        refusal: refusal(
          taskError(
            'PROTECTED_PATH',
            `refusing write tools: protected path ${at} cannot be mounted read-only under runtime '${plan.runtime}' ` +
              `(${opened.error}; gVisor mounts only directories the worker holds open)`,
            'mounts.protected_paths',
          ),
        ),
      };
    }
    fs.closeSync(opened.fd);
    mounts.push({ target: m.target, source: m.source, dev: m.dev, ino: m.ino });
  }
  return { mounts };
}

/** The one message for an opt-in tool the policy did not enable (the worker's `run` says the same). */
export function optInRefusal(tool: string, setting: string): string {
  return `${tool} is disabled: it is opt-in, and the policy does not enable it (set ${setting}: true in the policy file)`;
}

/** The grant's resource limits, where they are tighter than the plan's. */
function applyGrant(plan: ContainerPlan, grant: ToolGrant): ContainerPlan {
  const tighter = (ours: number, theirs: number | undefined): number =>
    typeof theirs === 'number' && Number.isFinite(theirs) && theirs > 0 ? Math.min(ours, theirs) : ours;
  return {
    ...plan,
    cpus: tighter(plan.cpus, grant.cpus),
    memoryBytes: tighter(plan.memoryBytes, grant.memoryBytes),
    pidsLimit: tighter(plan.pidsLimit, grant.pidsLimit),
  };
}
