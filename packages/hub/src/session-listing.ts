import { SessionInfo } from '@baaaht/proto';
import { invalidField } from './errors';
import type { HubCoreLimits } from './registration-limits';
import { pageSizeOf } from './task-listing';

/** One page of ListSessions. */
export interface SessionsPage {
  /** In session-id order, each with its holder's agent id and name. */
  sessions: SessionInfo[];
  /** Empty on the last page. */
  nextPageToken: string;
}

/** The filter of one ListSessions call; empty matches every session. */
export interface SessionListFilter {
  /** Only sessions held by this worker: its agent id or registered name. */
  worker?: string;
}

/**
 * One page of sessions (already in session-id order) matching `filter`. `pageSize` 0 means the cap;
 * larger values are capped; a page also stops before `listSessionsPageBytes` encoded bytes (always
 * holding at least one session). The token is the last listed session id, so sessions opened meanwhile
 * never shift a page.
 */
export function listSessionsPage(
  all: readonly SessionInfo[],
  pageSize: number,
  pageToken: string,
  filter: SessionListFilter,
  limits: Pick<HubCoreLimits, 'maxListSessionsPageSize' | 'listSessionsPageBytes'>,
): SessionsPage {
  const size = pageSizeOf(pageSize, limits.maxListSessionsPageSize);
  let after = '';
  if (pageToken !== '') {
    after = Buffer.from(pageToken, 'base64url').toString('utf8');
    if (after === '' || Buffer.from(after, 'utf8').toString('base64url') !== pageToken) {
      throw invalidField('page_token', 'is not a token this hub issued');
    }
  }
  const worker = filter.worker ?? '';
  const matching = all.filter(
    (s) => s.sessionId > after && (worker === '' || s.agentId === worker || s.agentName === worker),
  );
  const sessions: SessionInfo[] = [];
  let bytes = 0;
  for (const session of matching) {
    if (sessions.length >= size) break;
    const encoded = SessionInfo.encode(session).finish().length + 8;
    if (sessions.length > 0 && bytes + encoded > limits.listSessionsPageBytes) break;
    sessions.push(session);
    bytes += encoded;
  }
  const last = sessions[sessions.length - 1];
  const more = last !== undefined && matching.length > sessions.length;
  return { sessions, nextPageToken: more ? Buffer.from(last.sessionId, 'utf8').toString('base64url') : '' };
}
