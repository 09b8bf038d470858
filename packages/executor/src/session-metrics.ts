import type { MetricMeter } from './metric-meter';

/** The states a session is counted in (`closed` sessions are gone). */
export const COUNTED_SESSION_STATES = ['starting', 'ready', 'busy', 'closing', 'broken'] as const;
/** Why a session ended. */
export type SessionCloseReason = 'idle' | 'lifetime' | 'explicit' | 'drain' | 'evicted' | 'died' | 'policy';

/** `baaaht_executor_sessions{state}`, `..._session_calls_total{tool}`, `..._sessions_closed_total{reason}`. */
export class SessionMetrics {
  private readonly sessions;
  private readonly calls;
  private readonly closed;

  constructor(meter: MetricMeter) {
    this.sessions = meter.gauge({
      name: 'baaaht_executor_sessions',
      help: 'Sessions by state (starting, ready, busy, closing, broken).',
      labelNames: ['state'],
    });
    this.calls = meter.counter({
      name: 'baaaht_executor_session_calls_total',
      help: 'Tool calls run in a session container.',
      labelNames: ['tool'],
    });
    this.closed = meter.counter({
      name: 'baaaht_executor_sessions_closed_total',
      help: 'Sessions ended, by reason (idle, lifetime, explicit, drain, evicted, died).',
      labelNames: ['reason'],
    });
    for (const state of COUNTED_SESSION_STATES) this.sessions.set(0, { state });
  }

  states(counts: Readonly<Record<(typeof COUNTED_SESSION_STATES)[number], number>>): void {
    for (const state of COUNTED_SESSION_STATES) this.sessions.set(counts[state], { state });
  }

  call(tool: string): void {
    this.calls.add(1, { tool });
  }

  ended(reason: SessionCloseReason): void {
    this.closed.add(1, { reason });
  }
}
