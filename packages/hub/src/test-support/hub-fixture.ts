// A durable hub in its own process, so a test can SIGKILL it mid-task.
// Usage: node --import tsx hub-fixture.ts <address> <dataDir> <leaseMs>
// Prints one JSON line per event on stdout.
import { createHub } from '../index';

async function main(): Promise<void> {
  const [address, dataDir, leaseMs] = process.argv.slice(2);
  if (!address || !dataDir) throw new Error('usage: hub-fixture <address> <dataDir> [leaseMs]');
  const hub = createHub({ dataDir, leaseMs: Number(leaseMs ?? 30000) });
  const say = (event: Record<string, unknown>): void => {
    process.stdout.write(`${JSON.stringify(event)}\n`);
  };
  hub.on('task-finished', (taskId, finished, agentId) =>
    say({ event: 'task-finished', taskId, state: finished.state, agentId }),
  );
  hub.on('worker-connected', (agentId) => say({ event: 'worker-connected', agentId }));
  hub.on('task-requeued', (taskId, reason) => say({ event: 'task-requeued', taskId, reason }));
  const bound = await hub.listen(address);
  say({ event: 'listening', address: bound, pid: process.pid });
  process.on('SIGTERM', () => void hub.close().then(() => process.exit(0)));
}

main().catch((err: unknown) => {
  process.stderr.write(`hub fixture failed: ${String((err as Error).stack ?? err)}\n`);
  process.exit(1);
});
