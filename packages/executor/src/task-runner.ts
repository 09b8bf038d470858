import type { CommandResult, RunCommand, ToolCommand, ToolRunOutcome, ToolSpec } from '@baaaht/tool-specs';
import type { Clock } from './clock';
import type { ContainerPlan } from './container-config';
import type { EgressDecisionEvent } from './egress-proxy';
import type { EngineRuntimes } from './engine-runtimes';
import { builtinEgressCheck } from './egress-rules';
import { startEgressSession } from './egress-session';
import { ExecutorError } from './errors';
import type { ExecutorCatalog, ResolvedExecutorOptions } from './executor-options';
import type { ImageResolver } from './image-resolver';
import type { Logger } from './logger';
import { shortId } from './logger';
import type { MetricsRecorder } from './metrics';
import { gateRefused, GATE_EXIT_CODE } from './mount-gate';
import { OutputCollector } from './output-demux';
import type { OutputCaps } from './output-demux';
import { gateTask } from './policy-gate';
import { applyToolGrant } from './tool-grant';
import { SlotWaitAborted } from './slots';
import type { Slots } from './slots';
import type { RunningStep, StepExit, StepRuntime } from './step-runtime';
import { isStopRequest, TaskLifecycle } from './task-lifecycle';
import type { StopRequest } from './task-lifecycle';
import { completeOutcome, egressDeniedOutcome, errorOutcome, stoppedOutcome, thrownOutcome } from './task-outcome';
import type { Outcome } from './task-outcome';
import { planCommands, planTask } from './task-plan';
import { createDeadlineSignal, createLinkedAbortController } from './task-signals';
import type { LinkedAbortController } from './task-signals';
import type { StopMode, TaskEvent, TaskRequest, TaskResult } from './task-types';
import { startTaskSpan, traced } from './tracing';
import type { TraceSpan } from './tracing';
import type { PinnedWorkspace } from './workspace-source';
import type { DescriptorVolumes } from './descriptor-mounts';

/** One task while it is live (registered with the executor until its result is built). */
export interface LiveTask {
  readonly id: string;
  readonly tool: string;
  readonly startedAt: number;
  readonly sessionId: string | null;
  readonly lifecycle: TaskLifecycle;
  /** Aborts, with a `StopRequest` (or the caller's reason), when the task must stop. */
  readonly stopSignal: LinkedAbortController;
  /** Steps whose process has started and not yet been seen to exit. */
  readonly steps: Set<RunningStep>;
  /** The container running now, or the last one created. */
  containerId: string | null;
  /** The workspace directory held open while the task lives (see workspace-source.ts). */
  workspace?: PinnedWorkspace;
  /** One per step, in order. */
  readonly collectors: OutputCollector[];
  /** A step ran on a session container that replaced a dead one (the session's earlier state is gone). */
  sessionRestarted?: boolean;
  /** `baaaht.execute`: the task's span, ended with its result (see tracing.ts). */
  readonly trace: TraceSpan;
  emit(event: TaskEvent): void;
  readonly done: Promise<TaskResult>;
}

export interface TaskRunnerDeps {
  options: ResolvedExecutorOptions;
  catalog: ExecutorCatalog;
  clock: Clock;
  logger: Logger;
  images: ImageResolver;
  runtime: StepRuntime;
  slots: Slots;
  metrics: MetricsRecorder;
  instanceId: string;
  version: string;
  /** The engine's runtimes, for a policy's `security.runtime`. */
  engineRuntimes: EngineRuntimes;
  /** The gVisor tier's descriptor volumes (see descriptor-mounts.ts). */
  descriptors?: DescriptorVolumes;
  imageFor(tool: string, catalogImage: string): string;
}

/**
 * Drives one task through its lifecycle: plan -> policy gate -> queue -> prepare (image, egress) -> run
 * its steps on the step runtime -> outcome. Stops are reactions to the task's stop signal.
 */
export class TaskRunner {
  constructor(private readonly deps: TaskRunnerDeps) {}

  /** A registered-to-be task, queued, its stop signal linked to the caller's `signal`. */
  createTask(
    init: { id: string; tool: string; startedAt: number; sessionId: string | null; signal?: AbortSignal },
    emit: (event: TaskEvent) => void,
    done: Promise<TaskResult>,
  ): LiveTask {
    const task: LiveTask = {
      id: init.id,
      tool: init.tool,
      startedAt: init.startedAt,
      sessionId: init.sessionId,
      lifecycle: new TaskLifecycle(init.id, init.tool),
      stopSignal: createLinkedAbortController(),
      steps: new Set(),
      containerId: null,
      collectors: [],
      trace: startTaskSpan('baaaht.execute', {
        'baaaht.task.id': init.id,
        'baaaht.tool': init.tool,
        ...(init.sessionId !== null ? { 'baaaht.session.id': init.sessionId } : {}),
      }),
      emit,
      done,
    };
    // The reaction first, so a caller's signal that is already aborted is seen.
    task.stopSignal.signal.addEventListener('abort', () => this.onStopSignal(task), { once: true });
    task.stopSignal.link(init.signal);
    return task;
  }

  /** Asks a live task to stop: the first request aborts its signal; a later one may only upgrade to force. */
  requestStop(task: LiveTask, stop: StopRequest): void {
    if (!task.stopSignal.signal.aborted) task.stopSignal.abort(stop);
    else this.applyStop(task, stop);
  }

  /** A graceful cancel after `gracePeriodMs`, or a force one. */
  cancelStop(mode: StopMode, reason: 'cancelled' | 'closed' = 'cancelled'): StopRequest {
    return { reason, mode, graceMs: this.deps.options.gracePeriodMs };
  }

  private onStopSignal(task: LiveTask): void {
    const reason: unknown = task.stopSignal.signal.reason;
    // Anything but our own reasons is the caller's signal: a graceful cancel.
    this.applyStop(task, isStopRequest(reason) ? reason : this.cancelStop('graceful'));
  }

  private applyStop(task: LiveTask, stop: StopRequest): void {
    const effective = task.lifecycle.requestStop(stop);
    if (effective === undefined || !('mode' in effective)) return;
    task.trace.event('stopping', { 'baaaht.stop.reason': effective.reason, 'baaaht.stop.mode': effective.mode });
    this.deps.logger.info('stopping task', {
      component: 'executor',
      taskId: task.id,
      tool: task.tool,
      reason: effective.reason,
      mode: effective.mode,
    });
    for (const step of task.steps) void step.stop(effective.mode, effective.graceMs);
  }

  async run(task: LiveTask, request: TaskRequest): Promise<Outcome> {
    const { options, clock, logger, slots } = this.deps;
    const planned = planTask(task.id, request, {
      catalog: this.deps.catalog,
      options,
      instanceId: this.deps.instanceId,
      version: this.deps.version,
      now: clock.now(),
      imageFor: this.deps.imageFor,
    });
    if ('outcome' in planned) return planned.outcome;
    const { spec, params, sessionId, caps } = planned.plan;
    let timeoutMs = planned.plan.timeoutMs;
    if (planned.plan.workspace !== undefined) task.workspace = planned.plan.workspace;

    // The task keeps the policy it started with, even if the enforcer is reloaded meanwhile.
    const policy = options.policy?.snapshot?.() ?? options.policy;
    const decision = task.trace.child('baaaht.policy', { 'baaaht.policy.enforcer': policy !== undefined });
    const gate = await gateTask(policy, planned.plan.plan, spec, params, {
      env: options.env,
      logger,
      runtimes: this.deps.engineRuntimes,
      ...(this.deps.descriptors === undefined ? {} : { descriptors: this.deps.descriptors }),
    });
    if (!gate.allowed) {
      decision.fail(gate.error, { 'baaaht.policy.decision': 'denied', 'baaaht.policy.rule': gate.error.detail ?? '' });
      return errorOutcome(gate.status, gate.error.code, gate.error.message, gate.error.detail);
    }
    decision.end({ 'baaaht.policy.decision': 'allowed' });
    const plan = gate.plan;
    const granted = applyToolGrant(gate.grant, spec.network, timeoutMs, caps);
    const network = granted.network;
    timeoutMs = granted.timeoutMs;
    const commands = planCommands(spec, params, plan, options.searchBackendUrl, network);
    if ('outcome' in commands) return commands.outcome;

    if (task.lifecycle.stop !== undefined) return this.stopped(task);
    let release: () => void;
    const waiting = task.trace.child('baaaht.slot_wait');
    try {
      task.emit({ type: 'queued', taskId: task.id, tool: task.tool });
      release = await slots.acquire(task.stopSignal.signal);
      waiting.end();
    } catch (err) {
      waiting.fail(err);
      if (err instanceof SlotWaitAborted) return this.stopped(task);
      if (err instanceof ExecutorError) return errorOutcome('error', err.code, err.message);
      throw err;
    }
    task.lifecycle.starting();
    plan.deadlineMs = clock.now() + timeoutMs;
    const deadline = createDeadlineSignal(clock, timeoutMs, {
      reason: 'timeout',
      mode: 'graceful',
      graceMs: options.timeoutGracePeriodMs,
    } satisfies StopRequest);
    task.stopSignal.link(deadline.signal);
    let proxy: { close(): Promise<void> } | undefined;
    // The first connection the egress proxy refused: a web tool that then fails was denied, not broken.
    let egressDenial: EgressDecisionEvent | undefined;
    const finish = (outcome: Outcome): Outcome =>
      egressDenial !== undefined && outcome.status === 'failed' ? egressDeniedOutcome(outcome, egressDenial) : outcome;
    const who = { user: plan.user, workspaceUid: task.workspace?.uid };
    try {
      await traced(task.trace.context, 'baaaht.image', { 'container.image.name': plan.image }, () =>
        this.deps.images.ensure(plan.image, { taskId: task.id, tool: task.tool, signal: task.stopSignal.signal }),
      );
      if (network === 'egress') {
        const egress = await startEgressSession({
          root: options.egressSocketRoot,
          check: policy?.checkEgress !== undefined ? policy.checkEgress.bind(policy) : builtinEgressCheck,
          context:
            sessionId === undefined
              ? { taskId: task.id, tool: task.tool }
              : { taskId: task.id, tool: task.tool, sessionId },
          logger,
          onDecision: (d) => {
            this.deps.metrics.egress(d.allowed);
            egressDenial ??= d.allowed ? undefined : d;
          },
        });
        proxy = egress;
        plan.egressDir = egress.dir;
      }
      let step = 0;
      const exec: RunCommand = (command) => this.runStep(task, plan, command, caps, step++);
      const single = commands.single;
      if (single !== undefined) {
        const r = await exec(single);
        const ok = (single.successExitCodes ?? [0]).includes(r.exitCode);
        return finish(completeOutcome(spec, params, who, r, ok));
      }
      const outcome: ToolRunOutcome = await (spec.run as NonNullable<ToolSpec['run']>)(params, commands.ctx, exec);
      const ok = outcome.error === undefined && outcome.exitCode === 0;
      return finish(completeOutcome(spec, params, who, outcome, ok));
    } catch (err) {
      // Whatever was thrown mid-step (an aborted pull, a killed container), a recorded stop decides the status.
      if (task.lifecycle.stop !== undefined) return this.stopped(task);
      const mapped = thrownOutcome(err, task.tool);
      if (mapped !== undefined) return mapped;
      throw err;
    } finally {
      deadline.cleanup();
      release();
      await proxy?.close();
    }
  }

  private stopped(task: LiveTask): Outcome {
    return stoppedOutcome(task.lifecycle.stop as StopRequest, task.tool, task.collectors);
  }

  /** One command on the step runtime, in its `baaaht.step` span. */
  private async runStep(
    task: LiveTask,
    plan: ContainerPlan,
    command: ToolCommand,
    caps: OutputCaps,
    step: number,
  ): Promise<CommandResult> {
    const span = task.trace.child('baaaht.step', { 'baaaht.step': step });
    try {
      const result = await this.stepOn(task, plan, command, caps, step, span);
      span.end({ 'baaaht.exit_code': result.exitCode });
      return result;
    } catch (err) {
      span.fail(err);
      throw err;
    }
  }

  /** Runs the step; its output goes through the task's caps and events. */
  private async stepOn(
    task: LiveTask,
    plan: ContainerPlan,
    command: ToolCommand,
    caps: OutputCaps,
    step: number,
    span: TraceSpan,
  ): Promise<CommandResult> {
    const signal = task.stopSignal.signal;
    signal.throwIfAborted();
    const collector = new OutputCollector(caps);
    const running = await this.deps.runtime.start(
      {
        taskId: task.id,
        tool: task.tool,
        step,
        plan,
        command,
        ...(span.context !== undefined ? { traceContext: span.context } : {}),
        onContainer: (id) => {
          task.containerId = id;
          task.collectors.push(collector);
        },
        onOutput: (which, chunk) => {
          const kept = collector.accept(which, chunk);
          if (kept !== undefined) task.emit({ type: which, taskId: task.id, chunk: kept });
        },
      },
      signal,
    );
    task.steps.add(running);
    span.set({ 'container.id': running.containerId, 'baaaht.session.restarted': running.sessionRestarted === true });
    if (running.sessionRestarted === true) task.sessionRestarted = true;
    task.lifecycle.running();
    task.emit({ type: 'started', taskId: task.id, tool: task.tool, containerId: running.containerId, step });
    // A stop that arrived while the step was starting found nothing running to signal.
    const pending = task.lifecycle.stop;
    if (pending !== undefined && 'mode' in pending) void running.stop(pending.mode, pending.graceMs);

    let exit: StepExit;
    const run = span.child('container.run', { 'container.id': running.containerId });
    try {
      exit = await running.exit;
      run.end({ 'baaaht.exit_code': exit.exitCode, 'baaaht.oom_killed': exit.oomKilled });
    } catch (err) {
      run.fail(err);
      throw err;
    } finally {
      task.steps.delete(running);
    }
    const meta = {
      component: 'executor',
      taskId: task.id,
      tool: task.tool,
      step,
      containerId: shortId(running.containerId),
    };
    this.deps.logger.debug('step exited', { ...meta, exitCode: exit.exitCode, oomKilled: exit.oomKilled });
    signal.throwIfAborted();
    if (exit.oomKilled) {
      this.requestStop(task, { reason: 'oom' });
      signal.throwIfAborted();
    }
    if (
      exit.exitCode === GATE_EXIT_CODE &&
      gateRefused(exit.exitCode, collector.text('stderr'), plan.gateNonce ?? '')
    ) {
      this.deps.logger.warn('mount identity gate refused: the mount source changed after the policy check', {
        ...meta,
        source: plan.workspaceSource,
      });
      throw new ExecutorError(
        'WORKSPACE_CHANGED',
        `the workspace '${plan.workspaceSource ?? ''}' was replaced between the policy check and the container start ` +
          '(a path component was renamed or swapped for a symlink); the tool did not run',
        { taskId: task.id, tool: task.tool, containerId: running.containerId },
      );
    }
    return {
      exitCode: exit.exitCode,
      stdout: collector.text('stdout'),
      stderr: collector.text('stderr'),
      truncated: collector.truncated,
      droppedBytes: { ...collector.dropped },
    };
  }
}
