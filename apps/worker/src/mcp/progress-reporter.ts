/**
 * A running call's events as MCP progress notifications (sent only when the client gave a progress token).
 * `progress` is the number of notifications sent so far, so it increases on every one as MCP requires;
 * the total is unknown, and `message` says what happened (queued, container started, output so far).
 */

/** One progress update; the caller turns it into `notifications/progress` for the request's token. */
export interface ProgressUpdate {
  progress: number;
  message: string;
}

export type ProgressSink = (update: ProgressUpdate) => void;

export interface ProgressReporterOptions {
  /** Output is reported at most this often; steps (queued, started, ...) are reported at once. @default 1000 */
  outputIntervalMs?: number;
  /** @default Date.now */
  now?: () => number;
}

/**
 * Counts what a call did and reports it. State: `sent` (notifications so far, the last `progress`),
 * `bytes` (output so far) and `lastOutputAt` (when output was last reported; -Infinity before).
 */
export class ProgressReporter {
  private sent = 0;
  private bytes = 0;
  private lastOutputAt = Number.NEGATIVE_INFINITY;
  private readonly intervalMs: number;
  private readonly now: () => number;

  constructor(
    private readonly sink: ProgressSink,
    options: ProgressReporterOptions = {},
  ) {
    this.intervalMs = options.outputIntervalMs ?? 1000;
    this.now = options.now ?? Date.now;
    if (!Number.isFinite(this.intervalMs) || this.intervalMs < 0)
      throw new TypeError(`outputIntervalMs must be a non-negative number, got ${String(options.outputIntervalMs)}`);
  }

  /** A step of the call (queued, assigned to a worker, container started): always reported. */
  step(message: string): void {
    this.send(message);
  }

  /** `n` more bytes of output; reported as the running total, at most once per interval. */
  output(n: number): void {
    this.bytes += n;
    const at = this.now();
    if (at - this.lastOutputAt < this.intervalMs) return;
    this.lastOutputAt = at;
    this.send(`${this.bytes} bytes of output so far`);
  }

  private send(message: string): void {
    this.sent++;
    this.sink({ progress: this.sent, message });
  }
}
