import { join } from 'node:path';
import { checkPolicyFile, loadPolicyFile } from './load-policy';
import type { Policy } from './model';

const seedDir = join(__dirname, '..', 'fixtures', 'seed');

// The seed's example files, byte for byte, must load with every value intact.
const cases: { file: string; env: NodeJS.ProcessEnv; check: (p: Policy) => void }[] = [
  {
    file: 'policies.yaml',
    env: {},
    check: (p) => {
      expect(p.id).toBe('example-policy');
      expect(p.mode).toBe('strict');
      expect(p.labels).toEqual({ environment: 'production', team: 'platform' });
      expect(p.quotas).toEqual({
        max_cpus: 4_000_000_000,
        min_cpus: 250_000_000,
        max_memory: 8_589_934_592,
        min_memory: 536_870_912,
        max_memory_swap: 8_589_934_592,
        max_pids: 1024,
      });
      expect(p.mounts?.allow_bind_mounts).toBe(false);
      expect(p.mounts?.denied_bind_sources).toContain('/etc/*');
      expect(p.mounts?.max_tmpfs_size).toBe(268_435_456);
      expect(p.network?.denied_networks).toEqual(['0.0.0.0/0']);
      expect(p.images?.denied_images).toEqual(['docker.io/library/suspect-image:*']);
      expect(p.security?.require_non_root).toBe(true);
      expect(p.security?.allowed_uids).toEqual([1000, 1001, 2000]);
      expect(p.security?.add_capabilities).toEqual([]);
    },
  },
  {
    file: 'mount_policy.yaml',
    env: { TMPDIR: '/var/tmp/baaaht' },
    check: (p) => {
      expect(p.id).toBe('mount-allowlist-example');
      const list = p.mounts?.mount_allowlist ?? [];
      expect(list).toHaveLength(14);
      expect(list[0]).toEqual({ path: '/home/alice/projects', user: 'alice', mode: 'readwrite' });
      expect(list[4]).toEqual({ path: '/src/engineering', group: 'engineering', mode: 'readwrite' });
      expect(list[10]).toEqual({ path: '/var/tmp/baaaht', mode: 'readwrite' });
      expect(list[13]).toEqual({ path: '/home/*/.ssh', mode: 'denied' });
      expect(p.quotas).toEqual({ max_cpus: 4_000_000_000, max_memory: 8_589_934_592, max_pids: 1024 });
    },
  },
  {
    file: 'mount_policy.yaml',
    env: {},
    check: (p) => expect(p.mounts?.mount_allowlist?.[10]).toEqual({ path: '/tmp', mode: 'readwrite' }),
  },
];

describe('seed example files', () => {
  it.each(cases)('$file loads unchanged', ({ file, env, check }) => {
    const path = join(seedDir, file);
    expect(checkPolicyFile(path, { env })).toEqual([]);
    check(loadPolicyFile(path, { env }));
  });
});
