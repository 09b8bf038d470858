import { mergePolicies, policyForTool } from './merge-policies';
import type { Policy } from './model';

const global: Policy = {
  id: 'global',
  mode: 'permissive',
  quotas: { max_cpus: 2_000_000_000, max_memory: 1024, min_memory: 10, max_memory_swap: -1, max_pids: 100 },
  mounts: {
    allow_bind_mounts: true,
    max_tmpfs_size: 1000,
    mount_allowlist: [
      { path: '/home/*/projects', mode: 'readwrite' },
      { path: '/data', group: 'devs', mode: 'readonly' },
      { path: '/etc', mode: 'denied' },
    ],
  },
  network: { allowed_hosts: ['*.example.com'], denied_hosts: ['bad.example.com'], allowed_ports: [80, 443] },
  images: { allowed_images: ['docker.io/library/*'], allow_latest_tag: true },
  security: { allowed_capabilities: ['CHOWN', 'SETUID'], drop_capabilities: ['NET_RAW'] },
};

describe('mergePolicies', () => {
  it('keeps every field the session did not set', () => {
    expect(mergePolicies(global, {})).toEqual(global);
    expect(mergePolicies(global, { quotas: { max_pids: 50 } }).quotas).toEqual({ ...global.quotas, max_pids: 50 });
    expect(mergePolicies(global, undefined)).toBe(global);
  });

  it('never mutates its inputs', () => {
    const before = JSON.stringify(global);
    mergePolicies(global, { quotas: { max_pids: 1 }, mounts: { mount_allowlist: [{ path: '/tmp', mode: 'denied' }] } });
    expect(JSON.stringify(global)).toBe(before);
  });

  it('only tightens numbers, flags and mode', () => {
    const m = mergePolicies(global, {
      mode: 'disabled',
      quotas: { max_cpus: 8_000_000_000, max_memory: 512, min_memory: 1, max_memory_swap: 2048, max_pids: 1000 },
      mounts: { allow_bind_mounts: true, max_tmpfs_size: 10 },
      images: { allow_latest_tag: false, require_digest: true },
    });
    expect(m.mode).toBe('permissive');
    expect(m.quotas).toEqual({
      max_cpus: 2_000_000_000,
      max_memory: 512,
      min_memory: 10,
      max_memory_swap: 2048,
      max_pids: 100,
    });
    expect(m.mounts?.max_tmpfs_size).toBe(10);
    expect(m.images).toMatchObject({ allow_latest_tag: false, require_digest: true });
    expect(mergePolicies(global, { mode: 'strict' }).mode).toBe('strict');
    expect(mergePolicies({}, { mode: 'permissive' }).mode).toBeUndefined();
    expect(mergePolicies({}, { network: { allow_private: true } }).network?.allow_private).toBeUndefined();
  });

  it('unions deny lists and narrows allow lists to what the global policy covers', () => {
    const m = mergePolicies(global, {
      network: {
        allowed_hosts: ['api.example.com', 'evil.org'],
        denied_hosts: ['x.example.com'],
        allowed_ports: [443, 8080],
      },
      images: { allowed_images: ['docker.io/library/alpine:*', 'quay.io/*'] },
      security: { allowed_capabilities: ['CHOWN', 'SYS_ADMIN'], drop_capabilities: ['ALL'] },
    });
    expect(m.network).toMatchObject({
      allowed_hosts: ['api.example.com'],
      denied_hosts: ['bad.example.com', 'x.example.com'],
      allowed_ports: [443],
    });
    expect(m.images?.allowed_images).toEqual(['docker.io/library/alpine:*']);
    expect(m.security).toMatchObject({ allowed_capabilities: ['CHOWN'], drop_capabilities: ['NET_RAW', 'ALL'] });
  });

  it('keeps the global allow list when the session offers nothing it covers (never an empty "anything" list)', () => {
    expect(mergePolicies(global, { network: { allowed_hosts: ['evil.org'] } }).network?.allowed_hosts).toEqual([
      '*.example.com',
    ]);
  });

  it('session mount entries may narrow or deny, never widen', () => {
    const m = mergePolicies(global, {
      mounts: {
        mount_allowlist: [
          { path: '/home/alice/projects', user: 'alice', mode: 'readonly' },
          { path: '/data/sub', group: 'devs', mode: 'readwrite' },
          { path: '/', mode: 'readwrite' },
          { path: '/home/alice/projects/secret', mode: 'denied' },
        ],
      },
    });
    expect(m.mounts?.mount_allowlist).toEqual([
      { path: '/home/alice/projects', user: 'alice', mode: 'readonly' },
      { path: '/home/alice/projects/secret', mode: 'denied' },
      { path: '/etc', mode: 'denied' },
    ]);
  });

  it('session CIDRs must not open private ranges the global policy blocks', () => {
    const m = mergePolicies(
      {},
      { network: { allowed_networks: ['10.0.0.0/8', '203.0.113.0/24', '8.8.8.0/24', '0.0.0.0/0'] } },
    );
    // 203.0.113.0/24 is TEST-NET-3 (documentation), as non-public as 10/8.
    expect(m.network?.allowed_networks).toEqual(['8.8.8.0/24']);
    const g: Policy = { network: { allowed_networks: ['10.0.0.0/8'] } };
    expect(
      mergePolicies(g, { network: { allowed_networks: ['10.1.0.0/16', '11.0.0.0/8'] } }).network?.allowed_networks,
    ).toEqual(['10.1.0.0/16']);
  });

  it('merges tool overrides; a session can disable but not re-enable a tool', () => {
    const g: Policy = { tools: { web_fetch: { disabled: true, quotas: { max_pids: 5 } } } };
    const m = mergePolicies(g, { tools: { web_fetch: { disabled: false }, grep: { disabled: true } } });
    expect(m.tools).toEqual({ web_fetch: { disabled: true, quotas: { max_pids: 5 } }, grep: { disabled: true } });
  });
});

describe('policyForTool', () => {
  it('applies the override as a tightening and drops the disabled flag', () => {
    const p: Policy = {
      quotas: { max_pids: 100 },
      tools: { grep: { disabled: false, quotas: { max_pids: 500, max_memory: 64 } } },
    };
    const t = policyForTool(p, 'grep');
    expect(t.quotas).toEqual({ max_pids: 100, max_memory: 64 });
    expect('disabled' in t).toBe(false);
    expect(policyForTool(p, 'other')).toBe(p);
  });
});
