import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { PassThrough } from 'node:stream';
import { finished } from 'node:stream/promises';
import { sleep } from './clock';
import { buildCreateBody } from './container-config';
import { runtimeLimits } from './runtime-profile';
import { descriptorVolumesFor } from './descriptor-mounts';
import type { DescriptorVolumeSet } from './descriptor-mounts';
import type { ContainerPlan } from './container-config';
import type { ContainerCreateBody, ContainerState } from './docker-client';
import { dockerError, dockerStatus, ExecutorError } from './errors';
import { imageNotFound } from './image-resolver';
import { LABELS } from './labels';
import { shortId } from './logger';
import { gateRefused } from './mount-gate';
import { StreamDemuxer } from './output-demux';
import type { AttachStream } from './raw-attach';
import { SandboxAgentClient } from './sandbox-agent-client';
import { SANDBOX_AGENT_PROCESSES } from './sandbox-agent-path';
import type { SandboxCallExit } from './sandbox-agent-client';
import type { RunningStep, StepExit, StepRuntimeContext, StepSpec } from './step-runtime';
import type { StopMode } from './task-types';

/** Where the agent binary is bind-mounted (read-only) in every session container. */
export const SANDBOX_AGENT_TARGET = '/baaaht/sandbox-agent';
/** The agent's own SIGTERM-to-SIGKILL grace; the host escalates on its clock long before (see `stop`). */
const AGENT_CANCEL_GRACE_MS = 86_400_000;
/** Past the task's deadline, the agent kills a call on its own: a backstop if the host's stop never arrives. */
const AGENT_TIMEOUT_MARGIN_MS = 10_000;
/** How long a call whose agent vanished waits for the engine to say whether the kernel OOM-killed the container. */
const DEATH_WAIT_MS = 2000;
/** Diagnostics kept from the container's stderr (the gate's refusal marker, an agent message). */
const STDERR_KEEP_BYTES = 4096;
/**
 * The CFS period of a session container (µs). A fresh container gets a 1 s period so that its start-up is
 * never throttled; a session's calls share its quota for its whole life, and with a 1 s period a busy
 * session that used its share waits up to 0.9 s for the next one. At 100 ms the wait is at most 90 ms for
 * the same average CPU.
 */
export const SESSION_CPU_PERIOD_US = 100_000;
/** Where a cgroup reports OOM kills: v2, then v1. `cat` prints what it can read. */
const OOM_COUNTER_ARGV = ['cat', '/sys/fs/cgroup/memory.events', '/sys/fs/cgroup/memory/memory.oom_control'];

/** What the session gives its container beyond the runtime's context. */
export interface SessionContainerOptions {
  sessionId: string;
  /** The host path of the agent binary (`sandboxAgentPath()`). */
  agentPath: string;
  /** Epoch ms: the end of the session's lifetime, written as its expiry and deadline labels. */
  expiresAt: number;
}

/** The create body of a session container: the per-call hardening, with the agent (behind the mount gate) as entry. */
export function sessionCreateBody(plan: ContainerPlan, o: SessionContainerOptions): ContainerCreateBody {
  // The task's own labels belong to that call, not to the session's container.
  const { taskLabels: _taskLabels, ...shared } = plan;
  const body = buildCreateBody(
    // The agent is one process on top of the calls' limit (see SANDBOX_AGENT_PROCESSES).
    { ...shared, deadlineMs: o.expiresAt, tool: 'session', pidsLimit: shared.pidsLimit + SANDBOX_AGENT_PROCESSES },
    // stdin present: AttachStdin/OpenStdin/StdinOnce, so the agent's stdin closes when the worker goes away.
    { argv: [SANDBOX_AGENT_TARGET], stdin: '' },
    `baaaht-session-${o.sessionId.replace(/[^a-zA-Z0-9_.-]/g, '').slice(0, 24) || 'session'}-${randomBytes(3).toString('hex')}`,
  );
  body.HostConfig.Mounts.push({ Type: 'bind', Source: o.agentPath, Target: SANDBOX_AGENT_TARGET, ReadOnly: true });
  body.HostConfig.CpuPeriod = SESSION_CPU_PERIOD_US;
  // gVisor's own CPU budget included (runtime-profile.ts), as for a call's container.
  const { cgroupCpus } = runtimeLimits(plan.runtime, plan);
  body.HostConfig.CpuQuota = Math.max(1000, Math.round(cgroupCpus * SESSION_CPU_PERIOD_US));
  body.Labels[LABELS.session] = '1';
  body.Labels[LABELS.sessionId] = o.sessionId;
  body.Labels[LABELS.sessionExpiry] = String(Math.round(o.expiresAt));
  return body;
}

/**
 * One session's container and the agent client on its stdio. Its life: created and started by
 * `SessionContainer.start` (which resolves once the agent said READY), then `died` settles when the
 * container exits for any reason; `close()` removes it. Calls (`run`) are multiplexed by the client.
 */
export class SessionContainer {
  /** Settles once the container has exited: its state, or undefined when the engine could not say. */
  readonly died: Promise<ContainerState | undefined>;
  /** Set by `close()`: calls cut short by it fail with SESSION_CLOSED instead of SANDBOX_AGENT_GONE. */
  private closedBy: string | undefined;
  private oomKills = 0;
  private oomFlag = false;
  private removal: Promise<void> | undefined;

  private constructor(
    readonly id: string,
    private readonly ctx: StepRuntimeContext,
    private readonly sessionId: string,
    private readonly client: SandboxAgentClient,
    private readonly attach: AttachStream,
    private readonly stderrTail: () => string,
    /** The gVisor tier's descriptor volumes, removed after the container. */
    private readonly volumes?: DescriptorVolumeSet,
  ) {
    this.died = (async () => {
      try {
        await ctx.docker.waitContainer(id);
        return await ctx.docker.inspectContainer(id);
      } catch {
        return undefined;
      } finally {
        attach.destroy();
      }
    })();
  }

  /**
   * Creates, attaches and starts the container and waits for the agent's READY. Anything created is
   * removed when it fails: IMAGE_NOT_FOUND, WORKSPACE_CHANGED (the mount gate refused), DOCKER_ERROR,
   * SANDBOX_AGENT_GONE (the agent did not come up; its stderr is in the message).
   */
  static async start(
    ctx: StepRuntimeContext,
    plan: ContainerPlan,
    o: SessionContainerOptions,
    onCreated: (id: string) => void,
  ): Promise<SessionContainer> {
    const { docker, images, clock } = ctx;
    const context = { taskId: plan.taskId, tool: plan.tool };
    const requested = clock.now();
    let id: string;
    const body = sessionCreateBody(plan, o);
    let volumes: DescriptorVolumeSet | undefined;
    try {
      // The gVisor tier: the session's own descriptors on its mounts, held until its container is removed.
      volumes = await descriptorVolumesFor(ctx.descriptors, plan, body);
      id = await docker.createContainer(body);
    } catch (err) {
      await volumes?.remove();
      if (err instanceof ExecutorError) throw err;
      if (dockerStatus(err) === 404) {
        images.forget(plan.image);
        throw imageNotFound(plan.tool, plan.image, 'the engine reports it missing', err);
      }
      throw dockerError('creating session container', err, context);
    }
    ctx.onContainer('created');
    onCreated(id);
    const agentOut = new PassThrough();
    let stderr = Buffer.alloc(0);
    const demux = new StreamDemuxer((stream, chunk) => {
      if (stream === 'stdout') agentOut.write(Buffer.from(chunk));
      else stderr = Buffer.concat([stderr, chunk]).subarray(-STDERR_KEEP_BYTES);
    });
    let attach: AttachStream | undefined;
    try {
      attach = await docker.attachContainer(id, { stdin: true, onData: (chunk) => demux.push(chunk) });
      const stdin = attach.stdin;
      if (stdin === undefined)
        throw new ExecutorError(
          'INTERNAL',
          'the Docker client cannot keep a container stdin open (no AttachStream.stdin)',
        );
      void attach.ended.then(() => agentOut.end());
      const client = new SandboxAgentClient({
        input: agentOut,
        output: stdin,
        cancelGraceMs: AGENT_CANCEL_GRACE_MS,
        logger: ctx.logger,
      });
      await docker.startContainer(id);
      const container = new SessionContainer(
        id,
        ctx,
        o.sessionId,
        client,
        attach,
        () => stderr.toString('utf8'),
        volumes,
      );
      try {
        await client.ready;
      } catch (err) {
        const state = await container.died;
        const text = stderr.toString('utf8');
        if (state !== undefined && gateRefused(state.exitCode, text, plan.gateNonce ?? ''))
          throw new ExecutorError(
            'WORKSPACE_CHANGED',
            `the workspace '${plan.workspaceSource ?? ''}' was replaced between the policy check and the session container's ` +
              'start (a path component was renamed or swapped for a symlink); no call ran',
            { ...context, containerId: id },
          );
        throw new ExecutorError(
          'SANDBOX_AGENT_GONE',
          `session '${o.sessionId}': the in-sandbox agent did not start (exit code ${state?.exitCode ?? 'unknown'})` +
            (text.trim() === '' ? '' : `: ${text.trim().slice(0, 500)}`),
          { ...context, containerId: id, cause: err },
        );
      }
      ctx.onContainerStarted('session', (clock.now() - requested) / 1000);
      return container;
    } catch (err) {
      attach?.destroy();
      await removeQuietly(ctx, id, o.sessionId);
      await volumes?.remove();
      if (err instanceof ExecutorError) throw err;
      throw dockerError('starting session container', err, { ...context, containerId: id });
    }
  }

  /** Runs one step as one agent call: output to `spec.onOutput`, `stop` cancels this call only. */
  run(spec: StepSpec): RunningStep {
    const { clock } = this.ctx;
    const { command } = spec;
    const remaining = Math.max(1, spec.plan.deadlineMs - clock.now());
    const call = this.client.run({
      argv: command.argv,
      ...(command.env !== undefined ? { env: command.env } : {}),
      ...(command.stdin !== undefined ? { stdin: command.stdin } : {}),
      timeoutMs: remaining + AGENT_TIMEOUT_MARGIN_MS,
    });
    call.stdout.on('data', (chunk: Buffer) => spec.onOutput('stdout', chunk));
    call.stderr.on('data', (chunk: Buffer) => spec.onOutput('stderr', chunk));
    // Made only when a graceful stop has to wait for the call's end (an AbortSignal per call is measurable).
    let ended: AbortController | undefined;
    let exited = false;
    const context = { taskId: spec.taskId, tool: spec.tool, containerId: this.id };
    const exit = (async (): Promise<StepExit> => {
      let result: SandboxCallExit;
      try {
        result = await call.exit;
      } catch (err) {
        const lost = await this.callLost(err, context);
        if (lost instanceof ExecutorError) throw lost;
        return lost;
      } finally {
        exited = true;
        ended?.abort('call ended');
        await Promise.allSettled([finished(call.stdout), finished(call.stderr)]);
      }
      const exitCode = result.code ?? 128 + signalNumber(result.signal);
      const unexplainedKill = result.signal === 'SIGKILL' && !result.cancelled && !result.timedOut;
      return { exitCode, oomKilled: unexplainedKill && (await this.oomSince()) };
    })();
    exit.catch(() => undefined);
    const stop = async (mode: StopMode, graceMs: number): Promise<void> => {
      if (mode === 'force' || graceMs === 0) return call.cancel(true);
      call.cancel(false);
      if (exited) return;
      ended ??= new AbortController();
      await sleep(clock, graceMs, ended.signal);
      if (!exited) call.cancel(true);
    };
    return { containerId: this.id, exit, stop };
  }

  /** Removes the container (killing every call); calls cut short fail with SESSION_CLOSED naming `reason`. */
  async close(reason: string): Promise<void> {
    this.closedBy ??= reason;
    await this.remove();
    await this.died;
  }

  /** Removes the container once (also after it died on its own). */
  remove(): Promise<void> {
    this.removal ??= removeQuietly(this.ctx, this.id, this.sessionId)
      .then(() => this.volumes?.remove())
      .finally(() => this.attach.destroy());
    return this.removal;
  }

  /** A call whose agent went away: an OOM-killed container is an OOM exit; a close or a death is typed. */
  private async callLost(err: unknown, context: Record<string, string>): Promise<ExecutorError | StepExit> {
    const e = ExecutorError.fromUnknown(err, context);
    if (e.code !== 'SANDBOX_AGENT_GONE') return e;
    if (this.closedBy !== undefined)
      return new ExecutorError(
        'SESSION_CLOSED',
        `session '${this.sessionId}' was closed (${this.closedBy}) while the call ran`,
        {
          ...context,
          cause: err,
        },
      );
    const wait = new AbortController();
    const state = await Promise.race([this.died, sleep(this.ctx.clock, DEATH_WAIT_MS, wait.signal)]);
    wait.abort();
    if (state?.oomKilled === true) return { exitCode: 137, oomKilled: true };
    return new ExecutorError(
      'SANDBOX_AGENT_GONE',
      `session '${this.sessionId}': its container died while the call ran (the next call gets a new container)` +
        (this.stderrTail().trim() === '' ? '' : `: ${this.stderrTail().trim().slice(0, 300)}`),
      { ...context, cause: err },
    );
  }

  /**
   * Whether the kernel OOM-killed something in the container since the last check: the cgroup's
   * `oom_kill` counter (v2 memory.events, v1 memory.oom_control) read by a call, else the engine's sticky
   * `State.OOMKilled` turning true.
   */
  private async oomSince(): Promise<boolean> {
    try {
      const call = this.client.run({ argv: OOM_COUNTER_ARGV, timeoutMs: 5000 });
      const [out] = await Promise.all([call.stdout.toArray(), call.exit.catch(() => undefined)]);
      const counts = [
        ...Buffer.concat(out)
          .toString('utf8')
          .matchAll(/^oom_kill (\d+)$/gm),
      ].map((m) => Number(m[1]));
      if (counts.length > 0) {
        const now = Math.max(...counts);
        const grew = now > this.oomKills;
        this.oomKills = now;
        return grew;
      }
    } catch {
      // fall back to the engine's flag
    }
    try {
      const state = await this.ctx.docker.inspectContainer(this.id);
      const grew = state.oomKilled && !this.oomFlag;
      this.oomFlag = state.oomKilled;
      return grew;
    } catch {
      return false;
    }
  }
}

function signalNumber(signal: NodeJS.Signals | null): number {
  if (signal === null) return 0;
  return os.constants.signals[signal] ?? (Number(/^SIG(\d+)$/.exec(signal)?.[1]) || 0);
}

async function removeQuietly(ctx: StepRuntimeContext, id: string, sessionId: string): Promise<void> {
  try {
    await ctx.docker.removeContainer(id);
    ctx.onContainer('removed');
  } catch (err) {
    // The reaper retries: the container carries this worker's labels and nothing owns it any more.
    ctx.logger.warn('could not remove session container; the reaper will retry', {
      component: 'executor',
      sessionId,
      containerId: shortId(id),
      error: String(err),
    });
  }
}
