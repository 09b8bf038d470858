/** Time source for lease and registration timers; tests pass a manual one. */
export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** @deprecated Renamed to `Clock`, the name the other baaaht packages use. */
export type HubClock = Clock;

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout(fn, ms) {
    const handle = setTimeout(fn, ms);
    // A pending lease or expiry timer must never keep the process alive on its own.
    handle.unref();
    return handle;
  },
  clearTimeout(handle) {
    clearTimeout(handle as NodeJS.Timeout);
  },
};

/** @deprecated Renamed to `systemClock`, the name the other baaaht packages use. */
export const realClock: Clock = systemClock;
