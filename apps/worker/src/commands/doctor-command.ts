import type { CommandSpec } from '../args';
import type { CliIo } from '../cli-io';
import type { WorkerConfig } from '../config-schema';
import { usageError } from '../errors';

export const doctorCommand: CommandSpec = {
  name: 'worker doctor',
  usage: 'worker doctor [options]',
  summary: 'Checks Docker, tool images, the orchestrator socket and the policy.',
  flags: {},
  configFlags: true,
  minPositionals: 0,
  maxPositionals: 0,
};

export async function runDoctorCommand(_config: WorkerConfig, _io: CliIo): Promise<number> {
  throw usageError('doctor: not implemented yet');
}
