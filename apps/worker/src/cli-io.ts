import type { Readable } from 'node:stream';

/** What a command may touch of the outside world, injectable for tests. */
export interface CliIo {
  stdout: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  stderr: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  env: NodeJS.ProcessEnv;
  /** Read only by `worker mcp` (the MCP protocol arrives on stdin). @default none */
  stdin?: Readable;
  /** Process-wide signals; the long-running commands subscribe. */
  signals: Pick<NodeJS.Process, 'on' | 'off'>;
}

export function processIo(): CliIo {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    signals: process,
    // A getter: touching process.stdin opens it, which only the command that reads it should do.
    get stdin() {
      return process.stdin;
    },
  };
}

/** Writes and resolves once the chunk is flushed, so nothing is lost when the process exits right after. */
export function writeOut(stream: NodeJS.WritableStream, text: string): Promise<void> {
  return new Promise((resolve) => {
    if (!stream.write(text)) stream.once('drain', () => resolve());
    else resolve();
  });
}

/**
 * Prints a listing command's rows: JSON with `--json`, else `none` when there are none, else the table
 * (`format` gets whether stdout is a terminal).
 */
export async function writeListing<T>(
  io: CliIo,
  views: readonly T[],
  json: boolean,
  none: string,
  format: (views: readonly T[], tty: boolean) => string,
): Promise<void> {
  if (json) await writeOut(io.stdout, JSON.stringify(views, null, 2) + '\n');
  else if (views.length === 0) await writeOut(io.stdout, `${none}\n`);
  else await writeOut(io.stdout, format(views, io.stdout.isTTY === true));
}
