import { Agent } from './agent';
import type { AgentOptions } from './agent-options';

export interface BootstrapResult {
  agent: Agent;
}

/**
 * Mirrors the seed's `worker.Bootstrap`: creates the agent, connects,
 * registers, starts heartbeats, and resolves once the hub has welcomed it.
 * The caller owns `agent.drain()` / `agent.close()`.
 */
export async function bootstrap(config: AgentOptions): Promise<BootstrapResult> {
  const agent = Agent.create(config);
  await agent.start();
  return { agent };
}
