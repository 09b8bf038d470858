import type { Logger } from './logger';

/** What one Docker call logs: before (`debug`), after (`debug`), on failure (`error`, then the error is rethrown). */
export interface CallMessages {
  doing: string;
  done: string;
  failed: string;
}

/**
 * Runs one engine call between its log lines, as testcontainers-node's clients do, so no caller has to log
 * Docker calls: `doing` with `meta`, then `done` with `meta` plus `resultMeta(result)`, or `failed` with the
 * error's message, and the same error rethrown.
 */
export async function loggedCall<T>(
  logger: Logger,
  messages: CallMessages,
  meta: Record<string, unknown>,
  call: () => Promise<T>,
  resultMeta?: (result: T) => Record<string, unknown>,
): Promise<T> {
  logger.debug(messages.doing, meta);
  let result: T;
  try {
    result = await call();
  } catch (err) {
    logger.error(messages.failed, { ...meta, error: err instanceof Error ? err.message : String(err) });
    throw err;
  }
  logger.debug(messages.done, { ...meta, ...resultMeta?.(result) });
  return result;
}
