import type { CommandSpec, ParsedCommand } from '../args';
import type { CliIo } from '../cli-io';
import type { WorkerConfig } from '../config-schema';
import { usageError } from '../errors';

export const runCommand: CommandSpec = {
  name: 'worker run',
  usage: 'worker run <tool> [--mount DIR] [--param key=value]... [--json]',
  summary: 'Runs one tool locally through the executor and policy.',
  flags: {},
  configFlags: true,
  minPositionals: 1,
  maxPositionals: 1,
};

export async function runRunCommand(_config: WorkerConfig, _parsed: ParsedCommand, _io: CliIo): Promise<number> {
  throw usageError('run: not implemented yet');
}
