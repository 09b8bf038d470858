/**
 * Fixture for the orphan test: starts an executor with the worker id given as argv[2], runs a long tool,
 * prints READY once the container runs, and waits to be SIGKILLed (so nothing gets cleaned up). argv[3], if
 * given, is its instance lease directory: a private one keeps executors of other suites from reaping the orphan.
 */
import { openTestExecutor } from './integration';

async function main(): Promise<void> {
  const workerId = process.argv[2];
  if (workerId === undefined) throw new Error('usage: orphan-child <workerId>');
  const instanceDir = process.argv[3];
  const ex = await openTestExecutor(workerId, instanceDir === undefined ? {} : { instanceDir });
  void ex.executeTask({
    tool: 'hostile',
    params: { case: 'sleep' },
    timeoutMs: 120_000,
    onEvent: (e) => {
      if (e.type === 'started') process.stdout.write(`READY ${e.containerId}\n`);
    },
  });
  setInterval(() => undefined, 1000);
}

main().catch((err: unknown) => {
  process.stderr.write(`${String(err)}\n`);
  process.exit(1);
});
