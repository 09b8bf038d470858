/**
 * The agent's connection to the hub:
 * - `Idle`: created, not started;
 * - `Connecting`: dialling, registering, opening the Work stream;
 * - `Ready`: the hub welcomed us on the Work stream;
 * - `TransientFailure`: lost or failed, waiting out the backoff before the next attempt;
 * - `Shutdown`: closed, or gave up after `reconnectMaxAttempts`. Final.
 */
export type ConnectionState = 'Idle' | 'Connecting' | 'Ready' | 'TransientFailure' | 'Shutdown';

const ALLOWED: Record<ConnectionState, readonly ConnectionState[]> = {
  Idle: ['Connecting', 'Shutdown'],
  Connecting: ['Ready', 'TransientFailure', 'Shutdown'],
  Ready: ['TransientFailure', 'Connecting', 'Shutdown'],
  TransientFailure: ['Connecting', 'Shutdown'],
  Shutdown: [],
};

/** Whether the agent may move from `from` to `to`. */
export function canTransition(from: ConnectionState, to: ConnectionState): boolean {
  return ALLOWED[from].includes(to);
}
