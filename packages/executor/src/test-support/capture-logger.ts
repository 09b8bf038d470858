import type { Logger } from '../logger';

export interface LogEntry {
  level: string;
  message: string;
  meta: Record<string, unknown>;
}

/** A logger that keeps every entry, for asserting what was logged. */
export function captureLogger(): { logger: Logger; entries: LogEntry[] } {
  const entries: LogEntry[] = [];
  const at =
    (level: string) =>
    (message: string, meta: Record<string, unknown> = {}) =>
      void entries.push({ level, message, meta });
  return {
    logger: { trace: at('trace'), debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') },
    entries,
  };
}
