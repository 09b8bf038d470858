import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { AuditLog } from './audit-log';
import { isRootUser } from './container-rules';
import type { ContainerRequest, EgressDecision, EgressRequest, PolicyEnforcerContract } from './contract';
import { defaultPolicy } from './default-policy';
import { PolicyDeniedError } from './errors';
import type { Policy } from './model';
import { createPolicyEnforcer } from './policy-enforcer';
import { containerRequest } from './test-helpers';

let root: string;
const identity = { user: 'worker', groups: [] };

beforeEach(() => {
  root = realpathSync.native(mkdtempSync(join(tmpdir(), 'policy-enforcer-')));
  mkdirSync(join(root, 'ws/src'), { recursive: true });
  mkdirSync(join(root, 'outside'), { recursive: true });
  symlinkSync(join(root, 'outside'), join(root, 'ws/link'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const enforcerFor = (policy: Policy, extra: Parameters<typeof createPolicyEnforcer>[1] = {}) =>
  createPolicyEnforcer(policy, { identity, ...extra });

function deniedRules(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(PolicyDeniedError);
    expect((err as PolicyDeniedError).code).toBe('POLICY_DENIED');
    return (err as PolicyDeniedError).violations.map((v) => v.rule);
  }
  throw new Error('expected a denial');
}

describe('contract', () => {
  it('structurally satisfies the executor PolicyEnforcer shape', () => {
    const enforcer: PolicyEnforcerContract = enforcerFor(defaultPolicy());
    const check: ((r: EgressRequest) => EgressDecision | Promise<EgressDecision>) | undefined = enforcer.checkEgress;
    expect(typeof check).toBe('function');
  });
});

describe('default policy', () => {
  const workspace = () => defaultPolicy({ workspaceRoots: [join(root, 'ws')] });

  it('allows a file tool to mount inside a workspace root', () => {
    const req = containerRequest({
      mounts: [{ source: join(root, 'ws/src'), target: '/workspace', mode: 'readwrite' }],
    });
    expect(enforcerFor(workspace()).enforce(req).mounts).toEqual(req.mounts);
  });

  it('denies anything outside the workspace roots, including through symlinks', () => {
    const e = enforcerFor(workspace());
    for (const source of [join(root, 'outside'), join(root, 'ws/link'), join(root, 'ws/../outside'), '/etc']) {
      expect(
        deniedRules(() => e.enforce(containerRequest({ mounts: [{ source, target: '/w', mode: 'readonly' }] }))),
      ).toEqual([expect.stringMatching(/^mounts\./)]);
    }
  });

  it('denies every bind mount when no workspace root was given', () => {
    const req = containerRequest({ mounts: [{ source: join(root, 'ws'), target: '/w', mode: 'readonly' }] });
    expect(deniedRules(() => enforcerFor(defaultPolicy()).enforce(req))).toContain('mounts.allow_bind_mounts');
  });

  it('adds the policy capability drops and keeps a no-swap request without swap', () => {
    const out = enforcerFor(defaultPolicy()).enforce(containerRequest({ capDrop: [] }));
    expect(out.capDrop).toEqual(['ALL']);
    expect(out.resources.memorySwapBytes).toBe(out.resources.memoryBytes);
  });
});

describe('root and privilege use the real request fields', () => {
  it.each(['', '0', 'root', '0:0', '0:1000', 'root:root', '000'])('user %j is root', (user) => {
    expect(isRootUser(user)).toBe(true);
    expect(deniedRules(() => enforcerFor(defaultPolicy()).enforce(containerRequest({ user })))).toEqual([
      'security.non_root',
    ]);
  });

  it.each(['1000:1000', '65534', 'nobody', '10:0'])('user %j is not root', (user) =>
    expect(isRootUser(user)).toBe(false),
  );

  it('privileged is denied in every enforcing mode, even with root allowed', () => {
    const policy: Policy = { mode: 'permissive', security: { allow_root: true } };
    expect(deniedRules(() => enforcerFor(policy).enforce(containerRequest({ privileged: true })))).toEqual([
      'security.privileged',
    ]);
  });

  it('capabilities outside the allowlist are violations; permissive strips them', () => {
    const security = { allowed_capabilities: ['CAP_CHOWN'], add_capabilities: ['CHOWN'] };
    const req = containerRequest({ capAdd: ['SYS_ADMIN', 'chown'] });
    expect(deniedRules(() => enforcerFor({ security }).enforce(req))).toEqual(['security.allowed_capabilities']);
    expect(enforcerFor({ mode: 'permissive', security }).enforce(req).capAdd).toEqual(['chown']);
  });

  it('allowed_uids and allowed_gids are checked on the request user', () => {
    const policy: Policy = { security: { allowed_uids: [1000], allowed_gids: [1000] } };
    expect(enforcerFor(policy).validate(containerRequest({ user: '1000:1000' }))).toEqual([]);
    expect(deniedRules(() => enforcerFor(policy).enforce(containerRequest({ user: '1001:1000' })))).toEqual([
      'security.allowed_uids',
    ]);
    expect(deniedRules(() => enforcerFor(policy).enforce(containerRequest({ user: 'app:1000' })))).toEqual([
      'security.allowed_uids',
    ]);
  });
});

describe('images', () => {
  const images = {
    allowed_images: ['docker.io/library/*', 'ghcr.io/baaaht/*'],
    denied_images: ['docker.io/library/suspect-image:*'],
  };
  it.each([
    ['alpine:3.20', []],
    ['ghcr.io/baaaht/tools:1.2', []],
    ['quay.io/evil/tool:1', ['images.allowed_images']],
    ['suspect-image:1.0', ['images.denied_images']],
    ['suspect-image@sha256:abc', ['images.denied_images']],
    ['alpine', ['images.allow_latest_tag']],
    ['alpine:latest', ['images.allow_latest_tag']],
  ])('%s -> %j', (image, expected) => {
    expect(
      enforcerFor({ images })
        .validate(containerRequest({ image }))
        .map((v) => v.rule),
    ).toEqual(expected);
  });

  it('require_digest', () => {
    const e = enforcerFor({ images: { require_digest: true, allow_latest_tag: true } });
    expect(e.validate(containerRequest({ image: 'alpine:3.20' })).map((v) => v.rule)).toEqual([
      'images.require_digest',
    ]);
    expect(e.validate(containerRequest({ image: 'alpine@sha256:0123' }))).toEqual([]);
  });

  it('a denied image is hard even in permissive mode', () => {
    expect(
      deniedRules(() =>
        enforcerFor({ mode: 'permissive', images }).enforce(containerRequest({ image: 'suspect-image:2' })),
      ),
    ).toEqual(['images.denied_images']);
  });
});

describe('quotas and modes', () => {
  const quotas = {
    max_cpus: 1_000_000_000,
    min_cpus: 100_000_000,
    max_memory: 512 * 2 ** 20,
    max_memory_swap: 0,
    max_pids: 128,
  };
  const greedy = containerRequest({
    resources: { nanoCpus: 4_000_000_000, memoryBytes: 2 ** 31, memorySwapBytes: 2 ** 32, pidsLimit: 0 },
    tmpfsBytes: 2 ** 30,
    readOnlyRootfs: false,
  });
  const policy = (mode: Policy['mode']): Policy => ({
    mode,
    quotas,
    mounts: { max_tmpfs_size: 64 * 2 ** 20, enforce_read_only_rootfs: true },
  });

  it('strict denies and lists every violation', () => {
    expect(deniedRules(() => enforcerFor(policy('strict')).enforce(greedy))).toEqual([
      'security.read_only_rootfs',
      'quotas.max_cpus',
      'quotas.max_memory',
      'quotas.max_pids',
      'quotas.max_memory_swap',
      'mounts.max_tmpfs_size',
    ]);
  });

  it('permissive clamps to the quotas', () => {
    const out = enforcerFor(policy('permissive')).enforce(greedy);
    expect(out.resources).toEqual({
      nanoCpus: 1_000_000_000,
      memoryBytes: 512 * 2 ** 20,
      memorySwapBytes: 512 * 2 ** 20,
      pidsLimit: 128,
    });
    expect(out.tmpfsBytes).toBe(64 * 2 ** 20);
    expect(out.readOnlyRootfs).toBe(true);
  });

  describe('explicitly requested limits', () => {
    const GiB = 2 ** 30;
    const asked = (requested: NonNullable<ContainerRequest['resources']['requested']>): ContainerRequest =>
      containerRequest({ resources: { ...containerRequest().resources, requested } });
    const denial = (fn: () => unknown): PolicyDeniedError => {
      try {
        fn();
      } catch (err) {
        if (err instanceof PolicyDeniedError) return err;
        throw err;
      }
      throw new Error('expected a denial');
    };

    it('a request above a quota is denied naming the quota, in strict and permissive mode', () => {
      const policy = (mode: Policy['mode']): Policy => ({
        mode,
        quotas: { max_memory: GiB, max_cpus: 1e9, max_pids: 100 },
      });
      for (const mode of ['strict', 'permissive'] as const) {
        const err = denial(() => enforcerFor(policy(mode)).enforce(asked({ memoryBytes: 2 * GiB })));
        expect(err.violations).toEqual([
          {
            rule: 'quotas.max_memory',
            message: 'memory 2 GiB exceeds the policy quota quotas.max_memory 1 GiB',
            severity: 'error',
            hard: true,
          },
        ]);
        expect(err.message).toBe(
          'policy denied file_read: quotas.max_memory: memory 2 GiB exceeds the policy quota quotas.max_memory 1 GiB',
        );
      }
      expect(
        denial(() =>
          enforcerFor(policy('strict')).enforce(asked({ nanoCpus: 2e9, pidsLimit: 101, memoryBytes: 512 * 2 ** 20 })),
        ).violations.map((v) => v.message),
      ).toEqual([
        'cpus 2 exceeds the policy quota quotas.max_cpus 1',
        'pids limit 101 exceeds the policy quota quotas.max_pids 100',
      ]);
    });

    it('a request within the quotas is allowed as the executor tightened it', () => {
      const req = asked({ memoryBytes: 128 * 2 ** 20, nanoCpus: 250_000_000, pidsLimit: 8 });
      const out = enforcerFor({ quotas: { max_memory: GiB, max_cpus: 1e9, max_pids: 100 } }).enforce(req);
      expect(out.resources).toEqual({
        nanoCpus: req.resources.nanoCpus,
        memoryBytes: req.resources.memoryBytes,
        memorySwapBytes: req.resources.memorySwapBytes,
        pidsLimit: req.resources.pidsLimit,
      });
    });

    it('names a denied quota once, even when the effective value is over it too', () => {
      const req = containerRequest({
        resources: {
          ...containerRequest().resources,
          memoryBytes: 4 * GiB,
          memorySwapBytes: 4 * GiB,
          requested: { memoryBytes: 4 * GiB },
        },
      });
      expect(deniedRules(() => enforcerFor({ mode: 'permissive', quotas: { max_memory: GiB } }).enforce(req))).toEqual([
        'quotas.max_memory',
      ]);
    });

    it('the executor defaults above a quota are still clamped in permissive mode; disabled allows a request', () => {
      const defaults = containerRequest({
        resources: { ...containerRequest().resources, memoryBytes: 4 * GiB, memorySwapBytes: 4 * GiB },
      });
      expect(
        enforcerFor({ mode: 'permissive', quotas: { max_memory: GiB } }).enforce(defaults).resources.memoryBytes,
      ).toBe(GiB);
      const req = asked({ memoryBytes: 2 * GiB });
      expect(enforcerFor({ mode: 'disabled', quotas: { max_memory: GiB } }).enforce(req)).toEqual(req);
    });
  });

  it('minimums are raised with a warning, which does not deny in strict mode', () => {
    const e = enforcerFor(policy('strict'));
    const req = containerRequest({ resources: { ...containerRequest().resources, nanoCpus: 10_000_000 } });
    expect(e.validate(req)).toEqual([expect.objectContaining({ rule: 'quotas.min_cpus', severity: 'warning' })]);
    expect(e.enforce(req).resources.nanoCpus).toBe(100_000_000);
  });

  it('disabled allows everything as requested, but still audits', () => {
    const stream = new PassThrough();
    const lines: string[] = [];
    stream.on('data', (c: Buffer) => lines.push(...c.toString().trim().split('\n')));
    const e = enforcerFor({ ...policy('disabled') }, { auditLog: stream });
    expect(e.enforce({ ...greedy, privileged: true })).toEqual({ ...greedy, privileged: true });
    const record = JSON.parse(lines[0] ?? '{}') as Record<string, unknown>;
    expect(record).toMatchObject({
      kind: 'container',
      outcome: 'allowed',
      rule: 'mode.disabled',
      tool: 'file_read',
      session: 's1',
      task: 't1',
    });
    expect((record.violations as unknown[]).length).toBeGreaterThan(0);
  });

  it('network egress needs allow_network', () => {
    const req = containerRequest({ network: 'egress' });
    expect(deniedRules(() => enforcerFor({ network: { allow_network: false } }).enforce(req))).toEqual([
      'network.allow_network',
    ]);
    expect(enforcerFor({ mode: 'permissive', network: { allow_network: false } }).enforce(req).network).toBe('none');
  });
});

describe('tool overrides', () => {
  it('a disabled tool is denied in permissive mode', () => {
    const policy: Policy = { mode: 'permissive', tools: { web_fetch: { disabled: true } } };
    expect(deniedRules(() => enforcerFor(policy).enforce(containerRequest({ tool: 'web_fetch' })))).toEqual([
      'tools.disabled',
    ]);
    expect(enforcerFor(policy).checkEgress({ tool: 'web_fetch', host: 'example.com', port: 443 }).allowed).toBe(false);
    expect(enforcerFor(policy).enforce(containerRequest({ tool: 'file_read' })).tool).toBe('file_read');
  });

  it('tighter limits apply to that tool only and cannot loosen the global ones', () => {
    const policy: Policy = {
      mode: 'permissive',
      quotas: { max_pids: 100 },
      tools: { grep: { quotas: { max_pids: 10 } }, find: { quotas: { max_pids: 1000 } } },
    };
    const e = enforcerFor(policy);
    expect(
      e.enforce(containerRequest({ tool: 'grep', resources: { ...containerRequest().resources, pidsLimit: 64 } }))
        .resources.pidsLimit,
    ).toBe(10);
    expect(
      e.enforce(containerRequest({ tool: 'find', resources: { ...containerRequest().resources, pidsLimit: 500 } }))
        .resources.pidsLimit,
    ).toBe(100);
  });
});

describe('audit log', () => {
  it('writes every decision as a JSON line to a file (fsync by default)', () => {
    const file = join(root, 'audit.jsonl');
    const audit = new AuditLog(file, { now: () => new Date('2026-01-02T03:04:05Z') });
    const e = enforcerFor(defaultPolicy(), { auditLog: audit });
    e.enforce(containerRequest());
    expect(() => e.enforce(containerRequest({ privileged: true }))).toThrow(PolicyDeniedError);
    e.checkEgress({ host: '169.254.169.254', port: 80, sessionId: 's', taskId: 't', tool: 'web_fetch' });
    audit.close();
    const records = readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(records.map((r) => [r.kind, r.outcome, r.rule])).toEqual([
      ['container', 'allowed', 'policy.allow'],
      ['container', 'denied', 'security.privileged'],
      ['egress', 'denied', 'network.deny_private'],
    ]);
    expect(records[0]).toMatchObject({
      time: '2026-01-02T03:04:05.000Z',
      session: 's1',
      task: 't1',
      tool: 'file_read',
      policyId: 'default',
    });
    expect(records[2]).toMatchObject({
      session: 's',
      task: 't',
      tool: 'web_fetch',
      details: { host: '169.254.169.254', port: 80 },
    });
  });
});

describe('snapshots', () => {
  it('are immutable: later changes to the caller object do not leak in', () => {
    const policy: Policy = { quotas: { max_pids: 10 } };
    const e = enforcerFor(policy);
    policy.quotas!.max_pids = 10_000;
    expect(e.policy.quotas?.max_pids).toBe(10);
    expect(Object.isFrozen(e.policy.quotas)).toBe(true);
  });

  it('forSession tightens only', () => {
    const e = enforcerFor({ mode: 'permissive', quotas: { max_pids: 100 } }).forSession({
      mode: 'disabled',
      quotas: { max_pids: 20 },
    });
    expect(e.mode).toBe('permissive');
    expect(e.policy.quotas?.max_pids).toBe(20);
  });
});

describe('validate', () => {
  it('returns every violation with rule, message and severity', () => {
    const v = enforcerFor(defaultPolicy()).validate(
      containerRequest({ user: 'root', privileged: true, capAdd: ['NET_ADMIN'] }),
    );
    expect(v.map((x) => x.rule)).toEqual(['security.privileged', 'security.non_root', 'security.allowed_capabilities']);
    for (const x of v)
      expect(x).toEqual({
        rule: expect.any(String),
        message: expect.any(String),
        severity: 'error',
        hard: expect.any(Boolean),
      });
  });
});

describe('construction', () => {
  it('refuses a policy object the schema would reject', () => {
    expect(() => createPolicyEnforcer({ mode: 'lenient' } as unknown as Policy)).toThrow(/mode: expected one of/);
    expect(() => createPolicyEnforcer({ security: { allow_privileged: true } })).toThrow(
      expect.objectContaining({ code: 'POLICY_INVALID' }),
    );
  });

  it('defaultPolicy resolves relative workspace roots', () => {
    expect(defaultPolicy({ workspaceRoots: ['ws'] }).mounts?.mount_allowlist?.[0]?.path).toBe(
      join(process.cwd(), 'ws'),
    );
  });
});

describe('mount allowlist compilation', () => {
  const policyOver = (roots: string[]): Policy => ({
    mounts: { allow_bind_mounts: true, mount_allowlist: roots.map((path) => ({ path, mode: 'readwrite' as const })) },
  });
  const readAt = (source: string): ContainerRequest =>
    containerRequest({ mounts: [{ source, target: '/workspace', mode: 'readonly' }] });

  it('resolves the allowlist once per snapshot, and each mount source on every request', () => {
    const resolved: string[] = [];
    const realpath = (p: string): string => (resolved.push(p), realpathSync.native(p));
    const e = enforcerFor(policyOver([join(root, 'ws'), join(root, 'other')]), { realpath });
    e.enforce(readAt(join(root, 'ws/src')));
    expect(resolved).toEqual([join(root, 'ws'), join(root, 'other'), join(root, 'ws/src')]);
    resolved.length = 0;
    e.enforce(readAt(join(root, 'ws/src')));
    // The source is judged where it points now: a link out of the workspace is still denied.
    expect(deniedRules(() => e.enforce(readAt(join(root, 'ws/link'))))).toContain('mounts.mount_allowlist');
    expect(resolved).toEqual([join(root, 'ws/src'), join(root, 'ws/link')]);
  });

  it('sees an allowlist symlink re-pointed after the snapshot at the next snapshot (a reload)', () => {
    mkdirSync(join(root, 'a'));
    mkdirSync(join(root, 'b'));
    symlinkSync(join(root, 'a'), join(root, 'allowed'));
    const policy = policyOver([join(root, 'allowed')]);
    const before = enforcerFor(policy);
    expect(before.enforce(readAt(join(root, 'a'))).mounts[0]?.source).toBe(join(root, 'a'));
    rmSync(join(root, 'allowed'));
    symlinkSync(join(root, 'b'), join(root, 'allowed'));
    const after = enforcerFor(policy);
    expect(deniedRules(() => after.enforce(readAt(join(root, 'a'))))).toContain('mounts.mount_allowlist');
    expect(after.enforce(readAt(join(root, 'b'))).mounts[0]?.source).toBe(join(root, 'b'));
  });
});
