/** How randomness spreads reconnect delays so a fleet does not reconnect in lockstep. */
export type JitterMode = 'full' | 'equal' | 'none';

export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
  /** Attempts allowed per outage; 0 retries forever. */
  maxAttempts: number;
  jitter: JitterMode;
  /** Uniform [0, 1); injectable for tests. */
  random?: () => number;
}

/**
 * Exponential backoff whose attempt counter belongs to one outage: `reset()`
 * after every successful connection, so a worker that reconnected a hundred
 * times over a week still gets its full budget for the next outage.
 */
export class Backoff {
  private attempt = 0;
  private readonly random: () => number;

  constructor(private readonly options: BackoffOptions) {
    this.random = options.random ?? Math.random;
  }

  /** Attempts used in the current outage. */
  get attempts(): number {
    return this.attempt;
  }

  /** The delay before the next attempt, or undefined once the budget of this outage is spent. */
  next(): number | undefined {
    const { initialMs, maxMs, maxAttempts, jitter } = this.options;
    if (maxAttempts > 0 && this.attempt >= maxAttempts) return undefined;
    const ceiling = Math.min(maxMs, initialMs * 2 ** Math.min(this.attempt, 30));
    this.attempt += 1;
    switch (jitter) {
      case 'none':
        return ceiling;
      case 'full':
        return Math.floor(this.random() * ceiling);
      case 'equal':
        return Math.floor(ceiling / 2 + this.random() * (ceiling / 2));
    }
  }

  reset(): void {
    this.attempt = 0;
  }
}
