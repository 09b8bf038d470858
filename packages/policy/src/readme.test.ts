import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatIssue } from './errors';
import { inspectPolicy, parsePolicy } from './load-policy';

// The README's example policy must stay a valid policy.
describe('README', () => {
  it('the example YAML parses and validates', () => {
    const readme = readFileSync(join(__dirname, '..', 'README.md'), 'utf8');
    const yaml = /```yaml\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(yaml).toBeDefined();
    const policy = parsePolicy(yaml ?? '', { source: 'README.md', env: {} });
    expect(policy.mounts?.mount_allowlist?.[3]?.path).toBe('/srv/work');
    expect(policy.tools?.shell?.disabled).toBe(true);
  });

  it('the multi-error example prints what the README says, in one run', () => {
    const readme = readFileSync(join(__dirname, '..', 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('### Validation'));
    const [file, output] = [...section.matchAll(/```text\n([\s\S]*?)```/g)].map((m) => m[1] ?? '');
    expect(output).toBeDefined();
    const { issues } = inspectPolicy(file ?? '', { env: {} });
    expect(issues.map(formatIssue).join('\n') + '\n').toBe(output);
  });
});
