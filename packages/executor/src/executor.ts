import { randomUUID } from 'node:crypto';
import { createToolCatalog } from '@baaaht/tool-specs';
import { systemClock } from './clock';
import type { Clock } from './clock';
import { createDockerClient } from './docker-client';
import type { DockerClient, ManagedContainer } from './docker-client';
import { dockerError, ExecutorError } from './errors';
import { resolveExecutorOptions } from './executor-options';
import type { ExecutorCatalog, ExecutorOptions, ResolvedExecutorOptions } from './executor-options';
import { probeToolImages, toolPrograms } from './image-probe';
import type { ToolProbeResult } from './image-probe';
import { ImageResolver } from './image-resolver';
import { InstanceRegistry } from './instance-registry';
import type { InstanceLease } from './instance-registry';
import { LABELS } from './labels';
import { quietLogger } from './logger';
import type { Logger } from './logger';
import { MetricsRecorder, UNKNOWN_TOOL_LABEL } from './metrics';
import type { ExecutorMetrics } from './metrics';
import { Reaper } from './reaper';
import { DescriptorVolumes, usesDescriptorMounts } from './descriptor-mounts';
import { prewarmSession } from './session-prewarm';
import type { SessionPrewarmRequest } from './session-prewarm';
import { SessionRuntime } from './session-runtime';
import type { SessionInfo } from './session-runtime';
import { defaultRuntimeFactory } from './runtime-factory';
import { EngineRuntimes, runtimeUnavailableMessage } from './engine-runtimes';
import { Slots } from './slots';
import type { StepRuntime } from './step-runtime';
import { TaskEventHub } from './task-events';
import { errorOutcome, toTaskResult } from './task-outcome';
import type { Outcome } from './task-outcome';
import { TaskRunner } from './task-runner';
import { endTaskSpan } from './tracing';
import type { LiveTask } from './task-runner';
import type { LiveTaskInfo, TaskEvent, TaskRequest, TaskResult, TaskState } from './task-types';
import { claimWorkerId, packageVersion } from './worker-identity';

/**
 * Lifecycle: `running` (accepting tasks) -> `closing` (close() called: new tasks are refused, live ones
 * are cancelled) -> `closed` (every task finished and every container removal settled).
 */
export type ExecutorState = 'running' | 'closing' | 'closed';

/**
 * Runs validated tool calls in hardened, bounded Docker containers and always cleans up after them.
 * Create it with `createExecutor()`. A thin orchestrator: each task goes plan -> policy gate -> step
 * runtime -> outcome (task-runner.ts); this class registers tasks, answers for them, and owns the reaper.
 */
export class Executor {
  private stateValue: ExecutorState = 'running';
  private readonly tasks = new Map<string, LiveTask>();
  /** Image probe containers between their creation and removal: not the reaper's. */
  private readonly probing = new Set<string>();
  private readonly slots: Slots;
  private readonly metricsRecorder: MetricsRecorder;
  private readonly events_ = new TaskEventHub();
  private readonly reaper: Reaper;
  /** The gVisor tier's descriptor volumes (descriptor-mounts.ts). */
  private readonly descriptors: DescriptorVolumes;
  private readonly images: ImageResolver;
  private readonly runtime: StepRuntime;
  /** The session runtime (wrapping the step runtime) when `sessions.enabled`. */
  private readonly sessions: SessionRuntime | undefined;
  private readonly runner: TaskRunner;
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
    private readonly engineRuntimesList: EngineRuntimes,
  ) {
    const metrics = new MetricsRecorder(options.metrics, catalog.all?.().map((spec) => spec.name) ?? []);
    this.metricsRecorder = metrics;
    this.slots = new Slots(options.maxConcurrentTasks, options.maxQueuedTasks, () =>
      metrics.slots(this.slots.active, this.slots.queued),
    );
    const images = new ImageResolver(docker, options.pullPolicy, logger);
    this.images = images;
    const createRuntime = options.stepRuntime ?? defaultRuntimeFactory(options, logger);
    const descriptors = new DescriptorVolumes(docker, logger);
    this.descriptors = descriptors;
    const runtimeContext = {
      descriptors,
      docker,
      clock,
      logger,
      images,
      maxConcurrentStarts: options.maxConcurrentStarts,
      onContainer: (event: 'created' | 'removed') => metrics.container(event),
      onContainerStarted: (tool: string, seconds: number) => metrics.containerStarted(tool, seconds),
    };
    const fallback = createRuntime(runtimeContext);
    this.sessions = options.sessions.enabled
      ? new SessionRuntime(runtimeContext, { sessions: options.sessions, meter: options.metrics, fallback })
      : undefined;
    this.runtime = this.sessions ?? fallback;
    this.runner = new TaskRunner({
      options,
      catalog,
      clock,
      logger,
      images,
      runtime: this.runtime,
      slots: this.slots,
      metrics,
      instanceId: lease.instanceId,
      version: lease.version,
      engineRuntimes: this.engineRuntimesList,
      descriptors,
      imageFor: (tool, image) => this.imageFor(tool, image),
    });
    this.reaper = new Reaper({
      docker,
      workerId: options.workerId,
      instanceId: lease.instanceId,
      liveness: (id) => registry.liveness(id),
      marginMs: options.reapMarginMs,
      clock,
      logger,
      isLive: (c) => this.owns(c),
      isLiveVolume: (name) => descriptors.owns(name),
      onReaped: () => metrics.container('reaped'),
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
    const docker = resolved.docker ?? createDockerClient({ env: resolved.env, logger });
    let runtimes: string[];
    try {
      runtimes = await docker.runtimes();
    } catch (err) {
      throw dockerError('cannot reach the Docker engine (docker info)', err);
    }
    if (!runtimes.includes(resolved.runtime)) {
      throw new ExecutorError(
        'RUNTIME_UNAVAILABLE',
        `${runtimeUnavailableMessage(resolved.runtime, 'the runtime option', runtimes)} Or choose another runtime.`,
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
      new EngineRuntimes(docker, runtimes),
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

  /** The OCI runtimes the engine had registered at the last read (at open, or since for a policy's runtime). */
  engineRuntimes(): readonly string[] {
    return this.engineRuntimesList.known;
  }

  /** This instance's id (`org.baaaht.instance-id`), unique per executor object. */
  get instanceId(): string {
    return this.lease.instanceId;
  }

  /** Lifecycle state of a live task, or undefined once it is done (or was never seen). */
  taskState(taskId: string): TaskState | undefined {
    return this.tasks.get(taskId)?.lifecycle.state;
  }

  /** The tasks live now (queued, starting, running or stopping), oldest first; cheap enough per status request. */
  liveTasks(): LiveTaskInfo[] {
    const out: LiveTaskInfo[] = [];
    for (const task of this.tasks.values()) {
      const state = task.lifecycle.state;
      if (state === 'done') continue;
      out.push({
        taskId: task.id,
        tool: task.tool,
        state,
        startedAt: task.startedAt,
        containerId: task.containerId,
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
      const result = toTaskResult(
        {
          taskId,
          tool,
          containerId: task?.containerId ?? null,
          collectors: task?.collectors ?? [],
          sessionRestarted: task?.sessionRestarted === true,
        },
        outcome,
        this.clock.now() - startedAt,
        task?.lifecycle.stop,
      );
      this.metricsRecorder.task(result.status, this.catalog.has(tool) ? tool : UNKNOWN_TOOL_LABEL, result.durationMs);
      log(result.status === 'completed' ? 'debug' : 'info', `task ${result.status}`, {
        status: result.status,
        code: result.error?.code,
        durationMs: result.durationMs,
      });
      emit({ type: 'exited', taskId, tool, exitCode: result.exitCode, status: result.status });
      if (task !== undefined) endTaskSpan(task.trace, result);
      return result;
    };

    if (this.stateValue !== 'running')
      return finish(undefined, errorOutcome('error', 'EXECUTOR_CLOSED', 'the executor is closed'));
    if (this.tasks.has(taskId))
      return finish(
        undefined,
        errorOutcome('error', 'INVALID_REQUEST', `task id '${taskId}' is already in use by a live task`),
      );

    let resolveDone!: (r: TaskResult) => void;
    const done = new Promise<TaskResult>((r) => (resolveDone = r));
    const init = { id: taskId, tool, startedAt, sessionId: request.sessionId ?? this.options.sessionId ?? null };
    const task = this.runner.createTask(
      request.signal === undefined ? init : { ...init, signal: request.signal },
      emit,
      done,
    );
    this.tasks.set(taskId, task);
    registered = true;
    let result: TaskResult;
    try {
      result = finish(task, await this.runner.run(task, request));
    } catch (err) {
      // The runner maps every expected failure; anything reaching here is a bug, still reported as a result.
      log('error', 'executor bug: task failed unexpectedly', { error: err instanceof Error ? err.stack : String(err) });
      result = finish(task, errorOutcome('error', 'INTERNAL', err instanceof Error ? err.message : String(err)));
    } finally {
      task.stopSignal.cleanup();
      task.workspace?.close();
      task.lifecycle.finish();
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
    this.runner.requestStop(task, this.runner.cancelStop(options.force === true ? 'force' : 'graceful'));
    return true;
  }

  /**
   * Creates a session's container ahead of its first call (or checks that the existing one fits), from a
   * call like its first: `request` is planned and judged as a task would be, but runs nothing. Resolves
   * once the container's agent is ready. Throws `ExecutorError`: INVALID_REQUEST (sessions disabled, a
   * web tool), the task's refusal codes, SESSION_MISMATCH, SESSION_LIMIT, IMAGE_NOT_FOUND, DOCKER_ERROR...
   */
  async prewarmSession(sessionId: string, request: SessionPrewarmRequest): Promise<SessionInfo> {
    if (this.sessions === undefined)
      throw new ExecutorError('INVALID_REQUEST', 'sessions are disabled (ExecutorOptions.sessions.enabled)');
    if (this.stateValue !== 'running') throw new ExecutorError('EXECUTOR_CLOSED', 'the executor is closed');
    const sessions = this.sessions;
    return prewarmSession(sessionId, request, {
      catalog: this.catalog,
      options: this.options,
      logger: this.logger,
      instanceId: this.lease.instanceId,
      version: this.lease.version,
      now: this.clock.now(),
      engineRuntimes: this.engineRuntimesList,
      descriptors: this.descriptors,
      imageFor: (tool, image) => this.imageFor(tool, image),
      images: this.images,
      prewarm: (plan) => sessions.prewarm(plan),
    });
  }

  /** Closes a session now, removing its container (running calls fail with SESSION_CLOSED); false when none. */
  closeSession(sessionId: string): Promise<boolean> {
    return this.sessions?.closeSession(sessionId) ?? Promise.resolve(false);
  }

  /** The sessions this executor holds (empty when sessions are disabled), oldest first. */
  listSessions(): SessionInfo[] {
    return this.sessions?.list() ?? [];
  }

  /**
   * Removes the warm pool's waiting containers (calls already running finish); the next calls start cold
   * and refill it. The worker calls it when its policy reloads. Returns how many were removed.
   */
  invalidatePool(reason: string): number {
    return this.runtime.invalidate?.(reason) ?? 0;
  }

  /**
   * Whether workspace tools can run under the gVisor `runtime` on this engine: undefined when it mounts
   * this process's held descriptors (probed once with a workspace tool's image, see descriptor-mounts.ts),
   * else why not. Under runc there is nothing to probe (the mount gate pins mounts).
   */
  descriptorMountProblem(runtime: string): Promise<string | undefined> {
    if (!usesDescriptorMounts(runtime)) return Promise.resolve(undefined);
    const spec = this.catalog.all?.().find((s) => s.workspace !== 'none');
    if (spec === undefined) return Promise.resolve(undefined);
    return this.descriptors.check({
      workerId: this.options.workerId,
      instanceId: this.lease.instanceId,
      version: this.lease.version,
      image: this.imageFor(spec.name, spec.image),
      runtime,
    });
  }

  /** Runs one reaper pass now; resolves with the number of containers removed. */
  reap(): Promise<number> {
    return this.reaper.reapOnce();
  }

  /** Resolves once every background container removal started so far has settled. */
  idle(): Promise<void> {
    return this.runtime.idle();
  }

  /** Cancels every live task (gracefully unless `force`), waits for their cleanup, stops the reaper. Idempotent. */
  close(options: { force?: boolean } = {}): Promise<void> {
    this.closing ??= (async () => {
      this.stateValue = 'closing';
      if (this.reapTimer !== undefined) this.clock.clearTimeout(this.reapTimer);
      const live = [...this.tasks.values()];
      const stop = this.runner.cancelStop(options.force === true ? 'force' : 'graceful', 'closed');
      for (const task of live) this.runner.requestStop(task, stop);
      await Promise.allSettled(live.map((t) => t.done));
      await this.runtime.dispose();
      this.events_.closeAll();
      this.registry.release(this.lease.instanceId);
      this.stateValue = 'closed';
      this.logger.info('executor closed', { component: 'executor', workerId: this.options.workerId });
    })();
    return this.closing;
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
        if (phase === 'created') this.probing.add(id);
        else this.probing.delete(id);
      },
    });
  }

  // --- internals -------------------------------------------------------------------------------

  private scheduleReap(): void {
    if (this.options.reapIntervalMs === 0 || this.stateValue !== 'running') return;
    this.reapTimer = this.clock.setTimeout(() => {
      void this.reaper.reapOnce().finally(() => this.scheduleReap());
    }, this.options.reapIntervalMs);
  }

  private imageFor(tool: string, catalogImage: string): string {
    return this.options.imageOverrides[tool] ?? this.options.imageOverrides['*'] ?? catalogImage;
  }

  /** True while this process still has a use for the container (its task is live, or it is being removed). */
  private owns(c: ManagedContainer): boolean {
    if (this.probing.has(c.id) || this.runtime.owns(c.id) || this.descriptors.ownsContainer(c.id)) return true;
    return this.tasks.has(c.labels[LABELS.taskId] ?? '');
  }
}

/** Creates an executor (the seed's NewExecutor); see `Executor.create`. */
export function createExecutor(options: ExecutorOptions = {}): Promise<Executor> {
  return Executor.create(options);
}
