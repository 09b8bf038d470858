import { randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createToolCatalog, isFsErrorCode, ToolSpecError } from '@baaaht/tool-specs';
import type { CommandResult, RunCommand, ToolCommand, ToolContext, ToolRunOutcome, ToolSpec } from '@baaaht/tool-specs';
import { sleep, systemClock } from './clock';
import type { Clock } from './clock';
import {
  applyEnforced,
  buildCreateBody,
  containerName,
  EGRESS_PROXY_URL,
  NOBODY_USER,
  toContainerRequest,
  WORKSPACE_TARGET,
} from './container-config';
import type { ContainerPlan } from './container-config';
import { createDockerClient } from './docker-client';
import type { DockerClient, ManagedContainer } from './docker-client';
import { startEgressSession } from './egress-session';
import type { EgressDecisionEvent } from './egress-proxy';
import { builtinEgressCheck } from './egress-rules';
import { dockerError, dockerStatus, ExecutorError } from './errors';
import type { ExecutorErrorCode } from './errors';
import { resolveExecutorOptions } from './executor-options';
import type { ExecutorCatalog, ExecutorOptions, ResolvedExecutorOptions } from './executor-options';
import { probeToolImages, toolPrograms } from './image-probe';
import type { ToolProbeResult } from './image-probe';
import { ImageResolver, imageNotFound } from './image-resolver';
import { InstanceRegistry } from './instance-registry';
import type { InstanceLease } from './instance-registry';
import { LABELS, taskLabels } from './labels';
import { quietLogger, shortId } from './logger';
import type { Logger } from './logger';
import { MetricsRecorder } from './metrics';
import type { ExecutorMetrics } from './metrics';
import { OutputCollector, StreamDemuxer } from './output-demux';
import type { OutputCaps } from './output-demux';
import type { PolicyEnforcer, RequestedResources } from './policy-enforcer';
import type { AttachStream } from './raw-attach';
import { Reaper } from './reaper';
import { Slots, SlotWaitAborted } from './slots';
import { TaskEventHub } from './task-events';
import type {
  LiveTaskInfo,
  StopMode,
  TaskError,
  TaskEvent,
  TaskRequest,
  TaskResult,
  TaskState,
  TaskStatus,
} from './task-types';
import { gateRefused, GATE_EXIT_CODE, mountPinSupport } from './mount-gate';
import { pinWorkspace } from './workspace-source';
import type { PinnedWorkspace } from './workspace-source';
import { engineMountDenial } from './engine-paths';
import { guardWorkspace } from './workspace-guards';
import { permissionDeniedMessage } from './permission-hint';

/**
 * Lifecycle: `running` (accepting tasks) -> `closing` (close() called: new tasks are refused, live ones
 * are cancelled) -> `closed` (every task finished and every container removal settled).
 */
export type ExecutorState = 'running' | 'closing' | 'closed';

type StopReason = 'cancelled' | 'timeout' | 'closed';

/** Internal: thrown through a task's steps once it has been stopped or OOM-killed. */
class TaskInterrupted extends Error {
  override name = 'TaskInterrupted';
}

interface LiveTask {
  id: string;
  tool: string;
  state: TaskState;
  startedAt: number;
  sessionId: string | null;
  controller: AbortController;
  stop?: { reason: StopReason; mode: StopMode; graceMs: number };
  /** Containers created and not yet known to have exited. */
  running: Set<string>;
  lastContainerId: string | null;
  oom: boolean;
  /** The workspace directory held open while the task lives (see workspace-source.ts). */
  workspace?: PinnedWorkspace;
  collectors: OutputCollector[];
  emit(event: TaskEvent): void;
  done: Promise<TaskResult>;
}

/** What a finished step left behind, before it becomes a TaskResult. */
interface Outcome {
  status: TaskStatus;
  exitCode: number | null;
  stdout: string;
  stderr: string;
  truncated: boolean;
  structured?: unknown;
  error?: TaskError;
}

const errorOutcome = (status: TaskStatus, code: ExecutorErrorCode, message: string, detail?: string): Outcome => ({
  status,
  exitCode: null,
  stdout: '',
  stderr: '',
  truncated: false,
  error: detail === undefined ? { code, message } : { code, message, detail },
});

/**
 * Exit codes above 128 mean a signal. The executor's own stops end as `cancelled` or `timeout`, so a
 * signal here came from elsewhere: the kernel, or the Docker daemon stopping its containers.
 */
function exitMessage(tool: string, exitCode: number): string {
  if (exitCode > 128 && exitCode < 160) {
    const signal =
      Object.entries(os.constants.signals).find(([, n]) => n === exitCode - 128)?.[0] ?? `signal ${exitCode - 128}`;
    return `${tool} was killed by ${signal} (exit code ${exitCode}), not by the worker: the Docker daemon or the host stopped it`;
  }
  return `${tool} exited with code ${exitCode}`;
}

/** A web tool failed after the egress proxy refused one of its connections: report the refusal, keep the output. */
function egressDeniedOutcome(outcome: Outcome, d: EgressDecisionEvent): Outcome {
  const target = `${d.address !== undefined && d.address !== d.host ? `${d.host} (${d.address})` : d.host}:${d.port}`;
  return {
    ...outcome,
    status: 'denied',
    error: { code: 'EGRESS_DENIED', message: `egress to ${target} refused by ${d.rule}: ${d.reason}`, detail: d.rule },
  };
}

/**
 * Runs validated tool calls in hardened, bounded Docker containers and always cleans up after them.
 * Create it with `createExecutor()`.
 */
export class Executor {
  private stateValue: ExecutorState = 'running';
  private readonly tasks = new Map<string, LiveTask>();
  private readonly removals = new Set<Promise<void>>();
  private readonly pendingRemoval = new Set<string>();
  private readonly images: ImageResolver;
  private readonly slots: Slots;
  private readonly starts: Slots;
  private readonly metricsRecorder = new MetricsRecorder();
  private readonly events_ = new TaskEventHub();
  private readonly reaper: Reaper;
  private reapTimer: unknown;
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly options: ResolvedExecutorOptions,
    private readonly docker: DockerClient,
    private readonly catalog: ExecutorCatalog,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly registry: InstanceRegistry,
    private readonly lease: InstanceLease,
  ) {
    this.slots = new Slots(options.maxConcurrentTasks, options.maxQueuedTasks);
    this.starts = new Slots(options.maxConcurrentStarts);
    this.images = new ImageResolver(docker, options.pullPolicy, logger);
    this.reaper = new Reaper({
      docker,
      workerId: options.workerId,
      instanceId: lease.instanceId,
      liveness: (id) => registry.liveness(id),
      marginMs: options.reapMarginMs,
      clock,
      logger,
      isLive: (c) => this.owns(c),
      onReaped: () => this.metricsRecorder.containerReaped(),
      afterPass: (referenced) => registry.prune(referenced),
    });
  }

  /**
   * Connects to Docker, refuses a runtime the engine does not have (`RUNTIME_UNAVAILABLE`), removes this
   * worker's orphans (the start-up reap), and starts the periodic reaper.
   */
  static async create(options: ExecutorOptions = {}): Promise<Executor> {
    const resolved = resolveExecutorOptions(options);
    const logger = resolved.logger ?? quietLogger;
    const docker = resolved.docker ?? createDockerClient({ env: resolved.env });
    let runtimes: string[];
    try {
      runtimes = await docker.runtimes();
    } catch (err) {
      throw dockerError('cannot reach the Docker engine (docker info)', err);
    }
    if (!runtimes.includes(resolved.runtime)) {
      throw new ExecutorError(
        'RUNTIME_UNAVAILABLE',
        `OCI runtime '${resolved.runtime}' is not available on this Docker engine (it has: ${runtimes.join(', ') || 'none'}); ` +
          'install and register it with dockerd, or choose another runtime. The executor never falls back to a weaker one.',
      );
    }
    const registry = InstanceRegistry.open(resolved.instanceDir);
    const workerId = claimWorkerId(registry, resolved, logger);
    const lease = registry.acquire(workerId, resolved.version ?? packageVersion());
    const executor = new Executor(
      { ...resolved, workerId },
      docker,
      resolved.catalog ?? createToolCatalog(),
      resolved.clock ?? systemClock,
      logger,
      registry,
      lease,
    );
    const reaped = await executor.reaper.reapOnce();
    logger.info('executor ready', {
      component: 'executor',
      workerId,
      instanceId: lease.instanceId,
      runtime: resolved.runtime,
      reaped,
    });
    executor.scheduleReap();
    return executor;
  }

  get state(): ExecutorState {
    return this.stateValue;
  }

  /** The worker id this instance labels its containers with (with `workerIdConflict: 'suffix'`, maybe `<id>-2`). */
  get workerId(): string {
    return this.options.workerId;
  }

  /** This instance's id (`org.baaaht.instance-id`), unique per executor object. */
  get instanceId(): string {
    return this.lease.instanceId;
  }

  /** Lifecycle state of a live task, or undefined once it is done (or was never seen). */
  taskState(taskId: string): TaskState | undefined {
    return this.tasks.get(taskId)?.state;
  }

  /** The tasks live now (queued, starting, running or stopping), oldest first; cheap enough per status request. */
  liveTasks(): LiveTaskInfo[] {
    const out: LiveTaskInfo[] = [];
    for (const task of this.tasks.values()) {
      if (task.state === 'done') continue;
      out.push({
        taskId: task.id,
        tool: task.tool,
        state: task.state,
        startedAt: task.startedAt,
        containerId: task.lastContainerId,
        sessionId: task.sessionId,
      });
    }
    return out.sort((a, b) => a.startedAt - b.startedAt);
  }

  metrics(): ExecutorMetrics {
    return this.metricsRecorder.snapshot(this.slots.active, this.slots.queued);
  }

  /**
   * The events of one task as they happen, ending after `exited`. May be called before `executeTask`
   * with the caller's task id. Events are buffered until read; stop reading with `return()`.
   */
  events(taskId: string): AsyncIterableIterator<TaskEvent> {
    return this.events_.subscribe(taskId);
  }

  /** Runs one tool call. Never rejects for task-level problems: the result's `status` and `error` say what happened. */
  async executeTask(request: TaskRequest): Promise<TaskResult> {
    const startedAt = this.clock.now();
    const taskId = request.taskId ?? randomUUID();
    const tool = String(request.tool);
    const log = (level: keyof Logger, message: string, meta: Record<string, unknown> = {}): void =>
      this.logger[level](message, { component: 'executor', taskId, tool, ...meta });
    // Until the task is registered its id may belong to another live task, whose subscribers must not see our events.
    let registered = false;
    const emit = (event: TaskEvent): void => {
      try {
        request.onEvent?.(event);
      } catch (err) {
        log('warn', 'onEvent callback threw', { error: String(err) });
      }
      if (registered) this.events_.publish(event);
    };
    const finish = (task: LiveTask | undefined, outcome: Outcome): TaskResult => {
      const dropped = (task?.collectors ?? []).reduce(
        (acc, c) => ({ stdout: acc.stdout + c.dropped.stdout, stderr: acc.stderr + c.dropped.stderr }),
        { stdout: 0, stderr: 0 },
      );
      const result: TaskResult = {
        taskId,
        tool,
        status: outcome.status,
        exitCode: outcome.exitCode,
        stdout: outcome.stdout,
        stderr: outcome.stderr,
        truncated: outcome.truncated || dropped.stdout + dropped.stderr > 0,
        stdoutDroppedBytes: dropped.stdout,
        stderrDroppedBytes: dropped.stderr,
        durationMs: this.clock.now() - startedAt,
        containerId: task?.lastContainerId ?? null,
      };
      if (outcome.structured !== undefined) result.structured = outcome.structured;
      if (task?.stop !== undefined) result.stopMode = task.stop.mode;
      if (outcome.error !== undefined) result.error = outcome.error;
      this.metricsRecorder.task(result.status);
      log(result.status === 'completed' ? 'debug' : 'info', `task ${result.status}`, {
        status: result.status,
        code: result.error?.code,
        durationMs: result.durationMs,
      });
      emit({ type: 'exited', taskId, tool, exitCode: result.exitCode, status: result.status });
      return result;
    };

    if (this.stateValue !== 'running')
      return finish(undefined, errorOutcome('error', 'EXECUTOR_CLOSED', 'the executor is closed'));
    if (this.tasks.has(taskId))
      return finish(
        undefined,
        errorOutcome('error', 'INVALID_REQUEST', `task id '${taskId}' is already in use by a live task`),
      );

    const controller = new AbortController();
    let resolveDone!: (r: TaskResult) => void;
    const task: LiveTask = {
      id: taskId,
      tool,
      state: 'queued',
      startedAt,
      sessionId: request.sessionId ?? this.options.sessionId ?? null,
      controller,
      running: new Set(),
      lastContainerId: null,
      oom: false,
      collectors: [],
      emit,
      done: new Promise((r) => (resolveDone = r)),
    };
    this.tasks.set(taskId, task);
    registered = true;
    const onCallerAbort = (): void => this.stopTask(task, 'cancelled', 'graceful', this.options.gracePeriodMs);
    if (request.signal?.aborted) onCallerAbort();
    else request.signal?.addEventListener('abort', onCallerAbort, { once: true });
    let result: TaskResult;
    try {
      result = finish(task, await this.runTask(task, request));
    } catch (err) {
      // runTask maps every expected failure; anything reaching here is a bug, still reported as a result.
      log('error', 'executor bug: task failed unexpectedly', { error: err instanceof Error ? err.stack : String(err) });
      result = finish(task, errorOutcome('error', 'INTERNAL', err instanceof Error ? err.message : String(err)));
    } finally {
      request.signal?.removeEventListener('abort', onCallerAbort);
      task.workspace?.close();
      task.state = 'done';
      this.tasks.delete(taskId);
    }
    resolveDone(result);
    return result;
  }

  /**
   * Stops a task by id, whether queued, being created or running. Graceful: SIGTERM, then SIGKILL after
   * `gracePeriodMs`; force: SIGKILL at once. Returns false when no live task has that id.
   */
  cancelTask(taskId: string, options: { force?: boolean } = {}): boolean {
    const task = this.tasks.get(taskId);
    if (task === undefined) return false;
    this.stopTask(task, 'cancelled', options.force === true ? 'force' : 'graceful', this.options.gracePeriodMs);
    return true;
  }

  /** Runs one reaper pass now; resolves with the number of containers removed. */
  reap(): Promise<number> {
    return this.reaper.reapOnce();
  }

  /** Resolves once every background container removal started so far has settled. */
  async idle(): Promise<void> {
    while (this.removals.size > 0) await Promise.allSettled([...this.removals]);
  }

  /** Cancels every live task (gracefully unless `force`), waits for their cleanup, stops the reaper. Idempotent. */
  close(options: { force?: boolean } = {}): Promise<void> {
    this.closing ??= (async () => {
      this.stateValue = 'closing';
      if (this.reapTimer !== undefined) this.clock.clearTimeout(this.reapTimer);
      const live = [...this.tasks.values()];
      for (const task of live)
        this.stopTask(task, 'closed', options.force === true ? 'force' : 'graceful', this.options.gracePeriodMs);
      await Promise.allSettled(live.map((t) => t.done));
      await this.idle();
      this.events_.closeAll();
      this.registry.release(this.lease.instanceId);
      this.stateValue = 'closed';
      this.logger.info('executor closed', { component: 'executor', workerId: this.options.workerId });
    })();
    return this.closing;
  }

  // --- internals -------------------------------------------------------------------------------

  private scheduleReap(): void {
    if (this.options.reapIntervalMs === 0 || this.stateValue !== 'running') return;
    this.reapTimer = this.clock.setTimeout(() => {
      void this.reaper.reapOnce().finally(() => this.scheduleReap());
    }, this.options.reapIntervalMs);
  }

  /**
   * Checks each tool's image once (distinct images in parallel, each bounded by `timeoutMs`): present, or
   * pulled on first use, and holding every program the tool and the executor's own scripts call. Probe
   * containers carry this instance's labels and are removed before this resolves. Never throws.
   */
  probeTools(tools: readonly string[], options: { timeoutMs?: number } = {}): Promise<ToolProbeResult[]> {
    const needs = tools
      .filter((tool) => this.catalog.has(tool))
      .map((tool) => {
        const spec = this.catalog.get(tool);
        return { tool, image: this.imageFor(tool, spec.image), programs: toolPrograms(spec, this.options.runtime) };
      });
    return probeToolImages({
      docker: this.docker,
      tools: needs,
      pullPolicy: this.options.pullPolicy,
      runtime: this.options.runtime,
      workerId: this.options.workerId,
      instanceId: this.lease.instanceId,
      version: this.lease.version,
      logger: this.logger,
      ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
      onContainer: (id, phase) => {
        if (phase === 'created') this.pendingRemoval.add(id);
        else this.pendingRemoval.delete(id);
      },
    });
  }

  private imageFor(tool: string, catalogImage: string): string {
    return this.options.imageOverrides[tool] ?? this.options.imageOverrides['*'] ?? catalogImage;
  }

  /** True while this process still has a use for the container (its task is live, or we are removing it). */
  private owns(c: ManagedContainer): boolean {
    if (this.pendingRemoval.has(c.id)) return true;
    const task = this.tasks.get(c.labels[LABELS.taskId] ?? '');
    return task !== undefined;
  }

  private stopTask(task: LiveTask, reason: StopReason, mode: StopMode, graceMs: number): void {
    if (task.state === 'done') return;
    if (task.stop !== undefined && !(mode === 'force' && task.stop.mode === 'graceful')) return;
    task.stop = { reason: task.stop?.reason ?? reason, mode, graceMs };
    if (task.state !== 'queued') task.state = 'stopping';
    this.logger.info('stopping task', {
      component: 'executor',
      taskId: task.id,
      tool: task.tool,
      reason: task.stop.reason,
      mode,
    });
    task.controller.abort();
    for (const id of task.running) void this.stopContainer(task, id);
  }

  /** Signals a container per the task's stop mode; never throws. */
  private async stopContainer(task: LiveTask, id: string): Promise<void> {
    const stop = task.stop;
    if (stop === undefined) return;
    const meta = { component: 'executor', taskId: task.id, tool: task.tool, containerId: shortId(id), mode: stop.mode };
    try {
      if (stop.mode === 'force' || stop.graceMs === 0) {
        await this.docker.killContainer(id, 'SIGKILL');
        return;
      }
      await this.docker.killContainer(id, 'SIGTERM');
      await sleep(this.clock, stop.graceMs);
      if (task.running.has(id)) {
        this.logger.debug('grace period over, sending SIGKILL', meta);
        await this.docker.killContainer(id, 'SIGKILL');
      }
    } catch (err) {
      this.logger.warn('could not signal container', { ...meta, error: String(err) });
    }
  }

  private async runTask(task: LiveTask, request: TaskRequest): Promise<Outcome> {
    const { catalog, options } = this;
    const tool = task.tool;
    if (!catalog.has(tool)) return errorOutcome('error', 'UNKNOWN_TOOL', `unknown tool '${tool}'`);
    const validation =
      request.params === undefined && request.args !== undefined
        ? catalog.validateArgs(tool, request.args)
        : catalog.validate(tool, request.params ?? {});
    if (!validation.ok) {
      const first = validation.errors[0]?.code;
      if (first === 'UNKNOWN_TOOL') return errorOutcome('error', 'UNKNOWN_TOOL', validation.error.message);
      return errorOutcome('error', 'INVALID_PARAMS', validation.error.message, first);
    }
    const params = validation.params;
    const spec = catalog.get(tool);

    const timeoutMs = request.timeoutMs ?? spec.timeoutMs;
    if (!Number.isSafeInteger(timeoutMs) || timeoutMs <= 0 || timeoutMs > options.maxTimeoutMs) {
      return errorOutcome(
        'error',
        'INVALID_REQUEST',
        `timeoutMs must be an integer from 1 to ${options.maxTimeoutMs} (got ${String(timeoutMs)})`,
      );
    }
    const sessionId = request.sessionId ?? options.sessionId;
    const labels = taskLabels(request.labels ?? {});
    if ('error' in labels) return errorOutcome('error', 'INVALID_REQUEST', labels.error, 'INVALID_LABEL');
    const limits = request.limits ?? {};
    const asked = (value: number | undefined): value is number => typeof value === 'number' && value > 0;
    const tighten = (ours: number, theirs: number | undefined): number =>
      asked(theirs) ? Math.min(ours, theirs) : ours;
    const requested: RequestedResources = {};
    if (asked(limits.cpus)) requested.nanoCpus = Math.round(limits.cpus * 1e9);
    if (asked(limits.memoryBytes)) requested.memoryBytes = limits.memoryBytes;
    if (asked(limits.pidsLimit)) requested.pidsLimit = limits.pidsLimit;
    const caps: OutputCaps = {
      maxStdoutBytes: tighten(options.maxStdoutBytes, limits.maxStdoutBytes),
      maxStderrBytes: tighten(options.maxStderrBytes, limits.maxStderrBytes),
      maxOutputBytes: tighten(options.maxOutputBytes, limits.maxOutputBytes),
    };

    let workspaceSource: string | undefined;
    let user = NOBODY_USER;
    if (spec.workspace !== 'none') {
      if (mountPinSupport(options.runtime) === 'unsupported')
        return errorOutcome(
          'error',
          'MOUNT_PIN_UNAVAILABLE',
          `${tool} mounts a workspace, and runtime '${options.runtime}' hides host inode numbers from the ` +
            'mount identity gate, so the mount cannot be proven to be the directory the policy judged; ' +
            'run file tools with runc (web tools may use any runtime)',
        );
      const ws = pinWorkspace(request.mountSource);
      if ('error' in ws) return errorOutcome('error', 'INVALID_REQUEST', ws.error);
      task.workspace = ws;
      workspaceSource = ws.path;
      // Files the tool writes must belong to the workspace owner, and root is never the answer.
      if (ws.uid !== 0) user = `${ws.uid}:${ws.gid}`;
    }

    let plan: ContainerPlan = {
      workerId: options.workerId,
      instanceId: this.lease.instanceId,
      version: this.lease.version,
      taskId: task.id,
      tool,
      image: this.imageFor(tool, spec.image),
      user,
      workspaceMode: spec.workspace === 'readwrite' ? 'readwrite' : 'readonly',
      cpus: tighten(spec.resources.cpus, limits.cpus),
      memoryBytes: tighten(spec.resources.memoryBytes, limits.memoryBytes),
      pidsLimit: tighten(spec.resources.pidsLimit, limits.pidsLimit),
      tmpfsBytes: options.tmpfsBytes,
      readOnlyRootfs: true,
      runtime: options.runtime,
      deadlineMs: this.clock.now() + timeoutMs,
      protectedPaths: options.protectedPaths,
      allowHardlinks: options.allowHardlinks,
    };
    if (sessionId !== undefined) plan.sessionId = sessionId;
    if (Object.keys(labels.labels).length > 0) plan.taskLabels = labels.labels;
    if (Object.keys(requested).length > 0) plan.requested = requested;
    if (workspaceSource !== undefined && task.workspace !== undefined) {
      plan.workspaceSource = workspaceSource;
      plan.pins = [{ target: WORKSPACE_TARGET, dev: task.workspace.dev, ino: task.workspace.ino }];
      plan.gateNonce = randomBytes(12).toString('hex');
    }

    // The task keeps the policy it started with, even if the enforcer is reloaded meanwhile.
    const policy = options.policy?.snapshot?.() ?? options.policy;
    if (policy !== undefined) {
      const denied = await this.enforcePolicy(policy, plan, spec, (p) => (plan = p));
      if (denied !== undefined) return denied;
    }
    // The executor's floor, after the policy (so its audit sees the request) and whether or not there is one.
    const engineDenial =
      plan.workspaceSource === undefined ? undefined : engineMountDenial(plan.workspaceSource, options.env);
    if (engineDenial !== undefined)
      return errorOutcome('denied', 'POLICY_DENIED', engineDenial, 'executor.always_denied');

    // Protected paths and hard links are judged on the host, after the policy had its say, before any container.
    const guarded = guardWorkspace(spec, params, plan);
    if ('refusal' in guarded) {
      const { code, message, detail } = guarded.refusal;
      return errorOutcome('denied', code, message, detail);
    }
    if ('failure' in guarded) return errorOutcome('failed', guarded.failure.code, guarded.failure.message);
    plan = guarded.plan;
    // The nested read-only binds are gated like the workspace: each must be the inode that was judged.
    for (const m of plan.protectedMounts ?? []) plan.pins?.push({ target: m.target, dev: m.dev, ino: m.ino });

    const ctx: ToolContext = { workspaceDir: WORKSPACE_TARGET, allowHardlinks: plan.allowHardlinks };
    if (spec.network === 'egress') ctx.egressProxy = EGRESS_PROXY_URL;
    if (options.searchBackendUrl !== undefined) ctx.searchBackendUrl = options.searchBackendUrl;
    // Single-command tools are planned before queueing, so a bad call fails without waiting for a slot.
    let single: ToolCommand | undefined;
    if (spec.run === undefined) {
      try {
        single = spec.command(params, ctx);
      } catch (err) {
        return toolSpecOutcome(err, tool);
      }
    }

    if (task.stop !== undefined) return this.stoppedOutcome(task);
    let release: () => void;
    try {
      task.emit({ type: 'queued', taskId: task.id, tool });
      release = await this.slots.acquire(task.controller.signal);
    } catch (err) {
      if (err instanceof SlotWaitAborted) return this.stoppedOutcome(task);
      if (err instanceof ExecutorError) return errorOutcome('error', err.code, err.message);
      throw err;
    }
    task.state = 'starting';
    plan.deadlineMs = this.clock.now() + timeoutMs;
    const timer = this.clock.setTimeout(
      () => this.stopTask(task, 'timeout', 'graceful', options.timeoutGracePeriodMs),
      timeoutMs,
    );
    let proxy: { close(): Promise<void> } | undefined;
    // The first connection the egress proxy refused: a web tool that then fails was denied, not broken.
    let egressDenial: EgressDecisionEvent | undefined;
    const finish = (outcome: Outcome): Outcome =>
      egressDenial !== undefined && outcome.status === 'failed' ? egressDeniedOutcome(outcome, egressDenial) : outcome;
    try {
      await this.images.ensure(plan.image, { taskId: task.id, tool, signal: task.controller.signal });
      if (spec.network === 'egress') {
        const egress = await startEgressSession({
          root: options.egressSocketRoot,
          check: policy?.checkEgress !== undefined ? policy.checkEgress.bind(policy) : builtinEgressCheck,
          context: sessionId === undefined ? { taskId: task.id, tool } : { taskId: task.id, tool, sessionId },
          logger: this.logger,
          onDecision: (d) => {
            this.metricsRecorder.egress(d.allowed);
            egressDenial ??= d.allowed ? undefined : d;
          },
        });
        proxy = egress;
        plan.egressDir = egress.dir;
      }
      let step = 0;
      const exec: RunCommand = (command) => this.runCommand(task, plan, command, caps, step++);
      if (single !== undefined) {
        const r = await exec(single);
        const ok = (single.successExitCodes ?? [0]).includes(r.exitCode);
        return finish(this.completeOutcome(spec, params, plan, r, ok));
      }
      const outcome: ToolRunOutcome = await (spec.run as NonNullable<ToolSpec['run']>)(params, ctx, exec);
      const ok = outcome.error === undefined && outcome.exitCode === 0;
      return finish(this.completeOutcome(spec, params, plan, outcome, ok));
    } catch (err) {
      // Whatever was thrown mid-step (an aborted pull, a killed container), a stop or OOM decides the status.
      if (task.stop !== undefined) return this.stoppedOutcome(task);
      if (task.oom) return this.oomOutcome(task);
      if (err instanceof ExecutorError)
        return errorOutcome(err.code === 'WORKSPACE_CHANGED' ? 'denied' : 'error', err.code, err.message, err.detail);
      if (err instanceof ToolSpecError) return toolSpecOutcome(err, tool);
      throw err;
    } finally {
      this.clock.clearTimeout(timer);
      release();
      await proxy?.close();
    }
  }

  private async enforcePolicy(
    policy: PolicyEnforcer,
    plan: ContainerPlan,
    spec: ToolSpec,
    set: (p: ContainerPlan) => void,
  ): Promise<Outcome | undefined> {
    const request = toContainerRequest(plan, spec.network);
    try {
      const enforced = await policy.enforce(request);
      if (spec.network === 'egress' && enforced.network === 'none') {
        return errorOutcome('denied', 'POLICY_DENIED', `policy removed network egress, which ${spec.name} needs`);
      }
      set(applyEnforced(plan, enforced));
      return undefined;
    } catch (err) {
      const code = (err as { code?: unknown } | null)?.code;
      const message = err instanceof Error ? err.message : String(err);
      if (code === 'POLICY_DENIED') {
        const violations = (err as { violations?: unknown }).violations;
        const rule = Array.isArray(violations)
          ? violations.map((v) => (v as { rule?: unknown })?.rule).find((r) => typeof r === 'string')
          : undefined;
        return errorOutcome('denied', 'POLICY_DENIED', message, typeof rule === 'string' ? rule : undefined);
      }
      // A policy that cannot decide must not let the container through.
      this.logger.error('policy enforcer failed; refusing the task', {
        component: 'executor',
        taskId: plan.taskId,
        tool: plan.tool,
        error: message,
      });
      return errorOutcome('denied', 'POLICY_DENIED', `policy check failed: ${message}`, 'POLICY_ERROR');
    }
  }

  private completeOutcome(
    spec: ToolSpec,
    params: Record<string, unknown>,
    plan: ContainerPlan,
    r: ToolRunOutcome,
    ok: boolean,
  ): Outcome {
    const base = { exitCode: r.exitCode, stdout: r.stdout, stderr: r.stderr, truncated: r.truncated };
    if (!ok) {
      const toolError = r.error;
      // A file-system condition the model can act on is the result's own code, whichever tool met it.
      if (toolError !== undefined && isFsErrorCode(toolError.code)) {
        const message =
          toolError.code === 'PERMISSION_DENIED'
            ? permissionDeniedMessage(toolError.message, plan.user, this.tasks.get(plan.taskId)?.workspace?.uid)
            : toolError.message;
        return { ...base, status: 'failed', error: { code: toolError.code, message } };
      }
      const message = toolError?.message ?? exitMessage(spec.name, r.exitCode);
      return {
        ...base,
        status: 'failed',
        error:
          toolError === undefined
            ? { code: 'TOOL_FAILED', message }
            : { code: 'TOOL_FAILED', message, detail: toolError.code },
      };
    }
    // run() may have parsed its raw output already; its stdout is then post-processed, not parseOutput's input.
    if (r.structured !== undefined) return { ...base, status: 'completed', structured: r.structured };
    if (spec.parseOutput === undefined) return { ...base, status: 'completed' };
    try {
      return { ...base, status: 'completed', structured: spec.parseOutput(r, params) };
    } catch (err) {
      const e = ToolSpecError.fromUnknown(err, spec.name);
      return { ...base, status: 'failed', error: { code: 'TOOL_FAILED', message: e.message, detail: e.code } };
    }
  }

  private partialOutput(task: LiveTask): Pick<Outcome, 'stdout' | 'stderr' | 'truncated'> {
    const last = task.collectors[task.collectors.length - 1];
    return {
      stdout: last?.text('stdout') ?? '',
      stderr: last?.text('stderr') ?? '',
      truncated: last?.truncated ?? false,
    };
  }

  private stoppedOutcome(task: LiveTask): Outcome {
    const stop = task.stop as NonNullable<LiveTask['stop']>;
    const out = this.partialOutput(task);
    if (stop.reason === 'timeout')
      return {
        ...out,
        status: 'timeout',
        exitCode: null,
        error: { code: 'TIMEOUT', message: `${task.tool} timed out` },
      };
    if (stop.reason === 'closed')
      return {
        ...out,
        status: 'cancelled',
        exitCode: null,
        error: { code: 'EXECUTOR_CLOSED', message: 'the executor was closed while the task was live' },
      };
    return {
      ...out,
      status: 'cancelled',
      exitCode: null,
      error: { code: 'CANCELLED', message: `${task.tool} was cancelled (${stop.mode})` },
    };
  }

  private oomOutcome(task: LiveTask): Outcome {
    return {
      ...this.partialOutput(task),
      status: 'oom',
      exitCode: null,
      error: { code: 'OOM', message: `${task.tool} exceeded its memory limit and was killed` },
    };
  }

  /** One command in one fresh container: create, attach, start, stream, wait, inspect, then remove in the background. */
  private async runCommand(
    task: LiveTask,
    plan: ContainerPlan,
    command: ToolCommand,
    caps: OutputCaps,
    step: number,
  ): Promise<CommandResult> {
    const signal = task.controller.signal;
    if (signal.aborted) throw new TaskInterrupted('stopped');
    const meta = { component: 'executor', taskId: task.id, tool: task.tool, step };
    const releaseStart = await this.starts.acquire(signal).catch((err: unknown) => {
      throw err instanceof SlotWaitAborted ? new TaskInterrupted('stopped') : err;
    });
    const collector = new OutputCollector(caps);
    task.collectors.push(collector);
    let id: string;
    let stream: AttachStream | undefined;
    const demux = new StreamDemuxer((which, chunk) => {
      const kept = collector.accept(which, chunk);
      if (kept !== undefined) task.emit({ type: which, taskId: task.id, chunk: kept });
    });
    try {
      const body = buildCreateBody(plan, command, containerName(task.tool, task.id, randomBytes(3).toString('hex')));
      this.logger.debug('creating container', { ...meta, image: plan.image });
      try {
        id = await this.docker.createContainer(body);
      } catch (err) {
        if (dockerStatus(err) === 404) {
          this.images.forget(plan.image);
          throw imageNotFound(task.tool, plan.image, 'the engine reports it missing', err);
        }
        throw dockerError('creating container', err, { taskId: task.id, tool: task.tool });
      }
      this.metricsRecorder.containerCreated();
      task.running.add(id);
      task.lastContainerId = id;
      this.logger.debug('created container', { ...meta, containerId: shortId(id) });
      try {
        if (signal.aborted) throw new TaskInterrupted('stopped before start');
        stream = await this.docker.attachContainer(id, {
          stdin: command.stdin !== undefined,
          onData: (chunk) => demux.push(chunk),
        });
        if (signal.aborted) throw new TaskInterrupted('stopped before start');
        await this.docker.startContainer(id);
      } catch (err) {
        stream?.destroy();
        task.running.delete(id);
        // Nothing ran yet: remove before reporting, so a cancel during creation leaves no container behind.
        await this.removeContainer(id, task);
        if (err instanceof TaskInterrupted) throw err;
        throw dockerError('starting container', err, { taskId: task.id, tool: task.tool, containerId: id });
      }
    } finally {
      releaseStart();
    }
    task.state = 'running';
    task.emit({ type: 'started', taskId: task.id, tool: task.tool, containerId: id, step });
    this.logger.debug('started container', { ...meta, containerId: shortId(id) });
    // A stop that arrived while the container was starting found nothing running to signal.
    if (signal.aborted) void this.stopContainer(task, id);

    const live = stream as AttachStream;
    if (command.stdin !== undefined)
      live.endStdin(
        typeof command.stdin === 'string' ? Buffer.from(command.stdin, 'utf8') : Buffer.from(command.stdin),
      );

    let exitCode: number;
    let oomKilled = false;
    try {
      const waited = await this.docker.waitContainer(id);
      // The attach stream ends right after the process; bound the wait in case the engine keeps it open.
      await Promise.race([live.ended, sleep(this.clock, 2000)]);
      const state = await this.docker.inspectContainer(id);
      exitCode = Number.isInteger(state.exitCode) ? state.exitCode : waited;
      oomKilled = state.oomKilled;
    } catch (err) {
      throw dockerError('waiting for container', err, { taskId: task.id, tool: task.tool, containerId: id });
    } finally {
      live.destroy();
      task.running.delete(id);
      this.scheduleRemoval(id, task);
    }
    this.logger.debug('container exited', { ...meta, containerId: shortId(id), exitCode, oomKilled });
    if (task.stop !== undefined) throw new TaskInterrupted('stopped');
    if (oomKilled) {
      task.oom = true;
      throw new TaskInterrupted('oom');
    }
    if (exitCode === GATE_EXIT_CODE && gateRefused(exitCode, collector.text('stderr'), plan.gateNonce ?? '')) {
      this.logger.warn('mount identity gate refused: the mount source changed after the policy check', {
        ...meta,
        containerId: shortId(id),
        source: plan.workspaceSource,
      });
      throw new ExecutorError(
        'WORKSPACE_CHANGED',
        `the workspace '${plan.workspaceSource ?? ''}' was replaced between the policy check and the container start ` +
          '(a path component was renamed or swapped for a symlink); the tool did not run',
        { taskId: task.id, tool: task.tool, containerId: id },
      );
    }
    return {
      exitCode,
      stdout: collector.text('stdout'),
      stderr: collector.text('stderr'),
      truncated: collector.truncated,
    };
  }

  private async removeContainer(id: string, task: LiveTask): Promise<void> {
    this.pendingRemoval.add(id);
    try {
      await this.docker.removeContainer(id);
      this.metricsRecorder.containerRemoved();
      this.logger.debug('removed container', {
        component: 'executor',
        taskId: task.id,
        tool: task.tool,
        containerId: shortId(id),
      });
    } catch (err) {
      // The reaper retries: the container carries this worker's id and no live task owns it.
      this.logger.warn('could not remove container; the reaper will retry', {
        component: 'executor',
        taskId: task.id,
        containerId: shortId(id),
        error: String(err),
      });
    } finally {
      this.pendingRemoval.delete(id);
    }
  }

  /** Removal is off the result's critical path, but tracked so close() and idle() wait for it. */
  private scheduleRemoval(id: string, task: LiveTask): void {
    this.pendingRemoval.add(id);
    const p = this.removeContainer(id, task).finally(() => this.removals.delete(p));
    this.removals.add(p);
  }
}

function toolSpecOutcome(err: unknown, tool: string): Outcome {
  const e = ToolSpecError.fromUnknown(err, tool);
  const code: ExecutorErrorCode =
    e.code === 'INVALID_PARAMS' || e.code === 'INVALID_PATH'
      ? 'INVALID_PARAMS'
      : e.code === 'INTERNAL'
        ? 'INTERNAL'
        : 'INVALID_REQUEST';
  return errorOutcome('error', code, e.message, e.code);
}

/** Applies `workerIdConflict` when a live instance on this host already holds the worker id. */
function claimWorkerId(registry: InstanceRegistry, options: ResolvedExecutorOptions, logger: Logger): string {
  const base = options.workerId;
  const holders = registry.liveHolders(base);
  if (holders.length === 0) return base;
  const holder = holders[0] as InstanceLease;
  const held = `worker id '${base}' is held by live instance ${holder.instanceId} (pid ${holder.pid})`;
  if (options.workerIdConflict === 'refuse')
    throw new ExecutorError('WORKER_ID_IN_USE', `${held}; choose another name (--name) or stop that worker`);
  if (options.workerIdConflict === 'share') {
    logger.warn(`${held}; sharing it (each instance reaps only its own containers)`, { component: 'executor' });
    return base;
  }
  for (let n = 2; ; n++) {
    const candidate = `${base}-${n}`;
    if (registry.liveHolders(candidate).length === 0) {
      logger.info(`${held}; this instance takes '${candidate}'`, { component: 'executor', workerId: candidate });
      return candidate;
    }
  }
}

let cachedVersion: string | undefined;
function packageVersion(): string {
  if (cachedVersion === undefined) {
    try {
      const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8')) as {
        version?: string;
      };
      cachedVersion = pkg.version ?? '0.0.0';
    } catch {
      cachedVersion = '0.0.0';
    }
  }
  return cachedVersion;
}

/** Creates an executor (the seed's NewExecutor); see `Executor.create`. */
export function createExecutor(options: ExecutorOptions = {}): Promise<Executor> {
  return Executor.create(options);
}
