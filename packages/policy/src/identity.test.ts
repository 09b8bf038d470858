import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemIdentity } from './identity';

describe('systemIdentity', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'policy-identity-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('collects the primary group by gid and supplementary groups by membership', () => {
    const groupFile = join(dir, 'group');
    writeFileSync(
      groupFile,
      ['# comment', 'root:x:0:', 'alice:x:1000:', 'devs:x:2000:bob,alice', 'ops:x:3000:bob', ''].join('\n'),
    );
    const id = systemIdentity({ groupFile, userInfo: () => ({ username: 'alice', gid: 1000 }) });
    expect(id).toEqual({ user: 'alice', groups: ['alice', 'devs'] });
  });

  it('without a group file the user has no groups (never more rights)', () => {
    const id = systemIdentity({ groupFile: join(dir, 'missing'), userInfo: () => ({ username: 'alice', gid: 1000 }) });
    expect(id).toEqual({ user: 'alice', groups: [] });
  });

  it('defaults to the process user', () => {
    expect(typeof systemIdentity().user).toBe('string');
  });
});
