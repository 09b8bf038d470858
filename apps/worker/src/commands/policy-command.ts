import { checkPolicyFile } from '@baaaht/policy';
import type { CommandSpec } from '../args';
import type { CliIo } from '../cli-io';
import { writeOut } from '../cli-io';
import { usageError } from '../errors';

export const policyCommand: CommandSpec = {
  name: 'worker policy',
  usage: 'worker policy check FILE',
  summary: 'Validates a policy file: prints "ok" (exit 0) or every problem as `path: message` (exit 1).',
  flags: {},
  configFlags: false,
  minPositionals: 2,
  maxPositionals: 2,
};

export async function runPolicyCommand(positionals: readonly string[], io: CliIo): Promise<number> {
  const [action, file] = positionals;
  if (action !== 'check' || file === undefined)
    throw usageError(`unknown policy action ${JSON.stringify(action)}: usage: ${policyCommand.usage}`);
  const problems = checkPolicyFile(file, { env: io.env });
  if (problems.length === 0) {
    await writeOut(io.stdout, 'ok\n');
    return 0;
  }
  await writeOut(io.stdout, problems.map((p) => `${p}\n`).join(''));
  return 1;
}
