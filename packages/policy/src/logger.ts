/** The logging interface this package writes to; pass your own, the default drops everything. */
export interface Logger {
  trace(message: string, meta?: Record<string, unknown>): void;
  debug(message: string, meta?: Record<string, unknown>): void;
  info(message: string, meta?: Record<string, unknown>): void;
  warn(message: string, meta?: Record<string, unknown>): void;
  error(message: string, meta?: Record<string, unknown>): void;
}

const noop = (): void => {};

/** A library must stay silent unless the embedder asks for logs. */
export const quietLogger: Logger = { trace: noop, debug: noop, info: noop, warn: noop, error: noop };
