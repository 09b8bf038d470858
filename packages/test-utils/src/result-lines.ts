/** A task result as a test sees it: the executor's (`status`) or the hub's (a state word). */
export interface ResultLike {
  taskId: string;
  status: string;
  error?: { code: string; message: string } | undefined;
}

/**
 * One line per result, `<taskId> <status> <code>: <message>`, so an assertion over a set of results says
 * what went wrong with each bad one: `expect(resultLines(results.filter(bad))).toEqual([])`.
 */
export function resultLines(results: readonly ResultLike[]): string[] {
  return results.map((r) => `${r.taskId} ${r.status}${r.error ? ` ${r.error.code}: ${r.error.message}` : ''}`);
}

/** The results whose status is not `completed`, as `resultLines`: `[]` when all completed. */
export function notCompletedLines(results: readonly ResultLike[]): string[] {
  return resultLines(results.filter((r) => r.status !== 'completed'));
}
