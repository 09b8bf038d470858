import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parsePolicy } from './load-policy';

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
});
