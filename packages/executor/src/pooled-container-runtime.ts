import type { ContainerPlan } from './container-config';
import { ContainerPool } from './container-pool';
import type { PoolEntryState, PoolMissReason, PoolState } from './container-pool';
import { FreshContainerRuntime } from './fresh-container-runtime';
import type { MetricMeter } from './metric-meter';
import { poolKey } from './pool-container-config';
import type { PoolKey } from './pool-container-config';
import { PoolMetrics } from './pool-metrics';
import { PooledContainerDriver } from './pooled-container';
import type { PooledContainer } from './pooled-container';
import { Slots } from './slots';
import type { RunningStep, StepRuntime, StepRuntimeContext, StepSpec } from './step-runtime';
import { annotate, traced } from './tracing';

/** The warm pool's settings (`ExecutorOptions.pool`, resolved). */
export interface PoolSettings {
  /** Containers ahead per key. */
  perKey: number;
  /** How long a pooled container waits for its call before it is removed. */
  idleMs: number;
  /** Containers ahead in all. */
  maxContainers: number;
  /** The executor's `maxTimeoutMs` (how long a taken container may still run after its idle deadline). */
  maxTimeoutMs: number;
  /** Host path of the in-sandbox agent binary (`sandboxAgentPath()`). */
  agentPath: string;
  meter: MetricMeter;
}

/**
 * The second `StepRuntime`: still one fresh container per call, but started ahead of time. After a step of
 * key K ends, a container for K is created and started with that call's hardening, mounts and limits, its
 * entry the mount gate wrapping the in-sandbox agent in `--once` mode, blocked reading one `RUN` frame. The
 * next step of key K takes it (used once), sends its argv, env and stdin as that frame, and gets its output
 * as frames; a step without a waiting container starts cold on `FreshContainerRuntime`, exactly as before.
 * Web tools (a per-task egress socket directory in their mounts) are never pooled. Under gVisor a waiting
 * container mounts its workspace from descriptors of its own (descriptor-mounts.ts), and the key names
 * the mounts' judged identities.
 */
export class PooledContainerRuntime implements StepRuntime {
  readonly metrics: PoolMetrics;
  private readonly fresh: FreshContainerRuntime;
  private readonly driver: PooledContainerDriver;
  private readonly pool: ContainerPool<ContainerPlan, PooledContainer>;
  /** Taken containers until removed after their call. */
  private readonly held = new Set<string>();
  private readonly removals = new Set<Promise<void>>();
  private readonly prewarms = new Set<Promise<void>>();
  /** Bumped by `invalidate()`: a step judged before it never prewarms (its plan may be the old policy's). */
  private epoch = 0;
  /** The image id each pooled key was made with, by image reference. */
  private readonly imageIds = new Map<string, string | undefined>();

  constructor(
    private readonly ctx: StepRuntimeContext,
    private readonly settings: PoolSettings,
  ) {
    const starts = new Slots(ctx.maxConcurrentStarts);
    this.fresh = new FreshContainerRuntime(ctx, starts);
    this.driver = new PooledContainerDriver(ctx, starts, settings.agentPath);
    this.metrics = new PoolMetrics(settings.meter);
    this.pool = new ContainerPool({
      driver: this.driver,
      clock: ctx.clock,
      logger: ctx.logger,
      metrics: this.metrics,
      perKey: settings.perKey,
      idleMs: settings.idleMs,
      maxContainers: settings.maxContainers,
      maxTimeoutMs: settings.maxTimeoutMs,
    });
  }

  get poolState(): PoolState {
    return this.pool.state;
  }

  poolCounts(): Record<PoolEntryState, number> {
    return this.pool.counts();
  }

  owns(containerId: string): boolean {
    return this.held.has(containerId) || this.pool.owns(containerId) || this.fresh.owns(containerId);
  }

  async idle(): Promise<void> {
    while (this.removals.size > 0 || this.prewarms.size > 0)
      await Promise.allSettled([...this.removals, ...this.prewarms]);
    await this.pool.settled();
    await this.fresh.idle();
  }

  async dispose(): Promise<void> {
    await this.idle();
    await this.pool.close();
    await this.idle();
  }

  invalidate(reason: string): number {
    this.ctx.logger.info('warm pool: invalidating', { component: 'executor-pool', reason });
    this.epoch++;
    return this.pool.invalidate('invalidated');
  }

  async start(spec: StepSpec, signal: AbortSignal): Promise<RunningStep> {
    signal.throwIfAborted();
    const plan = spec.plan;
    const epoch = this.epoch;
    if (plan.egressDir !== undefined) {
      this.metrics.miss(spec.tool, 'egress');
      annotate(spec.traceContext, { 'baaaht.pool': 'miss', 'baaaht.pool.miss_reason': 'egress' });
      return this.fresh.start(spec, signal);
    }
    const requested = this.ctx.clock.now();
    const claimed = await this.claim(plan, signal);
    if ('miss' in claimed) {
      this.metrics.miss(spec.tool, claimed.miss);
      annotate(spec.traceContext, { 'baaaht.pool': 'miss', 'baaaht.pool.miss_reason': claimed.miss });
      const running = await this.fresh.start(spec, signal);
      this.after(running, plan, epoch);
      return running;
    }
    this.metrics.hit(spec.tool);
    const { container, release } = claimed.claim;
    annotate(spec.traceContext, { 'baaaht.pool': 'hit', 'container.id': container.id });
    this.held.add(container.id);
    spec.onContainer?.(container.id);
    this.ctx.onContainerStarted(spec.tool, (this.ctx.clock.now() - requested) / 1000);
    const running = this.driver.run(container, spec, () => {
      const removal = traced(spec.traceContext, 'container.remove', { 'container.id': container.id }, () =>
        this.driver.remove(container.id),
      );
      const p = removal.finally(() => {
        this.held.delete(container.id);
        release();
        this.removals.delete(p);
      });
      this.removals.add(p);
    });
    this.after(running, plan, epoch);
    return running;
  }

  /** A waiting container for the plan's key, checked against the image's current id; or why there is none. */
  private async claim(
    plan: ContainerPlan,
    signal: AbortSignal,
  ): Promise<{ claim: { container: PooledContainer; release(): void } } | { miss: PoolMissReason }> {
    if (!this.imageIds.has(plan.image)) return { miss: 'empty' };
    const key = this.keyFor(plan, this.imageIds.get(plan.image));
    const taken = await this.pool.take(key, signal);
    if ('miss' in taken) return taken;
    const { container } = taken;
    const current = await this.currentImageId(plan.image).catch(() => null);
    if (current === null || current !== this.imageIds.get(plan.image) || !container.alive) {
      const reason = container.alive ? 'image-changed' : 'died';
      await this.driver.remove(container.id, container);
      taken.release();
      this.metrics.discarded(reason);
      if (reason === 'image-changed') this.imageChanged(plan.image, current ?? undefined);
      return { miss: reason };
    }
    return { claim: taken };
  }

  /** After a step ends, the next container for its key is started ahead (off the result's path). */
  private after(running: RunningStep, plan: ContainerPlan, epoch: number): void {
    const template: ContainerPlan = { ...plan, pins: [...(plan.pins ?? [])] };
    void running.exit
      .catch(() => undefined)
      .then(() => {
        const p = this.prewarm(template, epoch).finally(() => this.prewarms.delete(p));
        this.prewarms.add(p);
      });
  }

  private async prewarm(plan: ContainerPlan, epoch: number): Promise<void> {
    if (this.pool.state !== 'open' || epoch !== this.epoch) return;
    let id: string | undefined;
    try {
      id = await this.currentImageId(plan.image);
    } catch (err) {
      this.ctx.logger.debug('warm pool: cannot inspect the image; not prewarming', {
        component: 'executor-pool',
        image: plan.image,
        error: String(err),
      });
      return;
    }
    if (this.imageIds.has(plan.image) && this.imageIds.get(plan.image) !== id) this.imageChanged(plan.image, id);
    this.imageIds.set(plan.image, id);
    if (epoch !== this.epoch) return;
    this.pool.prewarm(this.keyFor(plan, id), plan);
  }

  /** A newer image under the same name: every container made from the old one goes. */
  private imageChanged(image: string, id: string | undefined): void {
    this.ctx.logger.info('warm pool: image changed; removing its waiting containers', {
      component: 'executor-pool',
      image,
      imageId: id,
    });
    this.imageIds.set(image, id);
    this.pool.invalidate('image-changed', (t) => t.image === image);
  }

  private currentImageId(image: string): Promise<string | undefined> {
    const inspect = this.ctx.docker.imageId;
    return inspect === undefined ? Promise.resolve(image) : inspect.call(this.ctx.docker, image);
  }

  private keyFor(plan: ContainerPlan, imageId: string | undefined): PoolKey {
    return poolKey(plan, this.settings.agentPath, imageId);
  }
}
