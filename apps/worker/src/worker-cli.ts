import type { CommandSpec } from './args';
import { parseCommand, printHelp, unknownCommand } from './args';
import type { CliIo } from './cli-io';
import { writeOut } from './cli-io';
import { resolveWorkerConfig } from './config';
import { configCommand, runConfigCommand } from './commands/config-command';
import { doctorCommand, runDoctorCommand } from './commands/doctor-command';
import { imagesCommand, runImagesCommand } from './commands/images-command';
import { mcpCommand, runMcpCommand } from './commands/mcp-command';
import { policyCommand, runPolicyCommand } from './commands/policy-command';
import { runCommand, runRunCommand } from './commands/run-command';
import { runServeCommand } from './commands/serve-command';
import { runStatusCommand, statusCommand } from './commands/status-command';
import { runToolsCommand, toolsCommand } from './commands/tools-command';
import { completionCommand, runCompletionCommand } from './completion';
import { workerVersion } from './version';

const SUBCOMMANDS: Record<string, CommandSpec> = {
  run: runCommand,
  mcp: mcpCommand,
  tools: toolsCommand,
  policy: policyCommand,
  doctor: doctorCommand,
  config: configCommand,
  images: imagesCommand,
  status: statusCommand,
  completion: completionCommand('worker'),
};

export const workerCommand: CommandSpec = {
  name: 'worker',
  usage: 'worker [command] [options]',
  summary: [
    'Runs the baaaht worker: connects to the orchestrator, registers, and runs tools in hardened containers.',
    "With no command it runs the worker; `worker <command> --help` shows a command's own options.",
    '',
    'Every option can also be set as WORKER_<OPTION> (e.g. WORKER_LOG_LEVEL) or in the config file',
    '(keys in kebab or snake case). Precedence: flags > environment > config file > defaults.',
  ].join('\n'),
  epilog:
    'Exit status: 0 after a clean stop, 1 on failure (orchestrator unreachable, Docker down), 2 for usage and\nconfiguration errors, including an auth token the orchestrator refused.',
  flags: { version: { type: 'boolean', short: 'v', description: 'print the version' } },
  configFlags: true,
  minPositionals: 0,
  maxPositionals: 0,
  commands: SUBCOMMANDS,
};

/** `worker ...`: dispatches to a subcommand, or runs the worker. Returns the exit code. */
export async function workerCli(argv: readonly string[], io: CliIo): Promise<number> {
  const first = argv[0];
  if (first === 'help') {
    const spec = argv[1] === undefined ? workerCommand : SUBCOMMANDS[argv[1]];
    if (spec === undefined) throw unknownCommand(workerCommand, argv[1] ?? '');
    await printHelp(spec, io.stdout);
    return 0;
  }
  if (first !== undefined && !first.startsWith('-')) {
    const spec = SUBCOMMANDS[first];
    if (spec === undefined) throw unknownCommand(workerCommand, first);
    const parsed = parseCommand(spec, argv.slice(1));
    if (parsed.help) {
      await printHelp(spec, io.stdout);
      return 0;
    }
    if (first === 'policy') return runPolicyCommand(parsed.positionals, io);
    if (first === 'images') return runImagesCommand(parsed, io);
    if (first === 'status') return runStatusCommand(parsed, io);
    if (first === 'completion') return runCompletionCommand(workerCommand, 'worker', parsed.positionals[0] ?? '', io);
    const resolved = resolveWorkerConfig({ flags: parsed.values, env: io.env });
    const { config } = resolved;
    switch (first) {
      case 'tools':
        return runToolsCommand(config, parsed.values['json'] === true, io);
      case 'config':
        return runConfigCommand(resolved, parsed.values['json'] === true, io);
      case 'doctor':
        return runDoctorCommand(config, io, parsed.values['json'] === true);
      case 'mcp':
        return runMcpCommand(resolved, io);
      default:
        return runRunCommand(resolved, parsed, io);
    }
  }
  const parsed = parseCommand(workerCommand, argv);
  if (parsed.help) {
    await printHelp(workerCommand, io.stdout);
    return 0;
  }
  if (parsed.values['version'] === true) {
    await writeOut(io.stdout, `worker ${workerVersion()}\n`);
    return 0;
  }
  const resolved = resolveWorkerConfig({ flags: parsed.values, env: io.env });
  return runServeCommand(resolved, io);
}
