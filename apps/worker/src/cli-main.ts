import type { CliIo } from './cli-io';
import { WorkerCliError } from './errors';

/**
 * The one place errors are caught: a usage or configuration error prints one
 * line and exits 2; anything unexpected is a bug and prints its stack (exit 1).
 */
export async function runMain(
  program: string,
  argv: readonly string[],
  io: CliIo,
  run: (argv: readonly string[], io: CliIo) => Promise<number>,
): Promise<number> {
  try {
    return await run(argv, io);
  } catch (err) {
    const error = WorkerCliError.fromUnknown(err);
    if (error.code === 'INTERNAL') {
      const original = error.cause instanceof Error ? error.cause : error;
      io.stderr.write(
        `${program}: internal error: this is a bug, please report it with the output below\n${original.stack ?? String(original)}\n`,
      );
      return 1;
    }
    io.stderr.write(`${program}: ${error.message}\n`);
    return error.exitCode;
  }
}

/** Ends the process once stdout and stderr are flushed. */
export function exitWith(code: number): void {
  process.exitCode = code;
  let pending = 2;
  const done = (): void => {
    if (--pending === 0) process.exit(code);
  };
  process.stdout.write('', done);
  process.stderr.write('', done);
}
