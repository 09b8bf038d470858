import { createHash, randomBytes } from 'node:crypto';
import { buildCreateBody } from './container-config';
import type { ContainerPlan } from './container-config';
import type { ContainerCreateBody } from './docker-client';
import { LABELS } from './labels';
import { SANDBOX_AGENT_PROCESSES } from './sandbox-agent-path';

/**
 * The create body of a warm-pool container and the pool key derived from it. A pooled container is the
 * container `buildCreateBody` makes for the call (same hardening, mounts, limits, user, runtime, labels),
 * except that its entry is the mount gate wrapping `/.baaaht/sandbox-agent --once` (bind-mounted read-only
 * from the host), its stdin stays open for the agent's frames, and it carries no task's id, tool or
 * deadline (labels cannot be changed after creation; the executor tracks task -> container in memory).
 *
 * The key is that body itself, canonicalised, minus what differs between two containers made alike (the
 * name, the gate's refusal nonce, the pool's own labels), plus the image's id: so everything that shapes
 * a container is in the key by construction, including a field added to `buildCreateBody` later.
 */

/** Where the agent binary is bound inside pooled containers. */
export const SANDBOX_AGENT_TARGET = '/.baaaht/sandbox-agent';

const GATE_NONCE_ENV = 'BAAAHT_GATE_NONCE=';
/** Labels that name one task: never on a pooled container. */
const TASK_ONLY_LABELS: readonly string[] = [LABELS.taskId, LABELS.tool, LABELS.deadline];

export interface PoolKey {
  /** The canonical text (compared for equality). */
  text: string;
  /** 16 hex digits of its SHA-256 (the `org.baaaht.pool-key` label). */
  hash: string;
}

/** Times a pooled container is labelled with. */
export interface PoolContainerTimes {
  /** Epoch ms after which an unclaimed container is removed (the pool's idle timeout). */
  idleDeadlineMs: number;
  /** Epoch ms after which any reaper may remove it: the idle deadline plus the longest task timeout. */
  deadlineMs: number;
}

/** The body without anything per container, the shape two alike containers share. */
function shape(plan: ContainerPlan, agentPath: string, nonce: string): ContainerCreateBody {
  // The agent stays the call's parent: one process on top of the tool's limit (a fresh container has none).
  const limits = { ...plan, pidsLimit: plan.pidsLimit + SANDBOX_AGENT_PROCESSES };
  const body = buildCreateBody(limits, { argv: [SANDBOX_AGENT_TARGET, '--once'], stdin: '' }, '');
  for (const label of TASK_ONLY_LABELS) delete body.Labels[label];
  body.Env = body.Env.map((e) => (e.startsWith(GATE_NONCE_ENV) ? `${GATE_NONCE_ENV}${nonce}` : e));
  // After the task's own mounts: the agent, read-only, the way docker-init is provided.
  body.HostConfig.Mounts.push({ Type: 'bind', Source: agentPath, Target: SANDBOX_AGENT_TARGET, ReadOnly: true });
  return body;
}

/** JSON with object keys sorted, so two equal bodies always read the same. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object')
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return JSON.stringify(value) ?? 'null';
}

/** The pool key of a step's plan: containers with equal keys are interchangeable. */
export function poolKey(plan: ContainerPlan, agentPath: string, imageId: string | undefined): PoolKey {
  const key: Record<string, unknown> = { imageId: imageId ?? null, body: shape(plan, agentPath, '') };
  // The gVisor tier has no gate (whose environment names the judged identities): the mounts' identities
  // go in the key instead, so a container holding one inode never serves a call judged on another.
  if (plan.descriptorMounts !== undefined) key['descriptors'] = plan.descriptorMounts;
  const text = canonical(key);
  return { text, hash: createHash('sha256').update(text).digest('hex').slice(0, 16) };
}

/** The create body of one pooled container for `plan` (its gate gets a fresh nonce). */
export function pooledCreateBody(
  plan: ContainerPlan,
  agentPath: string,
  key: PoolKey,
  times: PoolContainerTimes,
  name: string,
): ContainerCreateBody {
  const body = shape(plan, agentPath, randomBytes(12).toString('hex'));
  body.name = name;
  Object.assign(body.Labels, {
    [LABELS.pool]: '1',
    [LABELS.poolKey]: key.hash,
    [LABELS.poolIdleDeadline]: String(Math.round(times.idleDeadlineMs)),
    [LABELS.deadline]: String(Math.round(times.deadlineMs)),
  });
  return body;
}
