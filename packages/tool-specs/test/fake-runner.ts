import { validateToolCall } from '../src/index';
import type { CommandResult, RunCommand, ToolCommand, ToolContext } from '../src/index';

/** The context a worker would pass; the proxy is a Unix socket as in production. */
export const ctx: ToolContext = {
  workspaceDir: '/workspace',
  egressProxy: 'socks5h://localhost/run/baaaht/egress.sock',
  searchBackendUrl: 'http://searx.internal:8080',
  // The plain argv (cat/tee/sed on the path); the in-container hard-link guard has its own tests.
  allowHardlinks: true,
};

/** The same context with the in-container hard-link guard on (the default). */
export const guardedCtx: ToolContext = { ...ctx, allowHardlinks: false };

/** Inputs a model might send to break out of argv: shell syntax, option-looking values, escapes. */
export const HOSTILE = [
  '; rm -rf / #',
  '$(touch /tmp/pwned)',
  '`id`',
  'a && b || c | d > e < f',
  'it\'s "quoted"',
  'line1\nline2',
  '-rf',
  '--help',
  '-e',
  '*',
  '${IFS}',
  '\\',
  'ünïcødé 🐑',
];

export function ok(stdout = '', extra: Partial<CommandResult> = {}): CommandResult {
  return { exitCode: 0, stdout, stderr: '', truncated: false, ...extra };
}

/** A RunCommand that records every command and answers from a script, in order. */
export function fakeRunner(...results: CommandResult[]): { exec: RunCommand; commands: ToolCommand[] } {
  const commands: ToolCommand[] = [];
  const exec: RunCommand = async (command) => {
    commands.push(command);
    const next = results.shift();
    if (next === undefined) throw new Error(`unexpected command ${JSON.stringify(command.argv)}`);
    return next;
  };
  return { exec, commands };
}

/** Validates like an orchestrator would and returns the params to run, or throws the validation error. */
export function validParams<P>(tool: string, params: Record<string, unknown>): P {
  const result = validateToolCall(tool, params);
  if (!result.ok) throw result.error;
  return result.params as P;
}
