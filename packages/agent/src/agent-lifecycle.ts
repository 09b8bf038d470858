import { AgentError } from './errors';

/**
 * Where the agent is in its life (`agent.lifecycle`). The connection's own, finer state is
 * `ConnectionState` (`agent.state`); while draining or leaving the connection still comes and goes.
 * - `idle`: created; `start()` not called yet.
 * - `connecting`: started, never welcomed yet: dialling, registering, or backing off between attempts; `start()` is pending.
 * - `ready`: the hub welcomed us on the Work stream; taking tasks.
 * - `reconnecting`: was ready, lost the connection; backing off and dialling again, resuming the session.
 * - `draining`: `drain()` or `close()` was called: no new tasks; running ones finish or are cancelled, outcomes are reported.
 * - `leaving`: unregistering; the hub ends our stream and the agent never connects again.
 * - `stopped`: shut down after `drain()` or `close()`. Final; `closed()` resolves.
 * - `failed`: gave up (`RECONNECT_EXHAUSTED`, `UNAUTHENTICATED`). Final; `closed()` rejects with that error.
 */
export type AgentState =
  'idle' | 'connecting' | 'ready' | 'reconnecting' | 'draining' | 'leaving' | 'stopped' | 'failed';

/** Every state, in life order (the order of the `baaaht_agent_connection_state` series). */
export const AGENT_STATES: readonly AgentState[] = [
  'idle',
  'connecting',
  'ready',
  'reconnecting',
  'draining',
  'leaving',
  'stopped',
  'failed',
];

/**
 * The legal moves. Drain and close are allowed from every live state (`idle` included: closing an
 * agent that never started still runs the shutdown sequence); giving up is only possible while
 * the connection loop runs, which ends once the agent is leaving and Unregister has settled.
 */
export const AGENT_TRANSITIONS: Readonly<Record<AgentState, readonly AgentState[]>> = {
  idle: ['connecting', 'draining'],
  connecting: ['ready', 'draining', 'failed'],
  ready: ['reconnecting', 'draining'],
  reconnecting: ['ready', 'draining', 'failed'],
  draining: ['leaving', 'failed'],
  leaving: ['stopped', 'failed'],
  stopped: [],
  failed: [],
};

/** Whether the agent may move from `from` to `to`. */
export function canAgentTransition(from: AgentState, to: AgentState): boolean {
  return AGENT_TRANSITIONS[from].includes(to);
}

function assertCanEnter(from: AgentState, to: AgentState): void {
  if (!canAgentTransition(from, to))
    throw new AgentError('ILLEGAL_STATE', `illegal agent state transition: ${from} -> ${to}`);
}

/** `stopped` and `failed`: nothing happens to the agent any more. */
export function isFinalState(state: AgentState): boolean {
  return state === 'stopped' || state === 'failed';
}

/**
 * The agent's state and its guarded transitions. `transition()` throws ILLEGAL_STATE on a move the
 * table does not allow, so a bug in the agent's own sequencing fails loudly instead of muddling on.
 */
export class AgentLifecycle {
  private current: AgentState = 'idle';
  private failure: AgentError | undefined;

  constructor(private readonly onChange: (next: AgentState, prev: AgentState) => void) {}

  get state(): AgentState {
    return this.current;
  }

  /** The error the agent gave up with; set only in `failed`. */
  get error(): AgentError | undefined {
    return this.failure;
  }

  get isFinal(): boolean {
    return isFinalState(this.current);
  }

  /** Whether the state is one of `states`. */
  is(...states: AgentState[]): boolean {
    return states.includes(this.current);
  }

  transition(to: AgentState): void {
    const from = this.current;
    assertCanEnter(from, to);
    this.current = to;
    this.onChange(to, from);
  }

  /** Enters `failed`, keeping the error `closed()` rejects with. */
  fail(error: AgentError): void {
    assertCanEnter(this.current, 'failed');
    this.failure = error;
    this.transition('failed');
  }
}
