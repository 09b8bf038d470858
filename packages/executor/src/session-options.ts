/** Sessions: one long-lived hardened container per agent session, calls through the in-sandbox agent. */
export interface SessionOptions {
  /** Run tasks that carry a session id in their session's container. Opt-in. @default false */
  enabled?: boolean;
  /** A session with no call for this long is closed and its container removed. @default 300000 (5 min) */
  idleMs?: number;
  /** A session is closed this long after its container was created, however busy (running calls finish first). @default 3600000 (1 h) */
  maxLifetimeMs?: number;
  /** Sessions holding a container at once (per executor). @default 8 */
  maxSessions?: number;
  /**
   * When a new session would exceed `maxSessions`: `evict-idle` closes the least recently used session
   * that runs no call (and refuses with `SESSION_LIMIT` when every session is busy); `refuse` always
   * refuses with `SESSION_LIMIT`.
   * @default 'evict-idle'
   */
  whenFull?: 'refuse' | 'evict-idle';
}

export type ResolvedSessionOptions = Required<SessionOptions>;

function integer(name: string, value: number | undefined, fallback: number, min: number): number {
  const v = value ?? fallback;
  if (!Number.isSafeInteger(v) || v < min)
    throw new TypeError(`sessions.${name} must be an integer >= ${min} (got ${String(value)})`);
  return v;
}

/** Fills defaults and rejects bad values with a TypeError naming the field (`sessions.idleMs`, ...). */
export function resolveSessionOptions(options: SessionOptions | undefined): ResolvedSessionOptions {
  if (options !== undefined && (typeof options !== 'object' || options === null))
    throw new TypeError('sessions must be an object');
  const o = options ?? {};
  const enabled = o.enabled ?? false;
  if (typeof enabled !== 'boolean') throw new TypeError(`sessions.enabled must be a boolean (got ${String(enabled)})`);
  const whenFull = o.whenFull ?? 'evict-idle';
  if (whenFull !== 'refuse' && whenFull !== 'evict-idle')
    throw new TypeError(`sessions.whenFull must be 'refuse' or 'evict-idle' (got '${String(whenFull)}')`);
  return {
    enabled,
    idleMs: integer('idleMs', o.idleMs, 300_000, 1),
    maxLifetimeMs: integer('maxLifetimeMs', o.maxLifetimeMs, 3_600_000, 1),
    maxSessions: integer('maxSessions', o.maxSessions, 8, 1),
    whenFull,
  };
}
