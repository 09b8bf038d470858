/**
 * `orchestrator sessions` and `orchestrator session close <id>`: the sandbox sessions the hub routes calls
 * to (each held by one worker, named), and closing one on the worker that holds it.
 */
import type { HubClient } from '@baaaht/hub';
import { SessionCloseStatus } from '@baaaht/proto';
import type { SessionInfo } from '@baaaht/proto';
import type { CommandSpec, ParsedCommand } from '../args';
import { stringValue } from '../args';
import type { CliIo } from '../cli-io';
import { writeListing, writeOut } from '../cli-io';
import { formatTable, roughDuration } from '../table';
import { ADDR_FLAG, CLIENT_TLS_FLAGS, JSON_FLAG, TOKEN_FLAG } from './orchestrator-flags';

export const sessionsCommand: CommandSpec = {
  name: 'orchestrator sessions',
  brief: 'list sandbox sessions and the worker holding each',
  usage: 'orchestrator sessions [--worker NAME] [--json] [--addr ADDR]',
  summary:
    'Lists the sandbox sessions the orchestrator routes calls to: id, worker, state, calls, last use. ' +
    'A table on a terminal; tab-separated with a header line otherwise. State: assigned (a call was sent, ' +
    "the worker has not reported the session yet), the worker's own word (ready, busy, broken, ...), closing, or " +
    "lost (its worker is gone: the session's next call starts a new session elsewhere).",
  flags: {
    worker: { type: 'string', valueName: 'NAME', description: 'only sessions held by this worker (name or agent id)' },
    json: JSON_FLAG,
    addr: ADDR_FLAG,
    'auth-token': TOKEN_FLAG,
    ...CLIENT_TLS_FLAGS,
  },
  configFlags: false,
  minPositionals: 0,
  maxPositionals: 0,
};

export const sessionCommand: CommandSpec = {
  name: 'orchestrator session',
  brief: 'close a sandbox session (session close <id>)',
  usage: 'orchestrator session close <sessionId> [--json] [--addr ADDR]',
  summary:
    'Closes a session on the worker that holds it (its container is removed; a later call with the same id ' +
    'starts a new session) and waits for the worker to confirm.',
  flags: { json: JSON_FLAG, addr: ADDR_FLAG, 'auth-token': TOKEN_FLAG, ...CLIENT_TLS_FLAGS },
  configFlags: false,
  minPositionals: 2,
  maxPositionals: 2,
  positionalChoices: () => ['close'],
  epilog:
    'Exit status: 0 when the worker closed the session; 1 when the orchestrator knows no such session, ' +
    'the worker held none by that id, or the worker has not confirmed (it is away: it gets the close when ' +
    'it reconnects); 2 for a usage error.',
};

/** One session as `sessions --json` prints it. */
export interface SessionView {
  sessionId: string;
  /** The holding worker's registered name (its agent id when it has none). */
  worker: string;
  agentId: string;
  state: string;
  calls: number;
  running: number;
  createdAt: string | null;
  lastUsedAt: string | null;
  /** Since the last call started or ended. */
  lastUsedAgoMs: number | null;
  containerId: string | null;
}

const iso = (d: Date | undefined): string | null => (d === undefined ? null : d.toISOString());

export function sessionView(s: SessionInfo, now: number): SessionView {
  return {
    sessionId: s.sessionId,
    worker: s.agentName || s.agentId,
    agentId: s.agentId,
    state: s.state,
    calls: s.calls,
    running: s.running,
    createdAt: iso(s.createdAt),
    lastUsedAt: iso(s.lastUsedAt),
    lastUsedAgoMs: s.lastUsedAt === undefined ? null : Math.max(0, now - s.lastUsedAt.getTime()),
    containerId: s.containerId || null,
  };
}

const SESSION_HEADER = ['ID', 'WORKER', 'STATE', 'CALLS', 'LAST USED'] as const;

/** The rows of `orchestrator sessions` (aligned for a terminal, tab-separated otherwise). */
export function formatSessionTable(views: readonly SessionView[], aligned: boolean): string {
  const rows = views.map((v) => [
    v.sessionId,
    v.worker,
    v.state,
    String(v.calls),
    v.lastUsedAgoMs === null ? '' : `${roughDuration(v.lastUsedAgoMs)} ago`,
  ]);
  return formatTable(SESSION_HEADER, rows, { aligned });
}

export async function runSessionsCommand(
  client: HubClient,
  parsed: ParsedCommand,
  io: CliIo,
  now = Date.now,
): Promise<number> {
  const worker = stringValue(parsed.values, 'worker');
  const sessions = await client.sessions(worker === undefined ? {} : { worker });
  const at = now();
  const views = sessions.map((s) => sessionView(s, at));
  await writeListing(io, views, parsed.values['json'] === true, 'no sessions', formatSessionTable);
  return 0;
}

/** What `session close` found; the JSON `outcome`. */
type CloseOutcomeWord = 'closed' | 'not-held' | 'pending' | 'unknown';

const OUTCOME: Record<number, CloseOutcomeWord> = {
  [SessionCloseStatus.SESSION_CLOSE_STATUS_CLOSED]: 'closed',
  [SessionCloseStatus.SESSION_CLOSE_STATUS_NOT_HELD]: 'not-held',
  [SessionCloseStatus.SESSION_CLOSE_STATUS_PENDING]: 'pending',
  [SessionCloseStatus.SESSION_CLOSE_STATUS_UNKNOWN]: 'unknown',
};

export async function runSessionCloseCommand(client: HubClient, parsed: ParsedCommand, io: CliIo): Promise<number> {
  const sessionId = parsed.positionals[1] as string;
  const answer = await client.closeSession(sessionId, { reason: 'closed with orchestrator session close' });
  const outcome = OUTCOME[answer.status] ?? 'unknown';
  const on = answer.agentName || answer.agentId;
  const message = {
    closed: `session ${sessionId} closed on ${on}`,
    'not-held': `session ${sessionId}: worker ${on} holds no such session (it had already ended); the orchestrator forgot it`,
    pending:
      `session ${sessionId}: close sent to ${on}, which has not confirmed yet ` +
      '(it is away or busy; it gets the close when it reconnects, and orchestrator sessions shows it as closing)',
    unknown: `no session ${JSON.stringify(sessionId)} on this orchestrator (orchestrator sessions lists them)`,
  }[outcome];
  if (parsed.values['json'] === true) {
    await writeOut(
      io.stdout,
      JSON.stringify({
        sessionId,
        known: answer.known,
        outcome,
        worker: on || null,
        agentId: answer.agentId || null,
        message,
      }) + '\n',
    );
  } else if (outcome === 'closed') {
    await writeOut(io.stdout, `${message}\n`);
  } else {
    io.stderr.write(`orchestrator: ${message}\n`);
  }
  return outcome === 'closed' ? 0 : 1;
}
