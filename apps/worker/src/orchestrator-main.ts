/**
 * `orchestrator`: the dev orchestrator (`serve`) and its client commands. Each command lives in
 * `commands/`; this file is the command table and the dispatch.
 */
import type { CommandSpec } from './args';
import { parseCommand, printHelp, unknownCommand } from './args';
import type { CliIo } from './cli-io';
import { writeOut } from './cli-io';
import { completionCommand, runCompletionCommand } from './completion';
import { workerVersion } from './version';
import { execCommand, runExecCommand } from './commands/exec-command';
import { withClient } from './commands/orchestrator-client';
import { runOrchestratorServe, serveCommand } from './commands/orchestrator-serve-command';
import {
  cancelCommand,
  runCancelCommand,
  runStatusCommand,
  runTasksCommand,
  statusCommand,
  tasksCommand,
} from './commands/tasks-command';
import { runWorkersCommand, workersCommand } from './commands/workers-command';
import {
  runSessionCloseCommand,
  runSessionsCommand,
  sessionCommand,
  sessionsCommand,
} from './commands/sessions-command';

const SUBCOMMANDS: Record<string, CommandSpec> = {
  serve: serveCommand,
  exec: execCommand,
  workers: workersCommand,
  tasks: tasksCommand,
  status: statusCommand,
  cancel: cancelCommand,
  sessions: sessionsCommand,
  session: sessionCommand,
  completion: completionCommand('orchestrator'),
};

const rootCommand: CommandSpec = {
  name: 'orchestrator',
  usage: 'orchestrator <command> [options]',
  summary: "The dev orchestrator and its client. `orchestrator <command> --help` shows a command's options.",
  flags: { version: { type: 'boolean', short: 'v', description: 'print the version' } },
  configFlags: false,
  minPositionals: 0,
  maxPositionals: 0,
  commands: SUBCOMMANDS,
};

export async function orchestratorCli(argv: readonly string[], io: CliIo): Promise<number> {
  const first = argv[0];
  if (first === undefined || first.startsWith('-')) {
    const parsed = parseCommand(rootCommand, argv);
    if (parsed.values['version'] === true) {
      await writeOut(io.stdout, `orchestrator ${workerVersion()}\n`);
      return 0;
    }
    await printHelp(rootCommand, parsed.help ? io.stdout : io.stderr);
    return parsed.help ? 0 : 2;
  }
  const spec = first === 'help' ? (SUBCOMMANDS[argv[1] ?? ''] ?? rootCommand) : SUBCOMMANDS[first];
  if (spec === undefined) throw unknownCommand(rootCommand, first);
  if (first === 'help') {
    await printHelp(spec, io.stdout);
    return 0;
  }
  const parsed = parseCommand(spec, argv.slice(1));
  if (parsed.help) {
    await printHelp(spec, io.stdout);
    return 0;
  }
  switch (first) {
    case 'completion':
      return runCompletionCommand(rootCommand, 'orchestrator', parsed.positionals[0] ?? '', io);
    case 'serve':
      return runOrchestratorServe(parsed, io);
    case 'exec':
      return runExecCommand(parsed, io);
    case 'workers':
      return withClient(parsed, io, (client) => runWorkersCommand(client, parsed, io));
    case 'tasks':
      return withClient(parsed, io, (client) => runTasksCommand(client, parsed, io));
    case 'cancel':
      return withClient(parsed, io, (client) => runCancelCommand(client, parsed, io));
    case 'sessions':
      return withClient(parsed, io, (client) => runSessionsCommand(client, parsed, io));
    case 'session':
      return withClient(parsed, io, (client) => runSessionCloseCommand(client, parsed, io));
    default:
      return withClient(parsed, io, (client) => runStatusCommand(client, parsed, io));
  }
}
