import { checkPolicyFile, loadPolicyFile } from '@baaaht/policy';
import type { MountPolicy, Policy } from '@baaaht/policy';
import type { CommandSpec } from '../args';
import type { CliIo } from '../cli-io';
import { writeOut } from '../cli-io';
import { usageError } from '../errors';

export const policyCommand: CommandSpec = {
  name: 'worker policy',
  brief: 'validate a policy file',
  usage: 'worker policy check FILE',
  summary:
    'Validates a policy file: prints "ok" and the workspace protections (exit 0) or every problem as `path: message` (exit 1).',
  flags: {},
  configFlags: false,
  minPositionals: 2,
  maxPositionals: 2,
  positionalChoices: () => ['check'],
};

export async function runPolicyCommand(positionals: readonly string[], io: CliIo): Promise<number> {
  const [action, file] = positionals;
  if (action !== 'check' || file === undefined)
    throw usageError(`unknown policy action ${JSON.stringify(action)}: usage: ${policyCommand.usage}`);
  const problems = checkPolicyFile(file, { env: io.env });
  if (problems.length === 0) {
    await writeOut(io.stdout, `ok\n${describeProtections(loadPolicyFile(file, { env: io.env }))}`);
    return 0;
  }
  await writeOut(io.stdout, problems.map((p) => `${p}\n`).join(''));
  return 1;
}

const list = (paths: readonly string[]): string => (paths.length === 0 ? 'none' : paths.join(', '));

function protectionLines(label: string, mounts: MountPolicy | undefined, inherited: boolean): string[] {
  const lines: string[] = [];
  const paths = mounts?.protected_paths;
  if (paths !== undefined) lines.push(`${label}protected paths: ${list(paths)}`);
  else if (!inherited) lines.push(`${label}protected paths: .git (the executor default; set mounts.protected_paths)`);
  const links = mounts?.allow_hardlinks;
  if (links !== undefined) lines.push(`${label}hard links: ${links ? 'allowed' : 'refused'}`);
  else if (!inherited) lines.push(`${label}hard links: refused (the executor default; set mounts.allow_hardlinks)`);
  return lines;
}

/** What `mounts.protected_paths` / `mounts.allow_hardlinks` mean for this policy, globally and per tool. */
export function describeProtections(policy: Policy): string {
  const lines = protectionLines('', policy.mounts, false);
  for (const [tool, override] of Object.entries(policy.tools ?? {})) {
    // A tool override only adds protected paths (merging is a union).
    lines.push(
      ...protectionLines(`tools.${tool}: `, override.mounts, true).map((l) =>
        l.replace('protected paths:', 'also protected:'),
      ),
    );
  }
  return lines.map((l) => `${l}\n`).join('');
}
