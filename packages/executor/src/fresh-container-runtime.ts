import { randomBytes } from 'node:crypto';
import { sleep } from './clock';
import { containerStopper } from './container-stop';
import { buildCreateBody, containerName } from './container-config';
import { descriptorVolumesFor } from './descriptor-mounts';
import type { DescriptorVolumeSet } from './descriptor-mounts';
import type { AttachStream } from './raw-attach';
import { dockerError, dockerStatus } from './errors';
import { imageNotFound } from './image-resolver';
import { shortId } from './logger';
import { StreamDemuxer } from './output-demux';
import { Slots, SlotWaitAborted } from './slots';
import { childSpan } from './tracing';
import type { RunningStep, StepExit, StepRuntime, StepRuntimeContext, StepSpec } from './step-runtime';

/** How long to wait for the attach stream to end after the process exited, in case the engine keeps it open. */
const STREAM_END_WAIT_MS = 2000;

/**
 * The first `StepRuntime`: every step gets a fresh hardened container, which is created, passed the mount
 * identity gate (the gate wraps its argv), attached before start (so no output is lost), started, waited
 * for and inspected, then removed in the background. Removals are tracked so `idle()` and `dispose()` wait
 * for them and the reaper leaves containers that are being removed alone.
 */
export class FreshContainerRuntime implements StepRuntime {
  private readonly starts: Slots;
  private readonly removals = new Set<Promise<void>>();
  /** Containers created and not yet removed: the reaper must not take them. */
  private readonly held = new Set<string>();
  /** The gVisor tier: each container's descriptor volumes, removed after it. */
  private readonly volumes = new Map<string, DescriptorVolumeSet>();

  /** `starts`: the create/attach/start slots, when shared with another runtime (the warm pool's). */
  constructor(
    private readonly ctx: StepRuntimeContext,
    starts?: Slots,
  ) {
    this.starts = starts ?? new Slots(ctx.maxConcurrentStarts);
  }

  owns(containerId: string): boolean {
    return this.held.has(containerId);
  }

  async idle(): Promise<void> {
    while (this.removals.size > 0) await Promise.allSettled([...this.removals]);
  }

  dispose(): Promise<void> {
    return this.idle();
  }

  async start(spec: StepSpec, signal: AbortSignal): Promise<RunningStep> {
    const { docker, clock, images } = this.ctx;
    const context = { taskId: spec.taskId, tool: spec.tool };
    signal.throwIfAborted();
    const releaseStart = await this.starts.acquire(signal).catch((err: unknown) => {
      if (err instanceof SlotWaitAborted) signal.throwIfAborted();
      throw err;
    });
    let id: string;
    let stream: AttachStream | undefined;
    const demux = new StreamDemuxer(spec.onOutput);
    try {
      const requested = clock.now();
      const body = buildCreateBody(
        spec.plan,
        spec.command,
        containerName(spec.tool, spec.taskId, randomBytes(3).toString('hex')),
      );
      const create = childSpan(spec.traceContext, 'container.create', { 'container.image.name': spec.plan.image });
      let volumes: DescriptorVolumeSet | undefined;
      try {
        volumes = await descriptorVolumesFor(this.ctx.descriptors, spec.plan, body);
        id = await docker.createContainer(body);
        create.end({ 'container.id': id });
        if (volumes !== undefined) this.volumes.set(id, volumes);
      } catch (err) {
        await volumes?.remove();
        const missing = dockerStatus(err) === 404;
        if (missing) images.forget(spec.plan.image);
        const failure = missing
          ? imageNotFound(spec.tool, spec.plan.image, 'the engine reports it missing', err)
          : dockerError('creating container', err, context);
        create.fail(failure);
        throw failure;
      }
      this.held.add(id);
      this.ctx.onContainer('created');
      spec.onContainer?.(id);
      const start = childSpan(spec.traceContext, 'container.start', { 'container.id': id });
      try {
        signal.throwIfAborted();
        stream = await docker.attachContainer(id, {
          stdin: spec.command.stdin !== undefined,
          onData: (chunk) => demux.push(chunk),
        });
        signal.throwIfAborted();
        await docker.startContainer(id);
        start.end();
      } catch (err) {
        start.fail(err);
        stream?.destroy();
        // Nothing ran yet: remove before reporting, so a cancel during creation leaves no container behind.
        await this.remove(id, spec);
        if (signal.aborted && err === signal.reason) throw err;
        throw dockerError('starting container', err, { ...context, containerId: id });
      }
      this.ctx.onContainerStarted(spec.tool, (clock.now() - requested) / 1000);
    } finally {
      releaseStart();
    }
    const live = stream as AttachStream;
    const stdin = spec.command.stdin;
    if (stdin !== undefined) live.endStdin(typeof stdin === 'string' ? Buffer.from(stdin, 'utf8') : Buffer.from(stdin));
    return this.running(id, live, spec);
  }

  private running(id: string, live: AttachStream, spec: StepSpec): RunningStep {
    const { docker, clock, logger } = this.ctx;
    // Aborted once the process has ended: cuts short the grace period and the stream-end wait.
    const ended = new AbortController();
    const exit = (async (): Promise<StepExit> => {
      try {
        const waited = await docker.waitContainer(id);
        const streamWait = new AbortController();
        await Promise.race([live.ended, sleep(clock, STREAM_END_WAIT_MS, streamWait.signal)]);
        streamWait.abort();
        const state = await docker.inspectContainer(id);
        return { exitCode: Number.isInteger(state.exitCode) ? state.exitCode : waited, oomKilled: state.oomKilled };
      } catch (err) {
        throw dockerError('waiting for container', err, { taskId: spec.taskId, tool: spec.tool, containerId: id });
      } finally {
        ended.abort();
        live.destroy();
        this.scheduleRemoval(id, spec);
      }
    })();
    // The executor awaits it; this only keeps an early rejection from counting as unhandled meanwhile.
    exit.catch(() => undefined);
    const stop = containerStopper({
      docker,
      clock,
      logger,
      containerId: id,
      taskId: spec.taskId,
      tool: spec.tool,
      ended: ended.signal,
      askToStop: () => docker.killContainer(id, 'SIGTERM'),
      ...(spec.traceContext !== undefined ? { traceContext: spec.traceContext } : {}),
    });
    return { containerId: id, exit, stop };
  }

  private async remove(id: string, spec: StepSpec): Promise<void> {
    const span = childSpan(spec.traceContext, 'container.remove', { 'container.id': id });
    try {
      await this.ctx.docker.removeContainer(id);
      this.ctx.onContainer('removed');
      span.end();
    } catch (err) {
      span.fail(err);
      // The reaper retries: the container carries this worker's id and no live task owns it.
      this.ctx.logger.warn('could not remove container; the reaper will retry', {
        component: 'executor',
        taskId: spec.taskId,
        containerId: shortId(id),
        error: String(err),
      });
    } finally {
      this.held.delete(id);
      // After the container (a volume in use cannot go); when that failed, disowned for the reaper.
      const volumes = this.volumes.get(id);
      this.volumes.delete(id);
      await volumes?.remove();
    }
  }

  /** Removal is off the result's critical path, but tracked so close() and idle() wait for it. */
  private scheduleRemoval(id: string, spec: StepSpec): void {
    const p = this.remove(id, spec).finally(() => this.removals.delete(p));
    this.removals.add(p);
  }
}
