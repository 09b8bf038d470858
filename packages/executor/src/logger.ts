/** Structured logging hooks. Ids (`taskId`, `tool`, `containerId`) travel in `meta`, never in the message. */
export interface Logger {
  trace(message: string, meta?: Record<string, unknown>): void;
  debug(message: string, meta?: Record<string, unknown>): void;
  info(message: string, meta?: Record<string, unknown>): void;
  warn(message: string, meta?: Record<string, unknown>): void;
  error(message: string, meta?: Record<string, unknown>): void;
}

const noop = (): void => undefined;

/** The default: a library stays silent unless its embedder asks otherwise. */
export const quietLogger: Logger = Object.freeze({ trace: noop, debug: noop, info: noop, warn: noop, error: noop });

/** Adds fixed fields (e.g. `component`, `taskId`) to every entry. */
export function withMeta(logger: Logger, fixed: Record<string, unknown>): Logger {
  const wrap =
    (fn: (m: string, meta?: Record<string, unknown>) => void) =>
    (message: string, meta?: Record<string, unknown>): void =>
      fn.call(logger, message, { ...fixed, ...meta });
  return {
    trace: wrap(logger.trace),
    debug: wrap(logger.debug),
    info: wrap(logger.info),
    warn: wrap(logger.warn),
    error: wrap(logger.error),
  };
}

/** Container ids are logged short, like the docker CLI shows them. */
export function shortId(id: string | undefined): string | undefined {
  return id === undefined ? undefined : id.slice(0, 12);
}
