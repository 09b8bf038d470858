import type { ToolCommand, ToolContext, ToolSpec } from '@baaaht/tool-specs';
import { EGRESS_PROXY_URL, NOBODY_USER, WORKSPACE_TARGET } from './container-config';
import type { ContainerPlan } from './container-config';
import type { ExecutorCatalog, ResolvedExecutorOptions } from './executor-options';
import { taskLabels } from './labels';
import type { OutputCaps } from './output-demux';
import type { RequestedResources } from './policy-enforcer';
import { errorOutcome, toolSpecOutcome } from './task-outcome';
import type { Outcome } from './task-outcome';
import type { TaskRequest } from './task-types';
import { randomHex } from './random-hex';
import { pinWorkspace } from './workspace-source';
import type { PinnedWorkspace } from './workspace-source';

/**
 * Plans a call from the request, the catalog and the options, before anything is judged or run: the
 * tool and its validated params, the timeout, the labels, the limits (each may only tighten), the
 * output caps, the workspace (opened and held, see workspace-source.ts) and the container plan. A bad
 * request comes back as an outcome, never as a throw.
 */

export interface TaskPlan {
  spec: ToolSpec;
  params: Record<string, unknown>;
  timeoutMs: number;
  sessionId: string | undefined;
  caps: OutputCaps;
  plan: ContainerPlan;
  /** The workspace held open while the task lives; the caller closes it. */
  workspace: PinnedWorkspace | undefined;
}

export interface PlanContext {
  catalog: ExecutorCatalog;
  options: ResolvedExecutorOptions;
  instanceId: string;
  version: string;
  now: number;
  imageFor(tool: string, catalogImage: string): string;
}

export function planTask(
  taskId: string,
  request: TaskRequest,
  { catalog, options, instanceId, version, now, imageFor }: PlanContext,
): { plan: TaskPlan } | { outcome: Outcome } {
  const tool = String(request.tool);
  const refuse = (...args: Parameters<typeof errorOutcome>): { outcome: Outcome } => ({
    outcome: errorOutcome(...args),
  });
  if (!catalog.has(tool)) return refuse('error', 'UNKNOWN_TOOL', `unknown tool '${tool}'`);
  const validation =
    request.params === undefined && request.args !== undefined
      ? catalog.validateArgs(tool, request.args)
      : catalog.validate(tool, request.params ?? {});
  if (!validation.ok) {
    const first = validation.errors[0]?.code;
    if (first === 'UNKNOWN_TOOL') return refuse('error', 'UNKNOWN_TOOL', validation.error.message);
    return refuse('error', 'INVALID_PARAMS', validation.error.message, first);
  }
  const params = validation.params;
  const spec = catalog.get(tool);

  // A call's own timeout parameter (exec's timeout_seconds) applies unless the request sets a shorter one.
  const own = spec.timeoutMsOf?.(params);
  const timeoutMs = own === undefined ? (request.timeoutMs ?? spec.timeoutMs) : Math.min(own, request.timeoutMs ?? own);
  if (!Number.isSafeInteger(timeoutMs) || timeoutMs <= 0 || timeoutMs > options.maxTimeoutMs) {
    return refuse(
      'error',
      'INVALID_REQUEST',
      `timeoutMs must be an integer from 1 to ${options.maxTimeoutMs} (got ${String(timeoutMs)})`,
    );
  }
  const sessionId = request.sessionId ?? options.sessionId;
  const labels = taskLabels(request.labels ?? {});
  if ('error' in labels) return refuse('error', 'INVALID_REQUEST', labels.error, 'INVALID_LABEL');
  const limits = request.limits ?? {};
  const asked = (value: number | undefined): value is number => typeof value === 'number' && value > 0;
  const tighten = (ours: number, theirs: number | undefined): number => (asked(theirs) ? Math.min(ours, theirs) : ours);
  const requested: RequestedResources = {};
  if (asked(limits.cpus)) requested.nanoCpus = Math.round(limits.cpus * 1e9);
  if (asked(limits.memoryBytes)) requested.memoryBytes = limits.memoryBytes;
  if (asked(limits.pidsLimit)) requested.pidsLimit = limits.pidsLimit;
  const caps: OutputCaps = {
    maxStdoutBytes: tighten(options.maxStdoutBytes, limits.maxStdoutBytes),
    maxStderrBytes: tighten(options.maxStderrBytes, limits.maxStderrBytes),
    maxOutputBytes: tighten(options.maxOutputBytes, limits.maxOutputBytes),
  };
  if (spec.outputCap === 'head-tail') caps.mode = 'head-tail';

  let workspace: PinnedWorkspace | undefined;
  let user = NOBODY_USER;
  if (spec.workspace !== 'none') {
    const ws = pinWorkspace(request.mountSource);
    if ('error' in ws) return refuse('error', 'INVALID_REQUEST', ws.error);
    workspace = ws;
    // Files the tool writes must belong to the workspace owner, and root is never the answer.
    if (ws.uid !== 0) user = `${ws.uid}:${ws.gid}`;
  }

  const plan: ContainerPlan = {
    workerId: options.workerId,
    instanceId,
    version,
    taskId,
    tool,
    image: imageFor(tool, spec.image),
    user,
    workspaceMode: spec.workspace === 'readwrite' ? 'readwrite' : 'readonly',
    cpus: tighten(spec.resources.cpus, limits.cpus),
    memoryBytes: tighten(spec.resources.memoryBytes, limits.memoryBytes),
    pidsLimit: tighten(spec.resources.pidsLimit, limits.pidsLimit),
    tmpfsBytes: options.tmpfsBytes,
    readOnlyRootfs: true,
    runtime: options.runtime,
    deadlineMs: now + timeoutMs,
    protectedPaths: options.protectedPaths,
    allowHardlinks: options.allowHardlinks,
  };
  if (sessionId !== undefined) plan.sessionId = sessionId;
  if (request.sessionId !== undefined) plan.runInSession = request.sessionId;
  if (Object.keys(labels.labels).length > 0) plan.taskLabels = labels.labels;
  if (Object.keys(requested).length > 0) plan.requested = requested;
  if (workspace !== undefined) {
    plan.workspaceSource = workspace.path;
    plan.pins = [{ target: WORKSPACE_TARGET, dev: workspace.dev, ino: workspace.ino }];
    plan.gateNonce = randomHex(12);
  }
  return { plan: { spec, params, timeoutMs, sessionId, caps, plan, workspace } };
}

/**
 * The tool's context and, for a single-command tool, its command: planned before queueing, so a bad
 * call fails without waiting for a slot. Multi-step tools (`run()`) plan their commands as they go.
 */
export function planCommands(
  spec: ToolSpec,
  params: Record<string, unknown>,
  plan: ContainerPlan,
  searchBackendUrl: string | undefined,
  network: ToolSpec['network'] = spec.network,
): { ctx: ToolContext; single: ToolCommand | undefined } | { outcome: Outcome } {
  const ctx: ToolContext = { workspaceDir: WORKSPACE_TARGET, allowHardlinks: plan.allowHardlinks };
  if (network === 'egress') ctx.egressProxy = EGRESS_PROXY_URL;
  if (searchBackendUrl !== undefined) ctx.searchBackendUrl = searchBackendUrl;
  if (spec.run !== undefined) return { ctx, single: undefined };
  try {
    return { ctx, single: spec.command(params, ctx) };
  } catch (err) {
    return { outcome: toolSpecOutcome(err, spec.name) };
  }
}
