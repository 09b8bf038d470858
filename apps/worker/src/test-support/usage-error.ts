import { WorkerCliError } from '../errors';

/** The message of the usage error (exit 2) `fn` throws; fails the test if it throws anything else or nothing. */
export function usageMessage(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(WorkerCliError);
    expect((err as WorkerCliError).exitCode).toBe(2);
    return (err as WorkerCliError).message;
  }
  throw new Error('expected a usage error');
}
