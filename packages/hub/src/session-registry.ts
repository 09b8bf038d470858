import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { AgentCapabilities, AgentMetadata } from '@baaaht/proto';
import type { HeartbeatRequest, RegisterRequest } from '@baaaht/proto';
import type { Clock } from './clock';
import { HubError, invalidField } from './errors';
import type { RequeueReason } from './hub-metrics';
import type { Logger } from './logger';
import { checkRegistration } from './registration-limits';
import type { HubCoreLimits } from './registration-limits';
import type { AgentRecord, TaskStore } from './task-store';
import { channelOf, heartbeatAvailability, newSession } from './worker-session';
import type { WorkerSession } from './worker-session';

/** Constant-time: both sides are hashed to 32 bytes first, so neither length nor content leaks through timing. */
export function tokenMatches(expected: string, given: string): boolean {
  const a = createHash('sha256').update(expected).digest();
  const b = createHash('sha256').update(given).digest();
  return timingSafeEqual(a, b) && expected !== '';
}

/** What the registry asks of the rest of the hub when a session loses its tasks or leaves. */
export interface SessionHooks {
  /** Takes every outstanding task back from `session` (re-queued, or finished if cancel was requested). */
  release(session: WorkerSession, reason: string, kind: RequeueReason): void;
  /** `session` left the registry (unregistered or expired); its stream is already closed. */
  dropped(session: WorkerSession): void;
  /** Tasks went back to the queue outside any call: dispatch again. */
  changed(): void;
}

export interface SessionRegistryOptions {
  store: TaskStore;
  clock: Clock;
  logger: Logger;
  leaseMs: number;
  limits: HubCoreLimits;
  hooks: SessionHooks;
}

/**
 * Registered workers: Register (with resume), tokens, heartbeats, Unregister, the registration TTL,
 * the registration cap, and the lease that keeps a disconnected worker's tasks for `leaseMs`.
 * Sessions are saved to the store, so a restarted hub knows its workers (see `recover`).
 *
 * State: `open`, then `closed` after `close()` (final: every timer cleared, none started again).
 */
export class SessionRegistry {
  private readonly sessions = new Map<string, WorkerSession>();
  private state: 'open' | 'closed' = 'open';

  constructor(private readonly options: SessionRegistryOptions) {}

  get(agentId: string): WorkerSession | undefined {
    return this.sessions.get(agentId);
  }

  get size(): number {
    return this.sessions.size;
  }

  values(): IterableIterator<WorkerSession> {
    return this.sessions.values();
  }

  /** The sessions by agent id, read-only (for listings). */
  get byId(): ReadonlyMap<string, WorkerSession> {
    return this.sessions;
  }

  /** Loads the stored sessions after a restart: each starts disconnected, as if its stream had just closed. */
  recover(): void {
    const now = this.options.clock.now();
    for (const record of this.options.store.listAgents()) {
      this.sessions.set(record.agentId, newSession(record, now, true));
    }
  }

  /** Starts the lease and expiry timers of the recovered sessions once their tasks are known. */
  startRecovered(): void {
    for (const session of this.sessions.values()) {
      if (session.outstanding.size > 0) this.scheduleLease(session);
      this.scheduleExpiry(session);
    }
  }

  register(req: RegisterRequest): { session: WorkerSession; resumed: boolean } {
    if (!req.name) throw invalidField('name', 'is required');
    const { store, clock, logger, limits } = this.options;
    const metadata = AgentMetadata.fromPartial(req.metadata ?? {});
    const capabilities = AgentCapabilities.fromPartial(req.capabilities ?? {});
    checkRegistration(req.name, metadata, capabilities, limits);
    const now = clock.now();
    const previous = req.resumeAgentId ? this.sessions.get(req.resumeAgentId) : undefined;
    if (previous && tokenMatches(previous.record.token, req.resumeToken)) {
      previous.record = { ...previous.record, name: req.name, metadata, capabilities };
      previous.lastSeen = now;
      previous.refusedTools.clear();
      store.saveAgent(previous.record);
      logger.info('worker resumed', { component: 'hub', agentId: previous.record.agentId });
      return { session: previous, resumed: true };
    }
    if (this.sessions.size >= limits.maxRegistrations) {
      logger.warn('registration refused: hub is full', { component: 'hub', registrations: this.sessions.size });
      throw new HubError(
        'RESOURCE_EXHAUSTED',
        `registrations: at most ${limits.maxRegistrations} live workers, and the hub holds that many`,
      );
    }
    const record: AgentRecord = {
      agentId: randomUUID(),
      token: randomBytes(24).toString('base64url'),
      name: req.name,
      registeredAt: now,
      metadata,
      capabilities,
    };
    store.saveAgent(record);
    const session = newSession(record, now);
    this.sessions.set(record.agentId, session);
    this.scheduleExpiry(session);
    logger.info('worker registered', { component: 'hub', agentId: record.agentId, name: req.name });
    return { session, resumed: false };
  }

  /**
   * The session of `agentId` if `token` is its registration token; undefined for an id the hub does not
   * know; UNAUTHENTICATED for a known id with a missing or wrong token (and nothing changes).
   */
  authenticate(agentId: string, token: string): WorkerSession | undefined {
    const session = this.sessions.get(agentId);
    if (!session) return undefined;
    if (!tokenMatches(session.record.token, token)) {
      this.options.logger.warn('worker call with a bad token', { component: 'hub', agentId });
      throw new HubError('UNAUTHENTICATED', 'missing or wrong worker token for this agent id', { agentId });
    }
    return session;
  }

  /** Says goodbye for the worker that owns `token`; false for an unknown id. */
  unregister(agentId: string, token: string): boolean {
    const session = this.authenticate(agentId, token);
    if (!session) return false;
    this.drop(session, 'worker unregistered');
    return true;
  }

  /** Renews the session; undefined for an unknown id (the worker must register again). */
  heartbeat(req: HeartbeatRequest): WorkerSession | undefined {
    const session = this.authenticate(req.agentId, req.token);
    if (!session) return undefined;
    this.touch(session);
    session.activeTasks = req.activeTasks.slice(0, this.options.limits.maxListEntries);
    session.freeSlots = req.freeSlots;
    session.resources = req.resources;
    // Draining is the worker's own state: its authenticated heartbeat both sets and clears it.
    session.availability = heartbeatAvailability(session.availability, req.draining);
    return session;
  }

  /** Any sign of life renews the leases of the worker's tasks. */
  touch(session: WorkerSession): void {
    session.lastSeen = this.options.clock.now();
    if (session.connection.kind !== 'streaming' && session.outstanding.size > 0) this.scheduleLease(session);
  }

  /** A Work stream opened: no lease or expiry runs while it is open. */
  streamOpened(session: WorkerSession): void {
    this.clearTimers(session);
  }

  /** The Work stream closed: the lease starts for held tasks, and the registration may now expire. */
  streamClosed(session: WorkerSession): void {
    if (session.outstanding.size > 0) this.scheduleLease(session);
    this.scheduleExpiry(session);
  }

  /** Removes the session, takes its tasks back and ends its stream. */
  private drop(session: WorkerSession, reason: string): void {
    const { agentId } = session.record;
    this.sessions.delete(agentId);
    this.options.store.deleteAgent(agentId);
    this.clearTimers(session);
    this.options.hooks.release(session, reason, 'worker_gone');
    channelOf(session)?.close();
    session.connection = { kind: 'disconnected', since: this.options.clock.now() };
    this.options.logger.info(reason, { component: 'hub', agentId });
    this.options.hooks.dropped(session);
  }

  /**
   * Drops a registration that never opened its Work stream `registrationTtlMs` after Register, and one
   * whose stream closed once it holds no task and has been silent that long.
   */
  private scheduleExpiry(session: WorkerSession): void {
    // A stream closed by close() itself must not start a timer that outlives the hub (and its store).
    if (this.state === 'closed') return;
    const { clock } = this.options;
    const ttl = this.options.limits.registrationTtlMs;
    if (session.expiryTimer !== undefined) clock.clearTimeout(session.expiryTimer);
    const since = (): number => (session.connection.kind === 'registered' ? session.connection.at : session.lastSeen);
    const due = session.outstanding.size > 0 ? ttl : Math.max(0, since() + ttl - clock.now());
    session.expiryTimer = clock.setTimeout(() => {
      session.expiryTimer = undefined;
      if (this.state === 'closed' || session.connection.kind === 'streaming' || !this.isCurrent(session)) return;
      if (session.outstanding.size > 0 || clock.now() - since() < ttl) return this.scheduleExpiry(session);
      const reason =
        session.connection.kind === 'registered'
          ? 'registration expired without a Work stream'
          : 'registration expired';
      this.drop(session, reason);
    }, due);
  }

  private scheduleLease(session: WorkerSession): void {
    if (this.state === 'closed') return;
    const { clock, leaseMs, logger } = this.options;
    if (session.leaseTimer !== undefined) clock.clearTimeout(session.leaseTimer);
    const due = Math.max(0, session.lastSeen + leaseMs - clock.now());
    session.leaseTimer = clock.setTimeout(() => {
      session.leaseTimer = undefined;
      if (this.state === 'closed' || session.connection.kind === 'streaming' || !this.isCurrent(session)) return;
      if (clock.now() - session.lastSeen < leaseMs) return this.scheduleLease(session);
      logger.warn('worker lease expired', {
        component: 'hub',
        agentId: session.record.agentId,
        tasks: session.outstanding.size,
      });
      this.options.hooks.release(session, 'lease expired', 'lease_expired');
      this.options.hooks.changed();
    }, due);
  }

  private isCurrent(session: WorkerSession): boolean {
    return this.sessions.get(session.record.agentId) === session;
  }

  private clearTimers(session: WorkerSession): void {
    const { clock } = this.options;
    if (session.leaseTimer !== undefined) clock.clearTimeout(session.leaseTimer);
    if (session.expiryTimer !== undefined) clock.clearTimeout(session.expiryTimer);
    session.leaseTimer = undefined;
    session.expiryTimer = undefined;
  }

  /** Clears every timer and ends every stream with HUB_CLOSED; no timer is started afterwards. */
  close(): void {
    this.state = 'closed';
    for (const session of this.sessions.values()) {
      this.clearTimers(session);
      channelOf(session)?.close(new HubError('HUB_CLOSED', 'hub is shutting down'));
      session.connection = { kind: 'disconnected', since: this.options.clock.now() };
    }
  }
}
