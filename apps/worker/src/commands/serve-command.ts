import type { CliIo } from '../cli-io';
import type { ResolvedWorkerConfig } from '../config';
import { usageError } from '../errors';

export async function runServeCommand(_resolved: ResolvedWorkerConfig, _io: CliIo): Promise<number> {
  throw usageError('serve: not implemented yet');
}
