import { SessionCloseStatus, SessionInfo } from '@baaaht/proto';
import type { CloseSessionResponse, OrchestratorMessage } from '@baaaht/proto';
import type { Clock } from './clock';
import type { Logger } from './logger';
import type { HubMetrics, SessionMoveReason } from './hub-metrics';
import { channelOf } from './worker-session';
import type { WorkerSession } from './worker-session';

/**
 * Where a sandbox session (a task's `session_id`) is, as the hub knows it; one of:
 * - `assigned`: the hub dispatched a call of it to `agentId`, which has not reported the session yet;
 * - `active`: `agentId` reported holding it (its own state word is in `reported.state`);
 * - `closing`: a close was requested; SessionClose was sent to `agentId` (and is sent again on its next
 *   hello) until it answers SessionClosed or reports without the session.
 * An entry leaves the table once closed, once its holder reports without it, or when evicted (`maxSessions`).
 */
export type SandboxSessionState = 'assigned' | 'active' | 'closing';

/** One sandbox session as the hub holds it (in memory; workers re-report theirs on every hello). */
interface SandboxSession {
  sessionId: string;
  agentId: string;
  agentName: string;
  state: SandboxSessionState;
  /** Calls the hub dispatched to the current holder (used until the worker reports its own count). */
  dispatched: number;
  createdAt: number;
  lastUsedAt: number;
  /** The holder's last report of it. */
  reported: SessionInfo | undefined;
}

/** Where the next call of a session goes (see `SessionAffinity.route`). */
export type SessionRoute =
  /** No known holder: dispatch normally; the worker that gets the call holds the session. */
  | { kind: 'free' }
  /** Only to `worker` (wait while it has no room). */
  | { kind: 'holder'; worker: WorkerSession }
  /** The holder is away within its lease: wait, and look again at `until` (hub clock). */
  | { kind: 'wait'; until: number }
  /** The holder is gone or cannot run the call: dispatch normally and record a move. */
  | { kind: 'move'; from: string; reason: SessionMoveReason };

export interface SessionAffinityOptions {
  clock: Clock;
  logger: Logger;
  metrics: HubMetrics;
  leaseMs: number;
  /** At most this many sessions are tracked; the least recently used one is forgotten beyond. */
  maxSessions: number;
  /** How long `close()` waits for the holder's answer before resolving as PENDING. */
  closeTimeoutMs: number;
  /** The live registration of a worker, undefined once it is gone. */
  worker(agentId: string): WorkerSession | undefined;
}

/** The listing state: the entry's own, or `lost` once its holder is gone (its next call moves). */
export type ListedSessionState = SandboxSessionState | 'lost';

const closeMessage = (sessionId: string, reason: string): OrchestratorMessage => ({
  payload: { $case: 'closeSession', value: { sessionId, reason } },
});

/**
 * Session affinity: which worker holds each sandbox session, learned from where the hub dispatched a
 * session's calls and from the workers' own reports (hello, SessionsUpdate). A call of a held session
 * goes to its holder only, waiting while the holder is full or briefly away; once the holder is gone
 * (unregistered, expired, away past its lease, draining) the call is dispatched normally and the
 * result says `session_moved`. Explicit close is routed to the holder and answered by it.
 */
export class SessionAffinity {
  private readonly sessions = new Map<string, SandboxSession>();
  /** Tasks dispatched away from their session's previous holder: their result gets `sessionMoved`. */
  private readonly movedTasks = new Set<string>();
  private readonly closeWaiters = new Map<string, ((status: SessionCloseStatus) => void)[]>();

  constructor(private readonly options: SessionAffinityOptions) {}

  get size(): number {
    return this.sessions.size;
  }

  /** Where the next call of `sessionId` may go; `fits` says whether a worker could run that call at all. */
  route(sessionId: string, fits: (worker: WorkerSession) => boolean): SessionRoute {
    const entry = this.sessions.get(sessionId);
    if (!entry) return { kind: 'free' };
    const worker = this.options.worker(entry.agentId);
    if (!worker) return { kind: 'move', from: entry.agentId, reason: 'holder_gone' };
    if (worker.connection.kind !== 'streaming') {
      const until = worker.lastSeen + this.options.leaseMs;
      if (this.options.clock.now() >= until) return { kind: 'move', from: entry.agentId, reason: 'holder_gone' };
      return { kind: 'wait', until };
    }
    // A draining worker closes its sessions on the way out: starting anew elsewhere beats waiting for that.
    if (worker.availability === 'draining') return { kind: 'move', from: entry.agentId, reason: 'holder_draining' };
    if (!fits(worker)) return { kind: 'move', from: entry.agentId, reason: 'holder_unfit' };
    return { kind: 'holder', worker };
  }

  /** A call of `sessionId` (task `taskId`) was assigned to `worker`; `moved` when it left a previous holder. */
  placed(
    sessionId: string,
    taskId: string,
    worker: WorkerSession,
    moved?: { from: string; reason: SessionMoveReason },
  ) {
    const now = this.options.clock.now();
    const { agentId, name } = worker.record;
    let entry = this.sessions.get(sessionId);
    if (moved) {
      this.movedTasks.add(taskId);
      this.options.metrics.sessionMoved(moved.reason);
      this.options.logger.info('session moved', {
        component: 'hub',
        sessionId,
        taskId,
        from: moved.from,
        agentId,
        reason: moved.reason,
      });
      // The old holder may still hold a copy (unfit, draining, or back later): it is orphaned now.
      const old = this.options.worker(moved.from);
      if (old) channelOf(old)?.send(closeMessage(sessionId, 'session moved to another worker'));
      entry = undefined;
    }
    if (!entry || entry.agentId !== agentId) {
      entry = this.create(sessionId, agentId, name, now);
    }
    entry.dispatched += 1;
    entry.lastUsedAt = now;
  }

  /** A session call (re-)dispatched for a task held since before a restart: its worker holds the session. */
  recovered(sessionId: string, agentId: string, agentName: string): void {
    if (!this.sessions.has(sessionId)) this.create(sessionId, agentId, agentName, this.options.clock.now());
  }

  /** Whether `taskId`'s call was moved away from its session's holder; forgotten once asked (at its result). */
  takeMoved(taskId: string): boolean {
    return this.movedTasks.delete(taskId);
  }

  /** A call of `sessionId` finished: it was used now. */
  used(sessionId: string): void {
    const entry = this.sessions.get(sessionId);
    if (entry) entry.lastUsedAt = Math.max(entry.lastUsedAt, this.options.clock.now());
  }

  /**
   * A worker's full list of its sessions (hello or SessionsUpdate): it holds those; sessions it held and no
   * longer lists ended (closed, idle, evicted), except ones dispatched to it that it never reported yet.
   * A session the hub places on another live worker is a stale copy: the reporter is told to close it.
   */
  reported(worker: WorkerSession, infos: readonly SessionInfo[]): void {
    const { agentId, name } = worker.record;
    const now = this.options.clock.now();
    const listed = new Set<string>();
    for (const info of infos.slice(0, this.options.maxSessions)) {
      if (!info.sessionId || listed.has(info.sessionId)) continue;
      listed.add(info.sessionId);
      let entry = this.sessions.get(info.sessionId);
      if (entry && entry.agentId !== agentId) {
        const holder = this.options.worker(entry.agentId);
        if (holder && this.route(info.sessionId, () => true).kind !== 'move') {
          channelOf(worker)?.send(closeMessage(info.sessionId, 'session is held by another worker'));
          continue;
        }
        entry = undefined;
      }
      entry ??= this.create(info.sessionId, agentId, name, now);
      entry.reported = SessionInfo.fromPartial({ ...info, agentId: '', agentName: '' });
      if (entry.state !== 'closing') entry.state = 'active';
      const lastUsed = info.lastUsedAt?.getTime();
      if (lastUsed !== undefined && lastUsed > entry.lastUsedAt) entry.lastUsedAt = lastUsed;
    }
    for (const entry of [...this.sessions.values()]) {
      if (entry.agentId !== agentId || listed.has(entry.sessionId)) continue;
      if (entry.state === 'closing') this.finishClose(entry.sessionId, SessionCloseStatus.SESSION_CLOSE_STATUS_CLOSED);
      else if (entry.reported) this.sessions.delete(entry.sessionId);
    }
  }

  /** A worker opened its Work stream: closes it owes are sent again. */
  connected(worker: WorkerSession): void {
    const channel = channelOf(worker);
    if (!channel) return;
    for (const entry of this.sessions.values()) {
      if (entry.agentId === worker.record.agentId && entry.state === 'closing') {
        channel.send(closeMessage(entry.sessionId, 'closed by request'));
      }
    }
  }

  /** The worker answered a SessionClose. */
  closedBy(worker: WorkerSession, sessionId: string, closed: boolean): void {
    const entry = this.sessions.get(sessionId);
    if (!entry || entry.agentId !== worker.record.agentId) return;
    this.finishClose(
      sessionId,
      closed ? SessionCloseStatus.SESSION_CLOSE_STATUS_CLOSED : SessionCloseStatus.SESSION_CLOSE_STATUS_NOT_HELD,
    );
  }

  /**
   * Routes a close to the session's holder and resolves with what became of it: CLOSED or NOT_HELD once the
   * holder answers, PENDING when it is away or does not answer within `closeTimeoutMs` (the close stays
   * owed and the session listed as `closing`), UNKNOWN for a session the hub does not know.
   */
  close(sessionId: string, reason = 'closed by request'): Promise<CloseSessionResponse> {
    const entry = this.sessions.get(sessionId);
    const answer = (status: SessionCloseStatus, agentId = '', agentName = ''): CloseSessionResponse => ({
      sessionId,
      known: status !== SessionCloseStatus.SESSION_CLOSE_STATUS_UNKNOWN,
      status,
      agentId,
      agentName,
    });
    if (!entry) return Promise.resolve(answer(SessionCloseStatus.SESSION_CLOSE_STATUS_UNKNOWN));
    const { agentId, agentName } = entry;
    const worker = this.options.worker(agentId);
    if (!worker) {
      // Its worker is gone; whatever is left of the container is the worker's reaper's to remove.
      this.sessions.delete(sessionId);
      return Promise.resolve(answer(SessionCloseStatus.SESSION_CLOSE_STATUS_NOT_HELD, agentId, agentName));
    }
    entry.state = 'closing';
    const channel = channelOf(worker);
    this.options.logger.info('session close requested', { component: 'hub', sessionId, agentId, sent: !!channel });
    if (!channel) return Promise.resolve(answer(SessionCloseStatus.SESSION_CLOSE_STATUS_PENDING, agentId, agentName));
    const { clock } = this.options;
    return new Promise((resolve) => {
      const timer = clock.setTimeout(() => {
        const rest = (this.closeWaiters.get(sessionId) ?? []).filter((w) => w !== done);
        if (rest.length > 0) this.closeWaiters.set(sessionId, rest);
        else this.closeWaiters.delete(sessionId);
        resolve(answer(SessionCloseStatus.SESSION_CLOSE_STATUS_PENDING, agentId, agentName));
      }, this.options.closeTimeoutMs);
      const done = (status: SessionCloseStatus): void => {
        clock.clearTimeout(timer);
        resolve(answer(status, agentId, agentName));
      };
      this.closeWaiters.set(sessionId, [...(this.closeWaiters.get(sessionId) ?? []), done]);
      // Sent after the waiter is in place: a synchronous answer (a test's fake worker) must find it.
      channel.send(closeMessage(sessionId, reason));
    });
  }

  /** The sessions in session-id order, with the holder and the listing state. */
  list(): SessionInfo[] {
    return [...this.sessions.values()]
      .sort((a, b) => (a.sessionId < b.sessionId ? -1 : a.sessionId > b.sessionId ? 1 : 0))
      .map((entry) => this.view(entry));
  }

  /** Sessions per listing state, for the gauge. */
  counts(): Record<ListedSessionState, number> {
    const counts: Record<ListedSessionState, number> = { assigned: 0, active: 0, closing: 0, lost: 0 };
    for (const entry of this.sessions.values()) counts[this.listedState(entry)] += 1;
    return counts;
  }

  /** Resolves pending closes as PENDING (the hub is closing) and clears every timer. */
  closeAll(): void {
    for (const sessionId of [...this.closeWaiters.keys()]) {
      for (const done of this.closeWaiters.get(sessionId) ?? []) done(SessionCloseStatus.SESSION_CLOSE_STATUS_PENDING);
    }
    this.closeWaiters.clear();
  }

  private listedState(entry: SandboxSession): ListedSessionState {
    return this.route(entry.sessionId, () => true).kind === 'move' ? 'lost' : entry.state;
  }

  private view(entry: SandboxSession): SessionInfo {
    const r = entry.reported;
    return SessionInfo.fromPartial({
      sessionId: entry.sessionId,
      state: this.listedState(entry),
      calls: r ? Math.max(r.calls, 0) : entry.dispatched,
      running: r?.running ?? 0,
      createdAt: r?.createdAt ?? new Date(entry.createdAt),
      lastUsedAt: new Date(entry.lastUsedAt),
      containerId: r?.containerId ?? '',
      agentId: entry.agentId,
      agentName: entry.agentName,
    });
  }

  private create(sessionId: string, agentId: string, agentName: string, now: number): SandboxSession {
    this.sessions.delete(sessionId);
    if (this.sessions.size >= this.options.maxSessions) this.evictOne();
    const entry: SandboxSession = {
      sessionId,
      agentId,
      agentName,
      state: 'assigned',
      dispatched: 0,
      createdAt: now,
      lastUsedAt: now,
      reported: undefined,
    };
    this.sessions.set(sessionId, entry);
    return entry;
  }

  /** Forgets the least recently used session that is not closing (the table is bounded). */
  private evictOne(): void {
    let oldest: SandboxSession | undefined;
    for (const entry of this.sessions.values()) {
      if (entry.state !== 'closing' && (!oldest || entry.lastUsedAt < oldest.lastUsedAt)) oldest = entry;
    }
    if (!oldest) return;
    this.sessions.delete(oldest.sessionId);
    this.options.logger.warn('session table full: forgot the least recently used session', {
      component: 'hub',
      sessionId: oldest.sessionId,
      agentId: oldest.agentId,
    });
  }

  private finishClose(sessionId: string, status: SessionCloseStatus): void {
    this.sessions.delete(sessionId);
    const waiters = this.closeWaiters.get(sessionId) ?? [];
    this.closeWaiters.delete(sessionId);
    for (const done of waiters) done(status);
  }
}
