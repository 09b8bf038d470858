import { formatIssue } from './errors';
import { policyIssues } from './load-policy';
import { mergePolicies } from './merge-policies';
import type { Policy } from './model';
import { PolicyEnforcer } from './policy-enforcer';
import { containerRequest } from './test-helpers';

const lines = (policy: unknown): string[] => policyIssues(policy).map(formatIssue);
const exec = containerRequest({ tool: 'exec' });
const enforcer = (policy: Policy): PolicyEnforcer => new PolicyEnforcer(policy, { realpath: (p) => p });

describe('tools.exec: opt-in', () => {
  it('is disabled by default: enforce denies with the rule named, and the grant says disabled', () => {
    for (const policy of [{}, { tools: { exec: {} } }, { tools: { exec: { enabled: false } } }] as Policy[]) {
      const e = enforcer(policy);
      expect(() => e.enforce(exec)).toThrow(
        /exec is opt-in and the policy does not enable it \(set tools.exec.enabled: true\)/,
      );
      expect(e.validate(exec).map((v) => [v.rule, v.hard])).toContainEqual(['tools.exec.enabled', true]);
      expect(e.toolGrant('exec')).toEqual({ enabled: false, network: 'none' });
    }
    // Hard: permissive mode denies it too.
    expect(() => enforcer({ mode: 'permissive' }).enforce(exec)).toThrow(/tools.exec.enabled/);
  });

  it('enabled: allowed, with its limits and network access as the grant', () => {
    const e = enforcer({
      tools: {
        exec: {
          enabled: true,
          network_access: 'egress',
          limits: {
            max_timeout_seconds: 30,
            max_cpus: 500_000_000,
            max_memory: 1 << 28,
            max_pids: 32,
            max_output_bytes: 4096,
          },
        },
      },
    });
    expect(() => e.enforce(exec)).not.toThrow();
    expect(e.toolGrant('exec')).toEqual({
      enabled: true,
      network: 'egress',
      maxTimeoutMs: 30_000,
      cpus: 0.5,
      memoryBytes: 1 << 28,
      pidsLimit: 32,
      maxOutputBytes: 4096,
    });
    // Other tools need no grant and never get one.
    expect(e.toolGrant('grep')).toBeUndefined();
    expect(() => e.enforce(containerRequest())).not.toThrow();
  });

  it('disabled wins over enabled', () => {
    const e = enforcer({ tools: { exec: { enabled: true, disabled: true } } });
    expect(e.toolGrant('exec')?.enabled).toBe(false);
    expect(() => e.enforce(exec)).toThrow(/tools.disabled|disabled by policy/);
  });

  it('a session can withdraw exec, egress and lower limits, never grant them', () => {
    const global: Policy = { tools: { exec: { enabled: true, network_access: 'egress', limits: { max_pids: 32 } } } };
    const tightened = mergePolicies(global, {
      tools: { exec: { network_access: 'none', limits: { max_pids: 64, max_output_bytes: 100 } } },
    });
    expect(tightened.tools?.exec).toMatchObject({
      enabled: true,
      network_access: 'none',
      limits: { max_pids: 32, max_output_bytes: 100 },
    });
    expect(mergePolicies(global, { tools: { exec: { enabled: false } } }).tools?.exec?.enabled).toBe(false);
    const closed: Policy = { tools: { exec: { network_access: 'none' } } };
    const widened = mergePolicies(closed, { tools: { exec: { enabled: true, network_access: 'egress' } } });
    expect(widened.tools?.exec?.enabled).toBeUndefined();
    expect(widened.tools?.exec?.network_access).toBe('none');
    expect(enforcer(mergePolicies({}, { tools: { exec: { enabled: true } } })).toolGrant('exec')?.enabled).toBe(false);
  });
});

describe('tools.exec in the schema and the semantic checks', () => {
  it('accepts the documented shape', () => {
    expect(
      lines({
        tools: {
          exec: { enabled: true, network_access: 'none', limits: { max_timeout_seconds: 60, max_output_bytes: 1024 } },
        },
      }),
    ).toEqual([]);
  });

  it('reports bad values and unknown keys, path first', () => {
    expect(lines({ tools: { exec: { enabled: 'yes' } } })).toEqual([
      'tools.exec.enabled: expected boolean, got string',
    ]);
    expect(lines({ tools: { exec: { network_access: 'host' } } })[0]).toMatch(
      /^tools.exec.network_access: expected one of none, egress/,
    );
    expect(lines({ tools: { exec: { limits: { max_timeout_seconds: 0 } } } })).toEqual([
      'tools.exec.limits.max_timeout_seconds: must be >= 1',
    ]);
    expect(lines({ tools: { exec: { limits: { timeout: 5 } } } })[0]).toMatch(
      /^tools.exec.limits.timeout: unknown key \(expected one of: max_timeout_seconds,/,
    );
  });

  it('refuses a grant on a tool that needs none', () => {
    expect(lines({ tools: { grep: { enabled: true, limits: { max_pids: 1 } } } })).toEqual([
      'tools.grep.enabled: only opt-in tools (exec) take enabled; grep runs without opting in',
      'tools.grep.limits: only opt-in tools (exec) take limits; grep runs without opting in',
    ]);
  });
});
