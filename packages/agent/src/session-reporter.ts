import { SessionInfo } from '@baaaht/proto';
import type { SessionClose, WorkerMessage } from '@baaaht/proto';
import type { Logger } from './logger';
import type { TaskHandler } from './task-handler';
import { toSessionInfo } from './wire-mapping';

export interface SessionReporterOptions {
  handler: TaskHandler;
  logger: Logger;
  /** Writes to the current Work stream; false (and nothing sent) while disconnected. */
  send(message: WorkerMessage): boolean;
}

/**
 * The agent's side of sandbox sessions: reads the handler's sessions (if it has the hook), tells the hub
 * whenever the list changed (a full SessionsUpdate; hello carries the first list of each connection), and
 * forwards the hub's SessionClose to the handler, answering with SessionClosed.
 */
export class SessionReporter {
  /** The encoded list the hub last got on this connection; undefined means "send the next one". */
  private lastSent: string | undefined;

  constructor(private readonly options: SessionReporterOptions) {}

  /** The handler's sessions now, in wire form ([] without the hook, or if it throws). */
  snapshot(): SessionInfo[] {
    const { handler, logger } = this.options;
    if (typeof handler.sessions !== 'function') return [];
    try {
      return handler.sessions().map(toSessionInfo);
    } catch (err) {
      logger.warn('listing sessions failed', { component: 'agent', error: (err as Error).message });
      return [];
    }
  }

  /** For hello: the list to announce, remembered as sent. */
  forHello(): SessionInfo[] {
    const sessions = this.snapshot();
    this.lastSent = encode(sessions);
    return sessions;
  }

  /** The connection was lost: the next hello says everything again. */
  reset(): void {
    this.lastSent = undefined;
  }

  /** Sends a SessionsUpdate if the list changed since the hub last heard it. */
  report(): void {
    if (typeof this.options.handler.sessions !== 'function') return;
    const sessions = this.snapshot();
    const encoded = encode(sessions);
    if (encoded === this.lastSent) return;
    if (this.options.send({ payload: { $case: 'sessions', value: { sessions } } })) this.lastSent = encoded;
  }

  /** The hub's SessionClose: the handler closes it (false without the hook), the hub hears the answer and the new list. */
  async close(request: SessionClose): Promise<void> {
    const { handler, logger, send } = this.options;
    const { sessionId } = request;
    let closed = false;
    try {
      closed = typeof handler.closeSession === 'function' ? (await handler.closeSession(sessionId)) === true : false;
    } catch (err) {
      logger.warn('closing a session failed', { component: 'agent', sessionId, error: (err as Error).message });
    }
    logger.info('session close', { component: 'agent', sessionId, closed, reason: request.reason });
    send({ payload: { $case: 'sessionClosed', value: { sessionId, closed } } });
    this.report();
  }
}

const encode = (sessions: SessionInfo[]): string =>
  sessions.map((s) => Buffer.from(SessionInfo.encode(s).finish()).toString('base64')).join(',');
