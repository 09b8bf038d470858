import { canTransition } from './connection-state';
import type { ConnectionState } from './connection-state';

describe('connection state machine', () => {
  const all: ConnectionState[] = ['Idle', 'Connecting', 'Ready', 'TransientFailure', 'Shutdown'];

  test('the normal life: connect, lose it, back off, reconnect, shut down', () => {
    const path: ConnectionState[] = [
      'Idle',
      'Connecting',
      'Ready',
      'TransientFailure',
      'Connecting',
      'Ready',
      'Shutdown',
    ];
    for (let i = 1; i < path.length; i++)
      expect(canTransition(path[i - 1] as ConnectionState, path[i] as ConnectionState)).toBe(true);
  });

  test('Shutdown is final', () => {
    for (const s of all) expect(canTransition('Shutdown', s)).toBe(false);
  });

  test('Ready is only reached through Connecting', () => {
    for (const s of all) expect(canTransition(s, 'Ready')).toBe(s === 'Connecting');
  });

  test('every state can shut down', () => {
    for (const s of all.filter((x) => x !== 'Shutdown')) expect(canTransition(s, 'Shutdown')).toBe(true);
  });
});
