import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { PassThrough, Writable } from 'node:stream';
import { sleep } from './clock';
import { containerStopper } from './container-stop';
import type { ContainerPlan } from './container-config';
import { WORKSPACE_TARGET } from './container-config';
import type { PoolDriver, WarmContainer } from './container-pool';
import { dockerError, ExecutorError } from './errors';
import { shortId } from './logger';
import { StreamDemuxer } from './output-demux';
import { pooledCreateBody } from './pool-container-config';
import { descriptorVolumesFor } from './descriptor-mounts';
import type { DescriptorVolumeSet } from './descriptor-mounts';
import type { PoolContainerTimes, PoolKey } from './pool-container-config';
import type { AttachStream } from './raw-attach';
import { SandboxAgentClient } from './sandbox-agent-client';
import type { SandboxCallExit } from './sandbox-agent-client';
import { encodeHostFrame } from './sandbox-agent-protocol';
import type { Slots } from './slots';
import type { RunningStep, StepExit, StepRuntimeContext, StepSpec } from './step-runtime';
import { pinWorkspace } from './workspace-source';
import type { PinnedWorkspace } from './workspace-source';

/** How long to wait for the agent's streams after the container exited, in case the engine keeps them open. */
const STREAM_END_WAIT_MS = 2000;
/** The agent's own stderr kept for diagnostics (the gate's refusal line, a usage error). */
const STDERR_TAIL_BYTES = 2048;

/**
 * One started pooled container: its agent (`--once`) is blocked reading its `RUN` frame on the attached stdin.
 * It holds its own descriptor on the workspace (re-pinned and compared with the judged identity when it was
 * started), so the judged inode cannot be freed and reused while the container exists.
 */
export class PooledContainer implements WarmContainer {
  readonly gone: Promise<void>;
  private stderrTail = '';

  constructor(
    readonly id: string,
    readonly stream: AttachStream,
    readonly client: SandboxAgentClient,
    private readonly input: PassThrough,
    readonly pin: PinnedWorkspace | undefined,
  ) {
    this.gone = stream.ended.then(() => {
      input.end();
    });
  }

  get alive(): boolean {
    return this.client.state === 'open';
  }

  /** What the agent (or the gate before it) printed on its own stderr. */
  get diagnostics(): string {
    return this.stderrTail;
  }

  noteStderr(chunk: Buffer): void {
    this.stderrTail = (this.stderrTail + chunk.toString('utf8')).slice(-STDERR_TAIL_BYTES);
  }
}

/** Creates, starts and removes pooled containers on the engine, and runs the one call of a claimed one. */
export class PooledContainerDriver implements PoolDriver<ContainerPlan, PooledContainer> {
  /** The gVisor tier: each pooled container's descriptor volumes, removed after it. */
  private readonly volumes = new Map<string, DescriptorVolumeSet>();

  constructor(
    private readonly ctx: StepRuntimeContext,
    private readonly starts: Slots,
    private readonly agentPath: string,
  ) {}

  async start(
    plan: ContainerPlan,
    key: PoolKey,
    times: PoolContainerTimes,
    signal: AbortSignal,
    onCreated: (id: string) => void,
  ): Promise<PooledContainer> {
    const { docker } = this.ctx;
    const pin = this.repin(plan);
    let id: string | undefined;
    let stream: AttachStream | undefined;
    let release: (() => void) | undefined;
    let volumes: DescriptorVolumeSet | undefined;
    try {
      release = await this.starts.acquire(signal);
      signal.throwIfAborted();
      const name = `baaaht-pool-${key.hash.slice(0, 8)}-${randomBytes(3).toString('hex')}`;
      const body = pooledCreateBody(plan, this.agentPath, key, times, name);
      // The gVisor tier: the waiting container's own descriptors on its mounts (the key names their identity).
      volumes = await descriptorVolumesFor(this.ctx.descriptors, plan, body);
      id = await docker.createContainer(body);
      if (volumes !== undefined) this.volumes.set(id, volumes);
      volumes = undefined;
      onCreated(id);
      this.ctx.onContainer('created');
      const input = new PassThrough();
      // The agent's (or gate's) own stderr, kept by the container once it exists.
      const own: { container?: PooledContainer } = {};
      const demux = new StreamDemuxer((which, chunk) => {
        if (which === 'stdout') input.write(Buffer.from(chunk));
        else own.container?.noteStderr(chunk);
      });
      signal.throwIfAborted();
      stream = await docker.attachContainer(id, { stdin: true, onData: (chunk) => demux.push(chunk) });
      const live = stream;
      const output = new Writable({
        write(chunk: Buffer, _enc, cb) {
          live.write(chunk);
          cb();
        },
      });
      const client = new SandboxAgentClient({ input, output, logger: this.ctx.logger });
      const container = new PooledContainer(id, live, client, input, pin);
      own.container = container;
      signal.throwIfAborted();
      await docker.startContainer(id);
      release();
      release = undefined;
      await abortable(client.ready, signal);
      return container;
    } catch (err) {
      release?.();
      stream?.destroy();
      pin?.close();
      if (id !== undefined) await this.remove(id);
      await volumes?.remove();
      throw err;
    }
  }

  async remove(id: string, container?: PooledContainer): Promise<void> {
    container?.stream.destroy();
    container?.pin?.close();
    try {
      await this.ctx.docker.removeContainer(id);
      this.ctx.onContainer('removed');
    } catch (err) {
      this.ctx.logger.warn('could not remove pool container; the reaper will retry', {
        component: 'executor-pool',
        containerId: shortId(id),
        error: String(err),
      });
    } finally {
      // After the container (a volume in use cannot go); when that failed, disowned for the reaper.
      const volumes = this.volumes.get(id);
      this.volumes.delete(id);
      await volumes?.remove();
    }
  }

  /**
   * Runs the step as the claimed container's one call. Resolves once the `RUN` frame is sent; `onDone`
   * runs after the container ended (the caller removes it).
   */
  run(container: PooledContainer, spec: StepSpec, onDone: () => void): RunningStep {
    const { docker, clock, logger } = this.ctx;
    const id = container.id;
    const ended = new AbortController();
    const waited = docker.waitContainer(id);
    waited.catch(() => undefined);
    const { command } = spec;
    const call = container.client.run({
      argv: command.argv,
      ...(command.env !== undefined ? { env: command.env } : {}),
      ...(command.stdin !== undefined ? { stdin: command.stdin } : {}),
    });
    const streamEnds = [call.stdout, call.stderr].map(
      (s) => new Promise<void>((resolve) => s.once('end', resolve).once('error', () => resolve())),
    );
    call.stdout.on('data', (chunk: Buffer) => spec.onOutput('stdout', chunk));
    call.stderr.on('data', (chunk: Buffer) => spec.onOutput('stderr', chunk));
    const context = { taskId: spec.taskId, tool: spec.tool, containerId: id };
    const exit = (async (): Promise<StepExit> => {
      try {
        let agentExit: SandboxCallExit | undefined;
        let agentError: unknown;
        const settled = call.exit.then(
          (e) => (agentExit = e),
          (e: unknown) => (agentError = e),
        );
        // The agent's word, or the container's end (plus a grace for the streams) if the agent never says.
        const graceAfterExit = waited.then(
          () => sleep(clock, STREAM_END_WAIT_MS, ended.signal),
          () => undefined,
        );
        await Promise.race([settled, graceAfterExit]);
        await Promise.race([Promise.all(streamEnds), graceAfterExit]);
        // The agent's EXIT is the end of the call: waiting for the container to stop as well costs 30-100 ms.
        // The engine records an OOM kill in the cgroup as it happens, so an inspect now sees it; only a call
        // killed by SIGKILL (maybe the OOM killer, whose event may still be on its way) waits for the container.
        const settledCleanly = agentExit !== undefined && agentExit.signal !== 'SIGKILL';
        const status = settledCleanly ? 0 : await waited;
        const state = await docker.inspectContainer(id);
        return {
          exitCode: exitCodeOf(agentExit, agentError, state.exitCode, status, spec),
          oomKilled: state.oomKilled,
        };
      } catch (err) {
        throw dockerError('waiting for container', err, context);
      } finally {
        ended.abort();
        container.stream.destroy();
        container.pin?.close();
        onDone();
      }
    })();
    exit.catch(() => undefined);
    const stop = containerStopper({
      docker,
      clock,
      logger,
      containerId: id,
      taskId: spec.taskId,
      tool: spec.tool,
      ended: ended.signal,
      // The agent SIGTERMs the call's process group and SIGKILLs it after the grace; the engine backs it up.
      askToStop: (graceMs) => {
        container.stream.write(encodeHostFrame({ type: 'cancel', callId: call.callId, force: false, graceMs }));
      },
    });
    return { containerId: id, exit, stop };
  }

  /** Holds the workspace again and checks it is still the judged directory; a swapped one is not pooled. */
  private repin(plan: ContainerPlan): PinnedWorkspace | undefined {
    if (plan.workspaceSource === undefined) return undefined;
    const judged = plan.pins?.find((p) => p.target === WORKSPACE_TARGET);
    const pin = pinWorkspace(plan.workspaceSource);
    if ('error' in pin) throw new ExecutorError('WORKSPACE_CHANGED', pin.error);
    if (judged === undefined || pin.dev !== judged.dev || pin.ino !== judged.ino || pin.path !== plan.workspaceSource) {
      pin.close();
      throw new ExecutorError('WORKSPACE_CHANGED', `the workspace '${plan.workspaceSource}' changed; not pooled`);
    }
    return pin;
  }
}

/** The step's exit code: the agent's report, as a container's would read (128 + signal), else the container's. */
function exitCodeOf(
  agentExit: SandboxCallExit | undefined,
  agentError: unknown,
  containerCode: number,
  waited: number,
  spec: StepSpec,
): number {
  if (agentExit !== undefined) {
    if (agentExit.code !== null) return agentExit.code;
    const signo = agentExit.signal === null ? 9 : signalNumber(agentExit.signal);
    return 128 + signo;
  }
  if (agentError instanceof ExecutorError && agentError.code === 'SANDBOX_CALL_FAILED') {
    // The program could not be started (not found, not executable): what `exec` in a shell reports.
    spec.onOutput('stderr', Buffer.from(`${agentError.message}\n`));
    return 127;
  }
  return Number.isInteger(containerCode) ? containerCode : waited;
}

function signalNumber(signal: NodeJS.Signals): number {
  const n = (os.constants.signals as Partial<Record<string, number>>)[signal];
  return typeof n === 'number' ? n : 9;
}

function abortable<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}
