import { AGENT_STATES, AGENT_TRANSITIONS, AgentLifecycle, canAgentTransition, isFinalState } from './agent-lifecycle';
import type { AgentState } from './agent-lifecycle';
import { AgentError } from './errors';

/** A lifecycle walked to `state` along legal moves. */
function at(state: AgentState, changes: [AgentState, AgentState][] = []): AgentLifecycle {
  const paths: Record<AgentState, AgentState[]> = {
    idle: [],
    connecting: ['connecting'],
    ready: ['connecting', 'ready'],
    reconnecting: ['connecting', 'ready', 'reconnecting'],
    draining: ['draining'],
    leaving: ['draining', 'leaving'],
    stopped: ['draining', 'leaving', 'stopped'],
    failed: ['connecting', 'failed'],
  };
  const life = new AgentLifecycle((next, prev) => changes.push([prev, next]));
  for (const step of paths[state]) {
    if (step === 'failed') life.fail(new AgentError('RECONNECT_EXHAUSTED', 'gave up'));
    else life.transition(step);
  }
  return life;
}

const legal: [AgentState, AgentState][] = AGENT_STATES.flatMap((from) =>
  AGENT_TRANSITIONS[from].map((to): [AgentState, AgentState] => [from, to]),
);
const illegal: [AgentState, AgentState][] = AGENT_STATES.flatMap((from) =>
  AGENT_STATES.filter((to) => !AGENT_TRANSITIONS[from].includes(to)).map((to): [AgentState, AgentState] => [from, to]),
);

describe('agent lifecycle', () => {
  test('the table lists exactly these moves', () => {
    expect(legal).toEqual([
      ['idle', 'connecting'],
      ['idle', 'draining'],
      ['connecting', 'ready'],
      ['connecting', 'draining'],
      ['connecting', 'failed'],
      ['ready', 'reconnecting'],
      ['ready', 'draining'],
      ['reconnecting', 'ready'],
      ['reconnecting', 'draining'],
      ['reconnecting', 'failed'],
      ['draining', 'leaving'],
      ['draining', 'failed'],
      ['leaving', 'stopped'],
      ['leaving', 'failed'],
    ]);
    expect(illegal).toHaveLength(AGENT_STATES.length ** 2 - legal.length);
  });

  test.each(legal)('%s -> %s is legal: the state changes and the listener hears it', (from, to) => {
    const changes: [AgentState, AgentState][] = [];
    const life = at(from, changes);
    changes.length = 0;
    expect(canAgentTransition(from, to)).toBe(true);
    if (to === 'failed') life.fail(new AgentError('UNAUTHENTICATED', 'refused'));
    else life.transition(to);
    expect(life.state).toBe(to);
    expect(changes).toEqual([[from, to]]);
  });

  test.each(illegal)('%s -> %s throws ILLEGAL_STATE and changes nothing', (from, to) => {
    const changes: [AgentState, AgentState][] = [];
    const life = at(from, changes);
    changes.length = 0;
    expect(canAgentTransition(from, to)).toBe(false);
    let thrown: unknown;
    try {
      life.transition(to);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(AgentError);
    expect(thrown).toMatchObject({
      code: 'ILLEGAL_STATE',
      message: `illegal agent state transition: ${from} -> ${to}`,
    });
    expect(life.state).toBe(from);
    expect(changes).toEqual([]);
  });

  test('the normal life: connect, lose it, reconnect, drain, leave, stop', () => {
    const changes: [AgentState, AgentState][] = [];
    const life = at('idle', changes);
    for (const s of ['connecting', 'ready', 'reconnecting', 'ready', 'draining', 'leaving', 'stopped'] as const)
      life.transition(s);
    expect(changes.map(([, next]) => next)).toEqual([
      'connecting',
      'ready',
      'reconnecting',
      'ready',
      'draining',
      'leaving',
      'stopped',
    ]);
    expect(life.isFinal).toBe(true);
    expect(life.error).toBeUndefined();
  });

  test('stopped and failed are final: nothing leaves them', () => {
    for (const final of ['stopped', 'failed'] as const) {
      expect(isFinalState(final)).toBe(true);
      for (const to of AGENT_STATES) expect(canAgentTransition(final, to)).toBe(false);
    }
    expect(AGENT_STATES.filter(isFinalState)).toEqual(['stopped', 'failed']);
  });

  test('every live state can start draining except the shutdown states themselves', () => {
    for (const s of AGENT_STATES)
      expect(canAgentTransition(s, 'draining')).toBe(['idle', 'connecting', 'ready', 'reconnecting'].includes(s));
  });

  test('ready is reached only by a welcome, from connecting or reconnecting', () => {
    for (const s of AGENT_STATES)
      expect(canAgentTransition(s, 'ready')).toBe(s === 'connecting' || s === 'reconnecting');
  });

  test('fail() keeps the error only once failed; an illegal fail() keeps nothing', () => {
    const error = new AgentError('RECONNECT_EXHAUSTED', 'gave up');
    const life = at('reconnecting');
    expect(life.error).toBeUndefined();
    life.fail(error);
    expect(life.state).toBe('failed');
    expect(life.error).toBe(error);

    const idle = at('idle');
    expect(() => idle.fail(error)).toThrow(expect.objectContaining({ code: 'ILLEGAL_STATE' }));
    expect(idle.error).toBeUndefined();
    expect(idle.state).toBe('idle');
  });

  test('is() matches any of the given states', () => {
    const life = at('draining');
    expect(life.is('draining')).toBe(true);
    expect(life.is('leaving', 'draining')).toBe(true);
    expect(life.is('ready', 'idle')).toBe(false);
  });
});
