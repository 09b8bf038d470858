import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ContainerMountRequest } from './contract';
import type { HostIdentity } from './identity';
import type { MountAllowlistEntry, MountPolicy } from './model';
import { checkMounts } from './mount-rules';

let root: string;
const alice = (): HostIdentity => ({ user: 'alice', groups: ['devs'] });

beforeEach(() => {
  // Real directories and symlinks: the checks must hold against the real filesystem.
  root = realpathSync.native(mkdtempSync(join(tmpdir(), 'policy-mounts-')));
  for (const d of [
    'tmp/work',
    'etc',
    'home/alice/projects/app',
    'home/alice/.ssh',
    'home/bob/projects',
    'data/public',
    'data/secret',
    'shared',
  ]) {
    mkdirSync(join(root, d), { recursive: true });
  }
  writeFileSync(join(root, 'etc/passwd'), 'root:x:0:0\n');
  symlinkSync(join(root, 'etc'), join(root, 'tmp/work/escape'));
  symlinkSync(join(root, 'tmp/work'), join(root, 'shared/link-to-work'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const mount = (source: string, mode: ContainerMountRequest['mode'] = 'readonly'): ContainerMountRequest => ({
  source,
  target: '/workspace',
  mode,
});
const allowlist = (...entries: MountAllowlistEntry[]): MountPolicy => ({
  allow_bind_mounts: true,
  mount_allowlist: entries,
});
const rules = (policy: MountPolicy, ...mounts: ContainerMountRequest[]): string[] =>
  checkMounts(mounts, policy, alice).violations.map((v) => v.rule);

describe('seed bypasses', () => {
  it('`/tmp/../etc` is judged as /etc, not under /tmp/*', () => {
    const policy = allowlist({ path: `${root}/tmp/*`, mode: 'readwrite' });
    expect(rules(policy, mount(`${root}/tmp/work`))).toEqual([]);
    expect(rules(policy, mount(`${root}/tmp/../etc`))).toEqual(['mounts.mount_allowlist']);
    expect(rules(policy, mount(`${root}/tmp/work/../../etc`))).toEqual(['mounts.mount_allowlist']);
  });

  it('`/tmp/../etc` on the real host with /tmp/* allowed', () => {
    const policy = allowlist({ path: '/tmp/*', mode: 'readwrite' });
    expect(rules(policy, mount('/tmp/../etc'))).toEqual(['mounts.mount_allowlist']);
  });

  it('`/etc` itself is denied when `/etc/*` is denied (mounting it would expose everything under it)', () => {
    const policy = allowlist({ path: root, mode: 'readwrite' }, { path: `${root}/etc/*`, mode: 'denied' });
    expect(rules(policy, mount(`${root}/etc`))).toEqual(['mounts.mount_allowlist.denied']);
    expect(rules(policy, mount(`${root}/etc/passwd`))).toEqual(['mounts.mount_allowlist.denied']);
    expect(rules(policy, mount(root))).toEqual(['mounts.mount_allowlist.denied']);
    expect(rules(policy, mount(`${root}/data`))).toEqual([]);
  });

  it('a symlink inside an allowed directory that points outside it is denied', () => {
    const policy = allowlist({ path: `${root}/tmp/work`, mode: 'readwrite' });
    expect(rules(policy, mount(`${root}/tmp/work/escape`))).toEqual(['mounts.mount_allowlist']);
  });

  it('a symlink into an allowed directory is allowed, and the real path is what gets mounted', () => {
    const policy = allowlist({ path: `${root}/tmp/work`, mode: 'readwrite' });
    const result = checkMounts([mount(`${root}/shared/link-to-work`, 'readwrite')], policy, alice);
    expect(result.violations).toEqual([]);
    expect(result.mounts[0]?.source).toBe(`${root}/tmp/work`);
  });

  it('the legacy denied_bind_sources also catch the directory itself and `..` tricks', () => {
    const policy: MountPolicy = { allow_bind_mounts: true, denied_bind_sources: [`${root}/etc/*`] };
    expect(rules(policy, mount(`${root}/etc`))).toEqual(['mounts.denied_bind_sources']);
    expect(rules(policy, mount(`${root}/tmp/../etc/passwd`))).toEqual(['mounts.denied_bind_sources']);
    expect(rules(policy, mount(`${root}/tmp/work/escape`))).toEqual(['mounts.denied_bind_sources']);
    expect(rules(policy, mount(`${root}/data`))).toEqual([]);
  });
});

describe('allowlist resolution', () => {
  it('longest prefix wins; a denied subtree inside an allowed one stays denied', () => {
    const policy = allowlist(
      { path: `${root}/data`, mode: 'readwrite' },
      { path: `${root}/data/secret`, mode: 'denied' },
    );
    expect(rules(policy, mount(`${root}/data/public`, 'readwrite'))).toEqual([]);
    expect(rules(policy, mount(`${root}/data/secret`))).toEqual(['mounts.mount_allowlist.denied']);
    expect(rules(policy, mount(`${root}/data`))).toEqual(['mounts.mount_allowlist.denied']);
  });

  it('a more specific allow under a denied parent is allowed', () => {
    const policy = allowlist(
      { path: `${root}/data`, mode: 'denied' },
      { path: `${root}/data/public`, mode: 'readonly' },
    );
    expect(rules(policy, mount(`${root}/data/public`))).toEqual([]);
    expect(rules(policy, mount(`${root}/data/secret`))).toEqual(['mounts.mount_allowlist.denied']);
  });

  it('denied wins at equal specificity', () => {
    const policy = allowlist(
      { path: `${root}/data`, mode: 'readwrite', user: 'alice' },
      { path: `${root}/data`, mode: 'denied' },
    );
    expect(rules(policy, mount(`${root}/data/public`))).toEqual(['mounts.mount_allowlist.denied']);
  });

  it('glob segments: /home/*/projects', () => {
    const policy = allowlist(
      { path: `${root}/home/*/projects`, mode: 'readwrite' },
      { path: `${root}/home/*/.ssh`, mode: 'denied' },
    );
    expect(rules(policy, mount(`${root}/home/alice/projects/app`, 'readwrite'))).toEqual([]);
    expect(rules(policy, mount(`${root}/home/bob/projects`))).toEqual([]);
    expect(rules(policy, mount(`${root}/home/alice/.ssh`))).toEqual(['mounts.mount_allowlist.denied']);
    expect(rules(policy, mount(`${root}/home/alice`))).toEqual(['mounts.mount_allowlist']);
  });

  it('user and group entries apply only to the host user and its groups', () => {
    const policy = allowlist(
      { path: `${root}/home/alice/projects`, user: 'alice', mode: 'readwrite' },
      { path: `${root}/home/bob/projects`, user: 'bob', mode: 'readwrite' },
      { path: `${root}/data/public`, group: 'devs', mode: 'readonly' },
      { path: `${root}/data/secret`, group: 'ops', mode: 'readonly' },
    );
    expect(rules(policy, mount(`${root}/home/alice/projects`, 'readwrite'))).toEqual([]);
    expect(rules(policy, mount(`${root}/home/bob/projects`))).toEqual(['mounts.mount_allowlist']);
    expect(rules(policy, mount(`${root}/data/public`))).toEqual([]);
    expect(rules(policy, mount(`${root}/data/secret`))).toEqual(['mounts.mount_allowlist']);
  });

  it('readwrite under a readonly entry is a violation, and the clamp makes it readonly', () => {
    const policy = allowlist({ path: `${root}/data`, mode: 'readonly' });
    const result = checkMounts([mount(`${root}/data/public`, 'readwrite')], policy, alice);
    expect(result.violations).toEqual([
      expect.objectContaining({ rule: 'mounts.mount_allowlist.mode', hard: false, severity: 'error' }),
    ]);
    expect(result.mounts[0]?.mode).toBe('readonly');
  });

  it('entries whose directory is reached through a symlink still apply', () => {
    const policy = allowlist({ path: `${root}/shared/link-to-work`, mode: 'readonly' });
    expect(rules(policy, mount(`${root}/tmp/work`))).toEqual([]);
  });
});

describe('other mount rules', () => {
  it('a missing path is a violation', () => {
    expect(rules(allowlist({ path: root, mode: 'readwrite' }), mount(`${root}/nope`))).toEqual(['mounts.source']);
  });

  it('a relative path is a violation', () => {
    expect(rules(allowlist({ path: root, mode: 'readwrite' }), mount('tmp/work'))).toEqual(['mounts.source']);
  });

  it('bind mounts need allow_bind_mounts: true', () => {
    expect(rules({ mount_allowlist: [{ path: root, mode: 'readwrite' }] }, mount(`${root}/data`))).toEqual([
      'mounts.allow_bind_mounts',
    ]);
  });

  it('legacy allowed_bind_sources restrict when set', () => {
    const policy: MountPolicy = { allow_bind_mounts: true, allowed_bind_sources: [`${root}/data/*`] };
    expect(rules(policy, mount(`${root}/data/public`))).toEqual([]);
    expect(rules(policy, mount(`${root}/tmp/work`))).toEqual(['mounts.allowed_bind_sources']);
  });
});
