import type { ContainerPlan } from './container-config';
import { ExecutorError } from './errors';
import { shortId } from './logger';
import type { MetricMeter } from './metric-meter';
import { sandboxAgentPath } from './sandbox-agent-path';
import { bindingMismatch, bindingOf } from './session-binding';
import type { SessionBinding } from './session-binding';
import { SessionContainer } from './session-container';
import { COUNTED_SESSION_STATES, SessionMetrics } from './session-metrics';
import type { SessionCloseReason } from './session-metrics';
import type { ResolvedSessionOptions } from './session-options';
import { Slots } from './slots';
import type { RunningStep, StepRuntime, StepRuntimeContext, StepSpec } from './step-runtime';

/**
 * The life of one session (`executor.listSessions()` shows it):
 * - `starting`: its container is being created and started, and the agent has not said READY; calls wait.
 * - `ready`: the container is up and no call runs; the idle timer is armed.
 * - `busy`: at least one call runs (calls of one session may overlap: the agent multiplexes them).
 * - `closing`: closed (idle, lifetime, explicit, evicted, drain, policy); takes no call; its container is being
 *   removed (at the lifetime's end, once its running calls finished).
 * - `closed`: the container is removed and the session forgotten; a later call with its id starts a new one.
 * - `broken`: its container died (killed, OOM, the engine): no container now; the next call starts a new
 *   one, bound as before, and its result says `sessionRestarted`. Forgotten after `idleMs` without a call.
 */
export type SessionState = 'starting' | 'ready' | 'busy' | 'closing' | 'closed' | 'broken';

/** One session as `executor.listSessions()` reports it: a snapshot, not a handle. */
export interface SessionInfo {
  sessionId: string;
  state: SessionState;
  /** The judged workspace's real path; null for a session without a workspace. */
  workspace: string | null;
  workspaceMode: 'readonly' | 'readwrite';
  image: string;
  /** When the session was created (the executor's clock, ms since the epoch). */
  createdAt: number;
  /** When its last call began or ended. */
  lastUsedAt: number;
  /** Calls run in it so far (across restarts). */
  calls: number;
  /** Times its container died and was replaced. */
  restarts: number;
  /** Its container now; null while there is none (broken, or not yet created). */
  containerId: string | null;
}

interface Session {
  readonly id: string;
  readonly binding: SessionBinding;
  state: SessionState;
  readonly createdAt: number;
  lastUsedAt: number;
  calls: number;
  active: number;
  restarts: number;
  container: SessionContainer | undefined;
  containerId: string | null;
  starting: Promise<SessionContainer> | undefined;
  /** The next call is the first on a container that replaced a dead one. */
  restartPending: boolean;
  idleTimer: unknown;
  lifetimeTimer: unknown;
  closing: Promise<void> | undefined;
  /** Set while a lifetime close waits for running calls to end; called when they have (or to stop waiting). */
  whenIdle: (() => void) | undefined;
  /** The runtime's policy epoch its binding was last judged under (see `invalidate`). */
  policyEpoch: number;
}

export interface SessionRuntimeOptions {
  sessions: ResolvedSessionOptions;
  meter: MetricMeter;
  /** Steps without a session id, and web tools (their egress proxy lives per call), run here. */
  fallback: StepRuntime;
  /** @default sandboxAgentPath */
  agentPath?: () => string;
}

/**
 * The session `StepRuntime`: a task with a session id runs each of its steps as one call of the
 * in-sandbox agent inside the session's long-lived hardened container; every other step goes to the
 * fallback runtime. Sessions are bound on first use (see session-binding.ts), kept per id, expired on the
 * injected clock, limited to `maxSessions`, and recreated when their container dies.
 */
export class SessionRuntime implements StepRuntime {
  private readonly sessions = new Map<string, Session>();
  /** Sessions taken out of `sessions` and not yet closed. */
  private readonly closingSessions = new Set<Session>();
  /** Session containers created and not yet removed: the reaper must not take them. */
  private readonly held = new Set<string>();
  private readonly starts: Slots;
  private readonly metrics: SessionMetrics;
  private readonly agentPath: () => string;
  private disposed = false;
  /** Bumped by `invalidate()` (a policy reload): sessions judged before it may be rebound once. */
  private policyEpoch = 0;

  constructor(
    private readonly ctx: StepRuntimeContext,
    private readonly options: SessionRuntimeOptions,
  ) {
    this.starts = new Slots(ctx.maxConcurrentStarts);
    this.metrics = new SessionMetrics(options.meter);
    this.agentPath = options.agentPath ?? sandboxAgentPath;
  }

  /**
   * Whether a step runs in a session: the request named one (the executor's default `sessionId` only
   * labels), and it needs no egress (web tools run per call, through their own egress proxy).
   */
  static routes(spec: Pick<StepSpec, 'plan'>): boolean {
    return spec.plan.runInSession !== undefined && spec.plan.egressDir === undefined;
  }

  async start(spec: StepSpec, signal: AbortSignal): Promise<RunningStep> {
    if (!SessionRuntime.routes(spec)) return this.options.fallback.start(spec, signal);
    signal.throwIfAborted();
    const { session: s, container } = await this.acquire(spec.plan, signal);
    spec.onContainer?.(container.id);
    const restarted = s.restartPending;
    s.restartPending = false;
    this.callBegan(s, spec.tool);
    const running = container.run(spec);
    const end = (): void => this.callEnded(s);
    running.exit.then(end, end);
    return restarted ? { ...running, sessionRestarted: true } : running;
  }

  /** Creates (or checks the binding of) the plan's session and waits for its container. */
  async prewarm(plan: ContainerPlan): Promise<SessionInfo> {
    const { session } = await this.acquire(plan, undefined);
    return info(session);
  }

  /** Closes a session now (its running calls fail with SESSION_CLOSED). False when there is none. */
  async closeSession(sessionId: string): Promise<boolean> {
    const s = this.sessions.get(sessionId);
    if (s === undefined) return false;
    await this.close(s, 'explicit');
    return true;
  }

  list(): SessionInfo[] {
    return [...this.sessions.values(), ...this.closingSessions].map(info).sort((a, b) => a.createdAt - b.createdAt);
  }

  owns(containerId: string): boolean {
    return this.held.has(containerId) || this.options.fallback.owns(containerId);
  }

  /**
   * A policy reload: the fallback's warm pool drops its waiting containers, and every session becomes
   * rebindable. Its next call is judged under the new policy as always; when that call's plan still shapes
   * the session's container, the session simply goes on; when it no longer does (new limits, image, user...)
   * and no call of the session is running, the session is closed (reason `policy`) and a new one is bound to
   * the new plan, the call's result saying `sessionRestarted`. Without a reload such a call is a
   * `SESSION_MISMATCH`, as before.
   */
  invalidate(reason: string): number {
    this.policyEpoch++;
    return this.options.fallback.invalidate?.(reason) ?? 0;
  }

  async idle(): Promise<void> {
    await Promise.allSettled([...this.closingSessions].map((s) => s.closing));
    await this.options.fallback.idle();
  }

  /** Closes every session (reason `drain`) and leaves no container, then disposes the fallback. */
  async dispose(): Promise<void> {
    this.disposed = true;
    const all = [...this.sessions.values(), ...this.closingSessions];
    await Promise.allSettled(all.map((s) => this.close(s, 'drain')));
    await this.options.fallback.dispose();
  }

  // --- internals -------------------------------------------------------------------------------

  private async acquire(
    plan: ContainerPlan,
    signal: AbortSignal | undefined,
  ): Promise<{ session: Session; container: SessionContainer }> {
    const context = { taskId: plan.taskId, tool: plan.tool };
    if (this.disposed) throw new ExecutorError('EXECUTOR_CLOSED', 'the executor is closed', context);
    const id = plan.runInSession;
    if (id === undefined) throw new ExecutorError('INVALID_REQUEST', 'a session call needs a session id', context);
    const binding = bindingOf(plan);
    let s = this.sessions.get(id);
    if (s !== undefined && s.policyEpoch !== this.policyEpoch) {
      const stale = s;
      if (bindingMismatch(stale.binding, binding).length === 0) stale.policyEpoch = this.policyEpoch;
      else if (stale.active === 0 && stale.state !== 'closing') {
        this.ctx.logger.info('the policy changed what this session needs: closing it for a new one', {
          component: 'executor',
          sessionId: id,
          taskId: plan.taskId,
        });
        await this.close(stale, 'policy');
        s = this.create(id, binding);
        s.restartPending = true;
      }
    }
    if (s !== undefined) {
      const diff = bindingMismatch(s.binding, binding);
      if (diff.length > 0)
        throw new ExecutorError(
          'SESSION_MISMATCH',
          `session '${id}' is bound to another container than this call needs (session vs call): ${diff.join('; ')}; ` +
            'use another session id, or close the session first',
          { ...context, detail: diff.map((d) => d.slice(0, d.indexOf(':'))).join(',') },
        );
    } else {
      this.makeRoom(id, context);
      s = this.create(id, binding);
    }
    if (s.state === 'broken') this.makeRoom(id, context);
    if (s.container === undefined && s.starting === undefined) this.launch(s, plan);
    const container = s.container ?? (await waitFor(s.starting as Promise<SessionContainer>, signal));
    if (s.container !== container || (s.state !== 'ready' && s.state !== 'busy'))
      throw new ExecutorError('SESSION_CLOSED', `session '${id}' was closed while its container started`, context);
    return { session: s, container };
  }

  private create(id: string, binding: SessionBinding): Session {
    const now = this.ctx.clock.now();
    const s: Session = {
      id,
      binding,
      state: 'starting',
      createdAt: now,
      lastUsedAt: now,
      calls: 0,
      active: 0,
      restarts: 0,
      container: undefined,
      containerId: null,
      starting: undefined,
      restartPending: false,
      idleTimer: undefined,
      lifetimeTimer: undefined,
      closing: undefined,
      whenIdle: undefined,
      policyEpoch: this.policyEpoch,
    };
    this.sessions.set(id, s);
    return s;
  }

  /** At `maxSessions`: evict the least recently used idle session (`evict-idle`), or refuse. */
  private makeRoom(id: string, context: { taskId: string; tool: string }): void {
    const { maxSessions, whenFull } = this.options.sessions;
    const holding = [...this.sessions.values()].filter((s) => s.state !== 'broken');
    if (holding.length < maxSessions) return;
    const idle = holding
      .filter((s) => s.state === 'ready' && s.active === 0)
      .sort((a, b) => a.lastUsedAt - b.lastUsedAt);
    const victim = whenFull === 'evict-idle' ? idle[0] : undefined;
    if (victim === undefined)
      throw new ExecutorError(
        'SESSION_LIMIT',
        `session '${id}' cannot start: ${maxSessions} sessions are open (sessions.maxSessions)` +
          (whenFull === 'refuse' ? ' and sessions.whenFull is refuse' : ' and every one is running a call'),
        context,
      );
    this.ctx.logger.info('evicting the least recently used idle session', {
      component: 'executor',
      sessionId: victim.id,
      for: id,
    });
    void this.close(victim, 'evicted');
  }

  private launch(s: Session, plan: ContainerPlan): void {
    const { clock } = this.ctx;
    s.state = 'starting';
    this.publish();
    const expiresAt = clock.now() + this.options.sessions.maxLifetimeMs;
    const starting = (async () => {
      const release = await this.starts.acquire();
      try {
        const agentPath = this.agentPath();
        return await SessionContainer.start(this.ctx, plan, { sessionId: s.id, agentPath, expiresAt }, (cid) => {
          s.containerId = cid;
          this.held.add(cid);
        });
      } finally {
        release();
      }
    })();
    s.starting = starting;
    starting.then(
      (container) => this.onStarted(s, container, expiresAt),
      () => {
        if (s.containerId !== null) this.held.delete(s.containerId);
        s.starting = undefined;
        s.containerId = null;
        if (s.state === 'starting') this.forget(s);
      },
    );
    starting.catch(() => undefined);
  }

  private onStarted(s: Session, container: SessionContainer, expiresAt: number): void {
    s.starting = undefined;
    void container.died.then(() => this.onDied(s, container));
    if (s.state !== 'starting') return void this.removeContainer(container); // closed while starting
    s.container = container;
    s.state = s.active > 0 ? 'busy' : 'ready';
    const { clock } = this.ctx;
    s.lifetimeTimer = clock.setTimeout(
      () => {
        s.lifetimeTimer = undefined;
        void this.close(s, 'lifetime', 'after-calls');
      },
      Math.max(0, expiresAt - clock.now()),
    );
    if (s.active === 0) this.armIdle(s);
    this.ctx.logger.debug('session ready', {
      component: 'executor',
      sessionId: s.id,
      containerId: shortId(container.id),
    });
    this.publish();
  }

  /** The container exited on its own (or was killed from outside): the session breaks, the next call restarts it. */
  private onDied(s: Session, container: SessionContainer): void {
    void this.removeContainer(container);
    if (s.container !== container || s.state === 'closing' || s.state === 'closed') return;
    this.ctx.logger.warn('session container died; the next call gets a new one', {
      component: 'executor',
      sessionId: s.id,
      containerId: shortId(container.id),
    });
    s.container = undefined;
    s.containerId = null;
    s.state = 'broken';
    s.restartPending = true;
    s.restarts++;
    this.clearTimers(s);
    this.metrics.ended('died');
    this.armIdle(s);
    this.publish();
  }

  private callBegan(s: Session, tool: string): void {
    this.ctx.clock.clearTimeout(s.idleTimer);
    s.idleTimer = undefined;
    s.active++;
    s.calls++;
    s.lastUsedAt = this.ctx.clock.now();
    if (s.state === 'ready') s.state = 'busy';
    this.metrics.call(tool);
    this.publish();
  }

  private callEnded(s: Session): void {
    s.active--;
    s.lastUsedAt = this.ctx.clock.now();
    if (s.active > 0) return;
    if (s.state === 'busy') {
      s.state = 'ready';
      this.armIdle(s);
    }
    s.whenIdle?.();
    this.publish();
  }

  /** Ready sessions close after `idleMs` without a call; broken ones are forgotten then. */
  private armIdle(s: Session): void {
    this.ctx.clock.clearTimeout(s.idleTimer);
    s.idleTimer = this.ctx.clock.setTimeout(() => {
      s.idleTimer = undefined;
      if (s.state === 'broken') this.forget(s);
      else if (s.state === 'ready' && s.active === 0) void this.close(s, 'idle');
    }, this.options.sessions.idleMs);
  }

  private clearTimers(s: Session): void {
    this.ctx.clock.clearTimeout(s.idleTimer);
    this.ctx.clock.clearTimeout(s.lifetimeTimer);
    s.idleTimer = undefined;
    s.lifetimeTimer = undefined;
  }

  /** Drops a session that holds no container (broken, or failed to start). */
  private forget(s: Session): void {
    this.clearTimers(s);
    if (this.sessions.get(s.id) === s) this.sessions.delete(s.id);
    s.state = 'closed';
    this.publish();
  }

  /**
   * Closes a session: it leaves the registry at once (a new call with its id starts a new session) and
   * its container is removed, now or (`after-calls`, the lifetime's end) once its running calls ended.
   */
  private close(s: Session, reason: SessionCloseReason, when: 'now' | 'after-calls' = 'now'): Promise<void> {
    if (s.closing !== undefined) {
      if (when === 'now') s.whenIdle?.();
      return s.closing;
    }
    this.clearTimers(s);
    if (this.sessions.get(s.id) === s) this.sessions.delete(s.id);
    if (s.state === 'broken' || s.state === 'closed') {
      s.state = 'closed';
      this.publish();
      return Promise.resolve();
    }
    s.state = 'closing';
    this.closingSessions.add(s);
    this.metrics.ended(reason);
    this.ctx.logger.info('closing session', { component: 'executor', sessionId: s.id, reason, calls: s.calls });
    this.publish();
    s.closing = (async () => {
      if (when === 'after-calls' && s.active > 0) await new Promise<void>((resolve) => (s.whenIdle = resolve));
      s.whenIdle = undefined;
      const container = s.container ?? (await s.starting?.catch(() => undefined));
      if (container !== undefined) {
        await container.close(reason);
        this.held.delete(container.id);
      }
      s.container = undefined;
      s.containerId = null;
      s.state = 'closed';
      this.closingSessions.delete(s);
      this.publish();
    })();
    return s.closing;
  }

  private async removeContainer(container: SessionContainer): Promise<void> {
    await container.remove();
    this.held.delete(container.id);
  }

  private publish(): void {
    const counts = Object.fromEntries(COUNTED_SESSION_STATES.map((state) => [state, 0])) as Record<
      (typeof COUNTED_SESSION_STATES)[number],
      number
    >;
    for (const s of [...this.sessions.values(), ...this.closingSessions]) if (s.state !== 'closed') counts[s.state]++;
    this.metrics.states(counts);
  }
}

function info(s: Session): SessionInfo {
  return {
    sessionId: s.id,
    state: s.state,
    workspace: s.binding.workspace?.source ?? null,
    workspaceMode: s.binding.workspaceMode,
    image: s.binding.image,
    createdAt: s.createdAt,
    lastUsedAt: s.lastUsedAt,
    calls: s.calls,
    restarts: s.restarts,
    containerId: s.containerId,
  };
}

/** `p`, or the signal's reason once it aborts (the session's container keeps starting for the next call). */
function waitFor<T>(p: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return p;
  signal.throwIfAborted();
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
