import type { Clock } from './clock';

/**
 * Deadlines and cancellation as composed `AbortSignal`s, after connect-es `protocol/signals.ts`: a task
 * owns one linked controller that aborts when the caller's signal does, when its deadline signal fires,
 * or when the executor aborts it (cancel, close, OOM), always with a reason. Whatever has to stop reacts
 * to the abort; no timer ever calls a stop function. Every timer and listener is removed by `cleanup()`.
 */

/** An AbortController that also aborts when any linked signal does, with that signal's reason. */
export interface LinkedAbortController {
  readonly signal: AbortSignal;
  /** Aborts with `reason` (no-op once aborted). */
  abort(reason: unknown): void;
  /** Also abort when `signal` aborts; at once, if it already has. */
  link(signal: AbortSignal | undefined): void;
  /** Removes every listener this controller put on linked signals. Never aborts. Idempotent. */
  cleanup(): void;
}

export function createLinkedAbortController(...signals: Array<AbortSignal | undefined>): LinkedAbortController {
  const controller = new AbortController();
  const links = new Map<AbortSignal, () => void>();
  const unlinkAll = (): void => {
    for (const [signal, listener] of links) signal.removeEventListener('abort', listener);
    links.clear();
  };
  const abort = (reason: unknown): void => {
    if (controller.signal.aborted) return;
    // Listeners first: the reaction to our abort may link or abort nothing more.
    unlinkAll();
    controller.abort(reason);
  };
  const link = (signal: AbortSignal | undefined): void => {
    if (signal === undefined || links.has(signal)) return;
    if (signal.aborted) return abort(signal.reason);
    if (controller.signal.aborted) return;
    const listener = (): void => abort(signal.reason);
    links.set(signal, listener);
    signal.addEventListener('abort', listener, { once: true });
  };
  for (const signal of signals) link(signal);
  return { signal: controller.signal, abort, link, cleanup: unlinkAll };
}

/** A signal that aborts with `reason` after `timeoutMs` on `clock`. */
export interface DeadlineSignal {
  readonly signal: AbortSignal;
  /** Clears the timer (no-op once it fired). Idempotent. */
  cleanup(): void;
}

export function createDeadlineSignal(clock: Clock, timeoutMs: number, reason: unknown): DeadlineSignal {
  const controller = new AbortController();
  let handle: unknown = clock.setTimeout(() => {
    handle = undefined;
    controller.abort(reason);
  }, timeoutMs);
  return {
    signal: controller.signal,
    cleanup: () => {
      if (handle === undefined) return;
      clock.clearTimeout(handle);
      handle = undefined;
    },
  };
}
