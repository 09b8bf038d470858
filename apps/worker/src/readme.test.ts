import fs from 'node:fs';
import path from 'node:path';
import { OPTIONS, envName, snakeKey } from './config-schema';

// The flag table is the operator's reference; it must not drift from the schema.
const readme = fs.readFileSync(path.join(__dirname, '..', 'README.md'), 'utf8');

describe('README', () => {
  it.each(OPTIONS.map((o) => [o.flag, o] as const))(
    'documents --%s with its env var, file key and default',
    (_flag, o) => {
      // A switch (boolean) has no value after its name.
      const label = `| \`--${o.flag}${o.type === 'boolean' ? '`' : ' '}`;
      const row = readme.split('\n').find((l) => l.startsWith(label));
      expect(row).toBeDefined();
      expect(row).toContain(`\`${envName(o.flag)}\``);
      expect(row).toContain(`\`${snakeKey(o.flag)}\``);
      expect(row).toContain(o.defaultText);
    },
  );

  it('covers every subcommand and the seed troubleshooting problems', () => {
    for (const heading of [
      '### `worker run <tool>`',
      '### `worker mcp`',
      '### `worker tools [--json]`',
      '### `worker policy check FILE`',
      '### `worker doctor`',
      '### `orchestrator serve`',
      '### `orchestrator exec <tool>`',
      '### `orchestrator tasks`',
      '### `orchestrator status <taskId>`',
      '### `orchestrator cancel <taskId>`',
      '### `worker status`',
    ]) {
      expect(readme).toContain(heading);
    }
    for (const problem of [
      '### Worker cannot connect to the orchestrator',
      '### Tool containers fail to execute',
      '### Worker cannot access mounted paths',
    ]) {
      expect(readme).toContain(problem);
    }
  });
});
