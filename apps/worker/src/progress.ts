/**
 * A one-line spinner on stderr for long waits. Silent unless the stream is a
 * terminal and NO_COLOR is unset, so piped output and `--json` stay clean.
 */
import { spinnerEnabled } from './terminal';

export interface Progress {
  update(text: string): void;
  /** Clears the line. */
  stop(): void;
}

export interface ProgressOptions {
  stream?: NodeJS.WriteStream;
  /** @default `spinnerEnabled(stream, env)`: a terminal, and NO_COLOR unset */
  enabled?: boolean;
  /** Read for NO_COLOR and TERM. @default process.env */
  env?: NodeJS.ProcessEnv;
  /** @default 100 */
  intervalMs?: number;
}

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

export function createProgress(options: ProgressOptions = {}): Progress {
  const stream = options.stream ?? process.stderr;
  const enabled = options.enabled ?? spinnerEnabled(stream, options.env ?? process.env);
  if (!enabled) return { update: () => undefined, stop: () => undefined };
  let text = '';
  let frame = 0;
  let timer: NodeJS.Timeout | undefined;
  const draw = (): void => {
    stream.write(`\r\x1b[2K${FRAMES[frame++ % FRAMES.length]} ${text}`);
  };
  return {
    update(next) {
      text = next;
      if (timer === undefined) {
        timer = setInterval(draw, options.intervalMs ?? 100);
        timer.unref();
      }
      draw();
    },
    stop() {
      if (timer === undefined) return;
      clearInterval(timer);
      timer = undefined;
      stream.write('\r\x1b[2K');
    },
  };
}
