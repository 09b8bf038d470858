import type { CommandSpec } from './args';
import { parseCommand, renderHelp } from './args';
import type { CliIo } from './cli-io';
import { writeOut } from './cli-io';
import { resolveWorkerConfig } from './config';
import { usageError } from './errors';
import { configCommand, runConfigCommand } from './commands/config-command';
import { doctorCommand, runDoctorCommand } from './commands/doctor-command';
import { imagesCommand, runImagesCommand } from './commands/images-command';
import { policyCommand, runPolicyCommand } from './commands/policy-command';
import { runCommand, runRunCommand } from './commands/run-command';
import { runServeCommand } from './commands/serve-command';
import { runStatusCommand, statusCommand } from './commands/status-command';
import { runToolsCommand, toolsCommand } from './commands/tools-command';
import { workerVersion } from './version';

const SUBCOMMANDS: Record<string, CommandSpec> = {
  run: runCommand,
  tools: toolsCommand,
  policy: policyCommand,
  doctor: doctorCommand,
  config: configCommand,
  images: imagesCommand,
  status: statusCommand,
};

export const workerCommand: CommandSpec = {
  name: 'worker',
  usage: 'worker [command] [options]',
  summary: [
    'Runs the baaaht worker: connects to the orchestrator, registers, and runs tools in hardened containers.',
    '',
    'Commands:',
    '  (none)             run the worker',
    '  run <tool>         run one tool locally through the executor and policy (no orchestrator)',
    '  tools              list the tool catalog',
    '  policy check FILE  validate a policy file',
    '  doctor             check Docker, tool images, the orchestrator socket and the policy',
    '  config             print the effective configuration and where each value came from',
    '  images [--build]   build the offline tool images and print the config that uses them',
    '  status             ask a running worker (its --status-addr) what it is running',
    '',
    'Every option can also be set as WORKER_<OPTION> (e.g. WORKER_LOG_LEVEL) or in the config file',
    '(keys in kebab or snake case). Precedence: flags > environment > config file > defaults.',
  ].join('\n'),
  flags: { version: { type: 'boolean', short: 'v', description: 'print the version' } },
  configFlags: true,
  minPositionals: 0,
  maxPositionals: 0,
};

/** `worker ...`: dispatches to a subcommand, or runs the worker. Returns the exit code. */
export async function workerCli(argv: readonly string[], io: CliIo): Promise<number> {
  const first = argv[0];
  if (first === 'help') {
    const spec = argv[1] === undefined ? workerCommand : SUBCOMMANDS[argv[1]];
    if (spec === undefined) throw usageError(`unknown command ${JSON.stringify(argv[1])} (see worker --help)`);
    await writeOut(io.stdout, renderHelp(spec));
    return 0;
  }
  if (first !== undefined && !first.startsWith('-')) {
    const spec = SUBCOMMANDS[first];
    if (spec === undefined) throw usageError(`unknown command ${JSON.stringify(first)} (see worker --help)`);
    const parsed = parseCommand(spec, argv.slice(1));
    if (parsed.help) {
      await writeOut(io.stdout, renderHelp(spec));
      return 0;
    }
    if (first === 'policy') return runPolicyCommand(parsed.positionals, io);
    if (first === 'images') return runImagesCommand(parsed, io);
    if (first === 'status') return runStatusCommand(parsed, io);
    const resolved = resolveWorkerConfig({ flags: parsed.values, env: io.env });
    const { config } = resolved;
    switch (first) {
      case 'tools':
        return runToolsCommand(config, parsed.values['json'] === true, io);
      case 'config':
        return runConfigCommand(resolved, parsed.values['json'] === true, io);
      case 'doctor':
        return runDoctorCommand(config, io, parsed.values['json'] === true);
      default:
        return runRunCommand(resolved, parsed, io);
    }
  }
  const parsed = parseCommand(workerCommand, argv);
  if (parsed.help) {
    await writeOut(io.stdout, renderHelp(workerCommand));
    return 0;
  }
  if (parsed.values['version'] === true) {
    await writeOut(io.stdout, `worker ${workerVersion()}\n`);
    return 0;
  }
  const resolved = resolveWorkerConfig({ flags: parsed.values, env: io.env });
  return runServeCommand(resolved, io);
}
