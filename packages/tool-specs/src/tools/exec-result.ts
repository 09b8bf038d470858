import os from 'node:os';
import type { CommandResult, OutputSchema, ToolRunOutcome } from '../types';

/** What one stream of an exec call lost to the output cap. */
export interface ExecStreamInfo {
  /** Some bytes of this stream were dropped (its middle, under exec's head+tail cap). */
  truncated: boolean;
  droppedBytes: number;
}

/** `structured` of an exec call that ran to its end (a timeout or cancel has no structured result). */
export interface ExecResult {
  exitCode: number;
  /** The signal that ended the command, from an exit code of 128 + n (`SIGKILL` for 137); null otherwise. */
  signal: string | null;
  stdout: ExecStreamInfo;
  stderr: ExecStreamInfo;
}

const STREAM_INFO: OutputSchema = {
  type: 'object',
  properties: {
    truncated: { type: 'boolean', description: 'Some bytes of this stream were dropped (its middle).' },
    droppedBytes: { type: 'integer', minimum: 0 },
  },
  required: ['truncated', 'droppedBytes'],
  additionalProperties: false,
};

/** The JSON Schema of `ExecResult`. */
export const EXEC_OUTPUT: OutputSchema = {
  type: 'object',
  properties: {
    exitCode: { type: 'integer', description: "The command's exit code." },
    signal: {
      type: ['string', 'null'],
      description: 'The signal that ended the command (from an exit code of 128 + n), or null.',
    },
    stdout: STREAM_INFO,
    stderr: STREAM_INFO,
  },
  required: ['exitCode', 'signal', 'stdout', 'stderr'],
  additionalProperties: false,
};

/** The signal name for an exit code of 128 + n (n from 1 to 31), else null. */
export function signalOfExitCode(exitCode: number): string | null {
  if (!Number.isInteger(exitCode) || exitCode <= 128 || exitCode >= 160) return null;
  const n = exitCode - 128;
  return Object.entries(os.constants.signals).find(([, v]) => v === n)?.[0] ?? `SIG${n}`;
}

export function execResultOf(r: CommandResult): ExecResult {
  const dropped = r.droppedBytes ?? { stdout: 0, stderr: 0 };
  return {
    exitCode: r.exitCode,
    signal: signalOfExitCode(r.exitCode),
    stdout: { truncated: dropped.stdout > 0, droppedBytes: dropped.stdout },
    stderr: { truncated: dropped.stderr > 0, droppedBytes: dropped.stderr },
  };
}

/** A command that exited non-zero, or was killed by a signal: the call failed, the output and result stay. */
export function failedExec(r: CommandResult, structured: ExecResult): ToolRunOutcome {
  const error =
    structured.signal !== null
      ? {
          code: 'KILLED_BY_SIGNAL',
          message: `the command was killed by ${structured.signal} (exit code ${r.exitCode})`,
        }
      : { code: 'NONZERO_EXIT', message: `the command exited with code ${r.exitCode}` };
  return { ...r, structured, error };
}
