import { defaultHubAddress } from './address';
import { resolveAgentOptions } from './agent-options';
import type { TaskHandler } from './task-handler';

const handler: TaskHandler = {
  tools: () => ['echo'],
  run: () => Promise.reject(new Error('unused')),
  cancel: () => undefined,
};

describe('resolveAgentOptions', () => {
  test('fills the seed defaults', () => {
    const o = resolveAgentOptions({ handler });
    expect(o).toMatchObject({
      // The private default (the seed's /tmp path is only used when named).
      address: defaultHubAddress(),
      dialTimeoutMs: 30000,
      rpcTimeoutMs: 10000,
      maxReceiveMessageBytes: 104857600,
      maxSendMessageBytes: 104857600,
      reconnectIntervalMs: 5000,
      reconnectMaxIntervalMs: 60000,
      reconnectMaxAttempts: 0,
      heartbeatIntervalMs: 30000,
      maxConcurrentTasks: 4,
    });
    expect(o.name).toMatch(/^worker-/);
  });

  test.each([
    [{ reconnectIntervalMs: 0 }, /reconnectIntervalMs/],
    [{ reconnectMaxAttempts: -1 }, /reconnectMaxAttempts/],
    [{ heartbeatIntervalMs: 1.5 }, /heartbeatIntervalMs/],
    [{ maxConcurrentTasks: 0 }, /maxConcurrentTasks/],
    [{ address: 'nonsense' }, /address/],
    [{ reconnectIntervalMs: 10, reconnectMaxIntervalMs: 5 }, /reconnectMaxIntervalMs/],
    [{ name: ' ' }, /name/],
    [{ bearerToken: '' }, /bearerToken/],
  ])('rejects %p with a TypeError naming the field', (bad, field) => {
    expect(() => resolveAgentOptions({ handler, ...bad })).toThrow(TypeError);
    expect(() => resolveAgentOptions({ handler, ...bad })).toThrow(field);
  });

  test('requires a handler', () => {
    expect(() => resolveAgentOptions({} as never)).toThrow(/handler/);
  });
});
