import { stringArg } from '../argv-helpers';
import { ToolSpecError } from '../errors';
import { EXEC_RUNTIME, workspacePathParam } from '../resource-presets';
import { containerPath } from '../workspace-path';
import type { CommandResult, ParamIssue, ToolCommand, ToolContext, ToolSpec } from '../types';
import { EXEC_ENV_NAME_PATTERN, envNameDenial } from './exec-env';
import { EXEC_OUTPUT, execResultOf, failedExec } from './exec-result';
import type { ExecResult } from './exec-result';

export type ExecParams = {
  /** A command line for `/bin/sh -c`, run inside the sandbox. Exactly one of `command` and `argv`. */
  command?: string;
  /** A program and its arguments, run without a shell. */
  argv?: string[];
  /** @default '.' (the workspace root) */
  cwd?: string;
  env?: Record<string, string>;
  stdin?: string;
  /** @default the task's timeout (the spec's 60 s unless the request says otherwise) */
  timeout_seconds?: number;
};

/** Largest `command` and largest argv element, in UTF-8 bytes (Linux allows 128 KiB per argument). */
export const MAX_EXEC_ARG_BYTES = 64 * 1024;
export const MAX_EXEC_ARGV_ITEMS = 1024;
export const MAX_EXEC_ENV_VARS = 64;
export const MAX_EXEC_ENV_VALUE_BYTES = 32 * 1024;
export const MAX_EXEC_STDIN_BYTES = 1024 * 1024;
/** Upper bound of `timeout_seconds`; the executor's `maxTimeoutMs` and the policy's `tools.exec.max_timeout_ms` may lower it. */
export const MAX_EXEC_TIMEOUT_SECONDS = 600;

/** The exit code of the cwd check (below a signal's 129, above what shells use for "not found": 127). */
export const EXEC_CWD_EXIT = 125;
const CWD_MARKER = 'baaaht-exec:cwd:';

/**
 * Runs before the command, inside the sandbox: enters the working directory, then replaces itself with the
 * command (so the command is the process the runtime signals). Its values are positionals, never code.
 * A failure prints exactly one marker line and exits EXEC_CWD_EXIT before the command could print anything.
 */
export const EXEC_WRAPPER_SCRIPT = [
  `if [ ! -e "$1" ]; then echo "${CWD_MARKER}NOT_FOUND" >&2; exit ${EXEC_CWD_EXIT}; fi`,
  `if [ ! -d "$1" ]; then echo "${CWD_MARKER}NOT_A_DIRECTORY" >&2; exit ${EXEC_CWD_EXIT}; fi`,
  `cd -- "$1" 2>/dev/null || { echo "${CWD_MARKER}PERMISSION_DENIED" >&2; exit ${EXEC_CWD_EXIT}; }`,
  'shift',
  'exec "$@"',
].join('\n');

/** The cwd check's refusal, when that is what the run printed (and nothing else). */
function cwdRefusal(r: CommandResult, cwd: string): { code: string; message: string } | undefined {
  if (r.exitCode !== EXEC_CWD_EXIT || r.stdout !== '') return undefined;
  const m = /^baaaht-exec:cwd:(NOT_FOUND|NOT_A_DIRECTORY|PERMISSION_DENIED)\n$/.exec(r.stderr);
  if (m === null) return undefined;
  const code = m[1] as string;
  const why =
    code === 'NOT_FOUND'
      ? 'does not exist in the workspace'
      : code === 'NOT_A_DIRECTORY'
        ? 'is not a directory'
        : 'cannot be entered (permission denied)';
  return { code, message: `cwd ${cwd} ${why}` };
}

/** Proxy variables for an exec the policy granted egress: curl (7.84+) speaks SOCKS5 over the proxy's Unix socket. */
function proxyEnv(ctx: ToolContext): Record<string, string> {
  const proxy = ctx.egressProxy;
  if (proxy === undefined || proxy === '') return {};
  return {
    ALL_PROXY: proxy,
    all_proxy: proxy,
    HTTPS_PROXY: proxy,
    https_proxy: proxy,
    HTTP_PROXY: proxy,
    http_proxy: proxy,
  };
}

function checkExecParams(params: ExecParams): ParamIssue[] {
  const issues: ParamIssue[] = [];
  const hasCommand = params.command !== undefined;
  const hasArgv = params.argv !== undefined;
  if (hasCommand === hasArgv)
    issues.push({ path: '', message: 'give exactly one of command (a shell command line) and argv (no shell)' });
  for (const name of Object.keys(params.env ?? {})) {
    const denial = envNameDenial(name);
    if (denial !== undefined)
      issues.push({ path: `/env/${name.replace(/~/g, '~0').replace(/\//g, '~1')}`, message: denial });
  }
  return issues;
}

export const exec: ToolSpec<ExecParams> = {
  name: 'exec',
  displayName: 'Run command',
  description:
    'Run a command in a sandboxed Linux container (a busybox/Alpine userland) with the workspace mounted ' +
    'read-write at /workspace. Give either `command`, a command line run by /bin/sh -c inside the sandbox ' +
    '(pipes, redirects and && work), or `argv`, a program and its arguments run directly with no shell ' +
    '(nothing is expanded or quoted). `cwd` is the starting directory relative to the workspace (default the ' +
    'root). The sandbox has no network unless the operator allows it, runs as the workspace owner (never root) ' +
    'with a read-only root filesystem and a small /tmp, and is limited in CPU, memory, processes and time; ' +
    'nothing but the workspace outlives the call. stdout and stderr are returned separately: a stream longer ' +
    'than its cap keeps its first and last halves around a line saying how many bytes were dropped, and ' +
    'the result marks it truncated. A non-zero exit fails the call with the exit code; a command killed by a ' +
    'signal reports the signal (exit code 128+n). On timeout every process of the call is killed and the ' +
    'output printed so far is returned. Only available when the operator enabled it.',
  version: '1.0.0',
  parameters: {
    type: 'object',
    properties: {
      command: {
        type: 'string',
        minLength: 1,
        'x-argv': true,
        'x-max-bytes': MAX_EXEC_ARG_BYTES,
        description: 'Shell command line, run as `/bin/sh -c COMMAND` inside the sandbox. Not with argv.',
      },
      argv: {
        type: 'array',
        minItems: 1,
        maxItems: MAX_EXEC_ARGV_ITEMS,
        items: { type: 'string', 'x-argv': true, 'x-max-bytes': MAX_EXEC_ARG_BYTES },
        description: 'Program (looked up on PATH) and its arguments, passed verbatim with no shell. Not with command.',
      },
      cwd: workspacePathParam('Directory to run in, relative to the workspace root.', true),
      env: {
        type: 'object',
        maxProperties: MAX_EXEC_ENV_VARS,
        propertyNames: { pattern: EXEC_ENV_NAME_PATTERN, maxLength: 128 },
        additionalProperties: { type: 'string', 'x-argv': true, 'x-max-bytes': MAX_EXEC_ENV_VALUE_BYTES },
        description:
          'Extra environment variables (names like FOO_BAR). PATH, IFS, ENV, BASH_ENV, LD_* and BAAAHT_* are ' +
          'refused: they would change how the sandbox starts the command.',
      },
      stdin: {
        type: 'string',
        'x-max-bytes': MAX_EXEC_STDIN_BYTES,
        description: 'Text written to the command’s standard input, which is then closed. Omitted: no input.',
      },
      timeout_seconds: {
        type: 'integer',
        minimum: 1,
        maximum: MAX_EXEC_TIMEOUT_SECONDS,
        description: 'Kill the command after this many seconds. Default: the task’s timeout (60 s).',
      },
    },
    additionalProperties: false,
  },
  ...EXEC_RUNTIME,
  programs: ['sh'],
  outputSchema: EXEC_OUTPUT,
  outputCap: 'head-tail',
  enabledBy: 'tools.exec.enabled',
  maxParamsBytes: MAX_EXEC_STDIN_BYTES + 2 * 1024 * 1024,
  validateParams: checkExecParams,
  timeoutMsOf: (params) => (params.timeout_seconds === undefined ? undefined : params.timeout_seconds * 1000),
  command(params, ctx): ToolCommand {
    const issues = checkExecParams(params);
    if (issues.length > 0)
      throw new ToolSpecError('INVALID_PARAMS', issues.map((i) => i.message).join('; '), { tool: 'exec' });
    const dir = containerPath(params.cwd ?? '.', ctx.workspaceDir, 'cwd', 'exec');
    const program =
      params.command !== undefined
        ? ['/bin/sh', '-c', stringArg(params.command, 'command', 'exec')]
        : (params.argv ?? []).map((a, i) => stringArg(a, `argv[${i}]`, 'exec'));
    const env: Record<string, string> = { ...proxyEnv(ctx) };
    for (const [name, value] of Object.entries(params.env ?? {})) env[name] = stringArg(value, `env.${name}`, 'exec');
    const command: ToolCommand = { argv: ['sh', '-c', EXEC_WRAPPER_SCRIPT, 'exec', dir, ...program], env };
    if (params.stdin !== undefined) command.stdin = params.stdin;
    return command;
  },
  async run(params, ctx, run) {
    const r = await run(exec.command(params, ctx));
    const refused = cwdRefusal(r, params.cwd ?? '.');
    if (refused !== undefined) return { ...r, stderr: `exec: ${refused.message}\n`, error: refused };
    const structured: ExecResult = execResultOf(r);
    return r.exitCode === 0 ? { ...r, structured } : failedExec(r, structured);
  },
};
