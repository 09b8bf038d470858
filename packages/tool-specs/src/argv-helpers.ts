import { ToolSpecError } from './errors';
import type { CommandResult, RunCommand, ToolCommand, ToolContext, ToolRunOutcome } from './types';

/**
 * Formats an integer we put in argv ourselves. Re-checked here because `command()` may be called
 * with unvalidated parameters, and a non-integer must never reach a sed script or a flag value.
 */
export function intArg(value: unknown, name: string, tool: string, min: number, max: number): string {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new ToolSpecError('INVALID_PARAMS', `${name} must be an integer from ${min} to ${max}`, { tool });
  }
  return String(value);
}

/** A string that goes into argv whole: refuses NUL (argv cannot carry it) and non-strings. */
export function stringArg(value: unknown, name: string, tool: string): string {
  if (typeof value !== 'string' || value.includes('\0')) {
    throw new ToolSpecError('INVALID_PARAMS', `${name} must be a string without NUL bytes`, { tool });
  }
  return value;
}

/** Web tools never run without the worker's egress proxy: there is no direct network path. */
export function requireEgressProxy(ctx: ToolContext, tool: string): string {
  const proxy = ctx.egressProxy;
  if (proxy === undefined || proxy === '' || proxy.includes('\0')) {
    throw new ToolSpecError(
      'EGRESS_PROXY_REQUIRED',
      `${tool} needs ctx.egressProxy: web tools only reach the network through the worker`,
      { tool },
    );
  }
  return proxy;
}

/** Lines of output, without the empty string a trailing newline leaves. */
export function outputLines(stdout: string): string[] {
  if (stdout === '') return [];
  const lines = stdout.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/**
 * `run()` for a one-command tool whose raw output must be filtered or capped (grep include globs,
 * max_results): the executor gets bounded stdout whether or not it calls `parseOutput`.
 */
export async function runAndKeepLines(
  command: ToolCommand,
  exec: RunCommand,
  keep: (lines: string[]) => { lines: string[]; capped: boolean },
): Promise<ToolRunOutcome> {
  const result = await exec(command);
  const ok = (command.successExitCodes ?? [0]).includes(result.exitCode);
  if (!ok) return { ...result };
  const kept = keep(outputLines(result.stdout));
  return {
    ...result,
    // Exit 1 from grep means "no match", which is a success; report it as 0 so runners need no special case.
    exitCode: 0,
    stdout: kept.lines.length === 0 ? '' : `${kept.lines.join('\n')}\n`,
    truncated: result.truncated || kept.capped,
  };
}

/** Takes the first `max` items, saying whether any were dropped. */
export function capLines(lines: string[], max: number): { lines: string[]; capped: boolean } {
  return lines.length > max ? { lines: lines.slice(0, max), capped: true } : { lines, capped: false };
}

/** The outcome of a multi-step tool that stopped at a failed step. */
export function failedStep(result: CommandResult, code: string, message: string, stderrSoFar = ''): ToolRunOutcome {
  return {
    exitCode: result.exitCode === 0 ? 1 : result.exitCode,
    stdout: '',
    stderr: stderrSoFar + result.stderr,
    truncated: false,
    error: { code, message },
  };
}
