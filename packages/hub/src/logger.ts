/** Structured logger accepted by the hub; ids go in `meta` (taskId, agentId, component). */
export interface Logger {
  trace(message: string, meta?: Record<string, unknown>): void;
  debug(message: string, meta?: Record<string, unknown>): void;
  info(message: string, meta?: Record<string, unknown>): void;
  warn(message: string, meta?: Record<string, unknown>): void;
  error(message: string, meta?: Record<string, unknown>): void;
}

function ignore(): void {}

/** Used unless the host passes a logger: library code never writes to the console. */
export const quietLogger: Logger = { trace: ignore, debug: ignore, info: ignore, warn: ignore, error: ignore };

/** @deprecated Renamed to `quietLogger`, the name the other baaaht packages use. */
export const silentLogger: Logger = quietLogger;
