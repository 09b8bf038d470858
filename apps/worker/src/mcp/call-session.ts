/**
 * Which baaaht session an MCP call runs in. An executor session's container is shaped by its first call
 * (workspace, read-only or read-write, limits) and refuses calls of another shape (`SESSION_MISMATCH`),
 * so one MCP session maps to one baaaht session per shape: `<session>-<8 hex of the shape>`. A client's
 * successive file reads share one warm container, its writes another, its greps a third, its exec calls a
 * fourth. A session the client names explicitly is used as given. Web tools never run in a session (the
 * executor runs them per call, each behind its own egress proxy), so they get none.
 */
import { createHash } from 'node:crypto';
import type { ToolSpec } from '@baaaht/tool-specs';

/** The session a call belongs to, as the server saw it. */
export interface CallSession {
  id: string;
  /** Named by the client (`_meta["org.baaaht/session"]`): used as is. Otherwise derived per shape. */
  explicit: boolean;
}

/** The baaaht session id for a call of `spec` mounting `mountSource` in `session`, or undefined for none. */
export function sessionForCall(
  session: CallSession | undefined,
  spec: Pick<ToolSpec, 'network' | 'workspace' | 'resources'>,
  mountSource: string | undefined,
): string | undefined {
  if (session === undefined || spec.network === 'egress') return undefined;
  if (session.explicit) return session.id;
  const { cpus, memoryBytes, pidsLimit } = spec.resources;
  const shape = JSON.stringify([spec.workspace, cpus, memoryBytes, pidsLimit, mountSource ?? '']);
  return `${session.id}-${createHash('sha256').update(shape).digest('hex').slice(0, 8)}`;
}

/** Whether `sessionId` is one of the per-shape sessions of `session` (to close them all when it ends). */
export const belongsTo = (sessionId: string, session: string): boolean => sessionId.startsWith(`${session}-`);
