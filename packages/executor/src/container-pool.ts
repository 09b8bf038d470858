import type { Clock } from './clock';
import type { Logger } from './logger';
import { shortId } from './logger';
import type { PoolContainerTimes, PoolKey } from './pool-container-config';
import type { PoolMetrics } from './pool-metrics';

/**
 * The warm pool's bookkeeping: which containers wait for a call of which key, their idle timers, and how
 * each one ends. It knows nothing about Docker: a `PoolDriver` creates, starts and removes containers, so
 * the state machine is tested with a fake driver and a manual clock.
 */

/**
 * One pooled container's life:
 * - `starting`: being created and started, not yet waiting for its call (a call may claim it and wait);
 * - `ready`: started, its agent blocked reading its one `RUN` frame; its idle timer runs;
 * - `taken`: claimed by one call (used once), until the runtime removed it after that call;
 * - `discarding`: idle, invalidated, dead or the pool closing: being removed, never handed out.
 */
export type PoolEntryState = 'starting' | 'ready' | 'taken' | 'discarding';

/**
 * The pool's own life:
 * - `open`: takes and prewarms;
 * - `closing`: `close()` called: every waiting container is being removed, nothing new is started;
 * - `closed`: every container the pool started has been removed (or handed to a call that finished).
 */
export type PoolState = 'open' | 'closing' | 'closed';

/** Why a pooled container was removed without serving a call. */
export type PoolDiscardReason =
  'idle' | 'died' | 'invalidated' | 'image-changed' | 'closed' | 'start-failed' | 'aborted';

/** Why a call found no pooled container. */
export type PoolMissReason = 'empty' | 'died' | 'image-changed' | 'egress' | 'closed';

/** One container the driver started; `gone` resolves when it can no longer serve a call. */
export interface WarmContainer {
  readonly id: string;
  readonly gone: Promise<void>;
}

export interface PoolDriver<T, W extends WarmContainer> {
  /**
   * Creates and starts one container for `template`, resolving once it waits for its call. Reports the id
   * as soon as the container exists (so the reaper leaves it alone). When `signal` aborts, or on any
   * failure, it removes what it created and rejects.
   */
  start(
    template: T,
    key: PoolKey,
    times: PoolContainerTimes,
    signal: AbortSignal,
    onCreated: (id: string) => void,
  ): Promise<W>;
  /** Force-removes a container (releasing what it holds); never rejects. */
  remove(id: string, container?: W): Promise<void>;
}

export interface ContainerPoolOptions<T, W extends WarmContainer> {
  driver: PoolDriver<T, W>;
  clock: Clock;
  logger: Logger;
  metrics: PoolMetrics;
  /** Containers ahead per key (starting + ready). */
  perKey: number;
  /** How long a container may wait for its call. */
  idleMs: number;
  /** Containers ahead in all (starting + ready). */
  maxContainers: number;
  /** The longest task timeout: a taken container may run this long after its idle deadline. */
  maxTimeoutMs: number;
}

interface Entry<T, W extends WarmContainer> {
  readonly key: PoolKey;
  readonly template: T;
  state: PoolEntryState;
  id: string | undefined;
  container: W | undefined;
  idleTimer: unknown;
  readonly abort: AbortController;
  /** Settles when the start did: the container, or undefined when it failed or was aborted. */
  started: Promise<W | undefined>;
}

/** A container claimed by one call. Call `release()` once the runtime removed it. */
export interface PoolClaim<W> {
  readonly container: W;
  release(): void;
}

export class ContainerPool<T, W extends WarmContainer> {
  private current: PoolState = 'open';
  private readonly entries = new Set<Entry<T, W>>();
  private readonly removals = new Set<Promise<void>>();
  private readonly removing = new Set<string>();

  constructor(private readonly options: ContainerPoolOptions<T, W>) {
    this.publish();
  }

  get state(): PoolState {
    return this.current;
  }

  /** Entries by state (for tests and the gauge). */
  counts(): Record<PoolEntryState, number> {
    const out: Record<PoolEntryState, number> = { starting: 0, ready: 0, taken: 0, discarding: 0 };
    for (const e of this.entries) out[e.state]++;
    return out;
  }

  /** True for every container the pool created and has not finished removing. */
  owns(id: string): boolean {
    if (this.removing.has(id)) return true;
    for (const e of this.entries) if (e.id === id) return true;
    return false;
  }

  /**
   * Claims a container for `key`: a ready one, else one still starting (waiting for it beats a cold start).
   * A miss says why; the caller then starts a container cold. Rejects only when `signal` aborts.
   */
  async take(key: PoolKey, signal: AbortSignal): Promise<PoolClaim<W> | { miss: PoolMissReason }> {
    if (this.current !== 'open') return { miss: 'closed' };
    const candidates = [...this.entries].filter((e) => e.key.text === key.text);
    const entry = candidates.find((e) => e.state === 'ready') ?? candidates.find((e) => e.state === 'starting');
    if (entry === undefined) return { miss: 'empty' };
    this.clearIdle(entry);
    this.transition(entry, 'taken');
    const container = entry.container ?? (await this.waitStarted(entry, signal));
    if (container === undefined) {
      this.entries.delete(entry);
      this.publish();
      return { miss: 'died' };
    }
    return { container, release: () => this.release(entry) };
  }

  /**
   * Starts a container for `key` ahead of its call, unless the key already has `perKey` ahead, the pool
   * holds `maxContainers`, or it is not open. Returns whether one was started.
   */
  prewarm(key: PoolKey, template: T): boolean {
    if (this.current !== 'open') return false;
    let ahead = 0;
    let total = 0;
    for (const e of this.entries) {
      if (e.state !== 'starting' && e.state !== 'ready') continue;
      total++;
      if (e.key.text === key.text) ahead++;
    }
    if (ahead >= this.options.perKey || total >= this.options.maxContainers) return false;
    const { clock, idleMs, maxTimeoutMs } = this.options;
    const idleDeadlineMs = clock.now() + idleMs;
    const entry: Entry<T, W> = {
      key,
      template,
      state: 'starting',
      id: undefined,
      container: undefined,
      idleTimer: undefined,
      abort: new AbortController(),
      started: Promise.resolve(undefined),
    };
    this.entries.add(entry);
    // The idle deadline counts from the request, so the label on the container states it exactly.
    entry.idleTimer = clock.setTimeout(() => {
      entry.idleTimer = undefined;
      this.discard(entry, 'idle');
    }, idleMs);
    entry.started = this.options.driver
      .start(template, key, { idleDeadlineMs, deadlineMs: idleDeadlineMs + maxTimeoutMs }, entry.abort.signal, (id) => {
        entry.id = id;
      })
      .then(
        (container) => {
          entry.container = container;
          entry.id = container.id;
          void container.gone.then(() => this.onGone(entry));
          if (entry.state === 'starting') this.transition(entry, 'ready');
          else if (entry.state === 'discarding') return this.finishDiscard(entry, container.id);
          return container;
        },
        (err: unknown) => {
          if (entry.state !== 'discarding') {
            this.options.logger.warn('warm pool: could not start a container', {
              component: 'executor-pool',
              poolKey: key.hash,
              error: String(err),
            });
            this.options.metrics.discarded('start-failed');
          }
          this.clearIdle(entry);
          this.entries.delete(entry);
          this.publish();
          return undefined;
        },
      );
    this.publish();
    return true;
  }

  /** Removes every waiting container (those `match` selects); taken ones finish their call. Returns how many. */
  invalidate(reason: PoolDiscardReason, match: (template: T) => boolean = () => true): number {
    let n = 0;
    for (const e of [...this.entries]) {
      if ((e.state === 'starting' || e.state === 'ready') && match(e.template)) {
        this.discard(e, reason);
        n++;
      }
    }
    if (n > 0) this.options.logger.info('warm pool invalidated', { component: 'executor-pool', reason, removed: n });
    return n;
  }

  /** Resolves once every removal started so far (and every start being aborted) has settled. */
  async settled(): Promise<void> {
    for (;;) {
      const pending = [
        ...this.removals,
        ...[...this.entries].filter((e) => e.state === 'discarding').map((e) => e.started),
      ];
      if (pending.length === 0) return;
      await Promise.allSettled(pending);
    }
  }

  /** Removes every waiting container and waits until all of them (and any being started) are gone. */
  async close(): Promise<void> {
    if (this.current === 'open') {
      this.current = 'closing';
      this.invalidate('closed');
    }
    for (;;) {
      const pending = [...this.removals, ...[...this.entries].map((e) => e.started)];
      if (pending.length === 0) break;
      await Promise.allSettled(pending);
      if (this.removals.size === 0 && [...this.entries].every((e) => e.state === 'taken')) break;
    }
    this.current = 'closed';
    this.publish();
  }

  // --- internals -------------------------------------------------------------------------------

  private waitStarted(entry: Entry<T, W>, signal: AbortSignal): Promise<W | undefined> {
    return new Promise<W | undefined>((resolve, reject) => {
      const onAbort = (): void => {
        // The call no longer wants it; nobody else may get a container a call gave up half-way.
        this.discard(entry, 'aborted');
        reject(signal.reason);
      };
      if (signal.aborted) return onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      void entry.started.then((c) => {
        signal.removeEventListener('abort', onAbort);
        resolve(c);
      });
    });
  }

  private onGone(entry: Entry<T, W>): void {
    if (entry.state === 'ready' || entry.state === 'starting') this.discard(entry, 'died');
  }

  private release(entry: Entry<T, W>): void {
    this.entries.delete(entry);
    this.publish();
  }

  private discard(entry: Entry<T, W>, reason: PoolDiscardReason): void {
    if (entry.state === 'discarding') return;
    this.clearIdle(entry);
    this.transition(entry, 'discarding');
    this.options.metrics.discarded(reason);
    this.options.logger.debug('warm pool: discarding container', {
      component: 'executor-pool',
      poolKey: entry.key.hash,
      reason,
      ...(entry.id !== undefined ? { containerId: shortId(entry.id) } : {}),
    });
    if (entry.container !== undefined) {
      void this.finishDiscard(entry, entry.container.id);
    } else {
      // Still starting: the driver removes what it created and rejects; `started` then drops the entry.
      entry.abort.abort(new Error(`pool container discarded (${reason})`));
    }
  }

  /** Removes a discarded container that exists; resolves undefined (it serves no call). */
  private finishDiscard(entry: Entry<T, W>, id: string): Promise<undefined> {
    this.entries.delete(entry);
    this.removing.add(id);
    const p = this.options.driver.remove(id, entry.container).finally(() => {
      this.removing.delete(id);
      this.removals.delete(p);
    });
    this.removals.add(p);
    this.publish();
    return p.then(() => undefined);
  }

  private clearIdle(entry: Entry<T, W>): void {
    if (entry.idleTimer !== undefined) this.options.clock.clearTimeout(entry.idleTimer);
    entry.idleTimer = undefined;
  }

  private transition(entry: Entry<T, W>, state: PoolEntryState): void {
    entry.state = state;
    this.publish();
  }

  private publish(): void {
    const c = this.counts();
    this.options.metrics.containers(c.starting, c.ready, c.taken);
  }
}
