// A worker in its own process, so a test can SIGKILL it mid-task.
// Usage: node --import tsx worker-fixture.ts <address> <name>
import { Agent } from '@baaaht/agent';
import { FakeHandler } from './fake-task-handler';

async function main(): Promise<void> {
  const [address, name] = process.argv.slice(2);
  if (!address) throw new Error('usage: worker-fixture <address> [name]');
  const handler = new FakeHandler();
  const say = (event: Record<string, unknown>): void => {
    process.stdout.write(`${JSON.stringify(event)}\n`);
  };
  handler.on('run', (task: { taskId: string }) => say({ event: 'run', taskId: task.taskId }));
  const agent = Agent.create({
    handler,
    address,
    name: name ?? 'fixture-worker',
    reconnectIntervalMs: 100,
    heartbeatIntervalMs: 200,
  });
  await agent.start();
  say({ event: 'ready', agentId: agent.getAgentId(), pid: process.pid });
  process.on('SIGTERM', () => void agent.close({ force: true }).then(() => process.exit(0)));
}

main().catch((err: unknown) => {
  process.stderr.write(`worker fixture failed: ${String((err as Error).stack ?? err)}\n`);
  process.exit(1);
});
