import { AgentCapabilities, AgentMetadata } from '@baaaht/proto';
import {
  afterResult,
  announcedAvailability,
  fullUnlessDraining,
  hasRoom,
  heartbeatAvailability,
  newSession,
} from './worker-session';

const record = {
  agentId: 'a',
  token: 't',
  name: 'w',
  registeredAt: 5,
  metadata: AgentMetadata.fromPartial({}),
  capabilities: AgentCapabilities.fromPartial({ maxConcurrentTasks: 2 }),
};

describe('worker session states', () => {
  test('a new session is registered at its registration time; a recovered one is disconnected', () => {
    expect(newSession(record, 9).connection).toEqual({ kind: 'registered', at: 5 });
    expect(newSession(record, 9, true).connection).toEqual({ kind: 'disconnected', since: 9 });
    expect(newSession(record, 9).availability).toBe('accepting');
  });

  test('only a streaming, accepting session with a free slot has room', () => {
    const s = newSession(record, 0);
    expect(hasRoom(s)).toBe(false);
    s.connection = { kind: 'streaming', channel: { send: () => undefined, close: () => undefined }, since: 1 };
    expect(hasRoom(s)).toBe(true);
    for (const availability of ['draining', 'full'] as const) {
      s.availability = availability;
      expect(hasRoom(s)).toBe(false);
    }
    s.availability = 'accepting';
    s.outstanding = new Set(['x', 'y']);
    expect(hasRoom(s)).toBe(false);
  });

  test('availability transitions: draining wins over full; hello/flow reset, heartbeats leave full alone', () => {
    expect(announcedAvailability(true)).toBe('draining');
    expect(announcedAvailability(false)).toBe('accepting');
    expect(heartbeatAvailability('full', false)).toBe('full');
    expect(heartbeatAvailability('full', true)).toBe('draining');
    expect(heartbeatAvailability('draining', false)).toBe('accepting');
    expect(fullUnlessDraining('accepting')).toBe('full');
    expect(fullUnlessDraining('draining')).toBe('draining');
    expect(afterResult('full')).toBe('accepting');
    expect(afterResult('draining')).toBe('draining');
  });
});
