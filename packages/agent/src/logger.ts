/** Structured logger accepted by the agent; ids go in `meta` (taskId, agentId, component). */
export interface Logger {
  trace(message: string, meta?: Record<string, unknown>): void;
  debug(message: string, meta?: Record<string, unknown>): void;
  info(message: string, meta?: Record<string, unknown>): void;
  warn(message: string, meta?: Record<string, unknown>): void;
  error(message: string, meta?: Record<string, unknown>): void;
}

const noop = (): void => undefined;

/** The default: a library stays silent unless its host hands it a logger. */
export const quietLogger: Logger = { trace: noop, debug: noop, info: noop, warn: noop, error: noop };
