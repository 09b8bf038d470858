import type { AgentOptions } from '@baaaht/agent';

/** Agent timings for in-process protocol tests: reconnect fast, give shutdown and acks a little room. */
export const fastAgentOptions: Partial<AgentOptions> = {
  reconnectIntervalMs: 50,
  reconnectMaxIntervalMs: 200,
  shutdownTimeoutMs: 2000,
  ackTimeoutMs: 2000,
};
