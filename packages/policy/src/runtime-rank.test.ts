import { PassThrough } from 'node:stream';
import { formatIssue } from './errors';
import { policyIssues } from './load-policy';
import { mergePolicies, policyForTool } from './merge-policies';
import type { Policy } from './model';
import { createPolicyEnforcer } from './policy-enforcer';
import { requiredRuntimes } from './required-runtimes';
import { enforcedRuntime, isGvisorRuntime, mergeRuntime } from './runtime-rank';
import { containerRequest } from './test-helpers';

describe('security.runtime', () => {
  it('names gVisor runtimes however they were registered', () => {
    for (const name of ['runsc', 'runsc-kvm', 'runsc-debug', 'gvisor', 'GVisor'])
      expect(isGvisorRuntime(name)).toBe(true);
    for (const name of ['runc', 'crun', 'kata-runtime', 'io.containerd.runc.v2'])
      expect(isGvisorRuntime(name)).toBe(false);
  });

  it('the schema takes a runtime name, in the global and in a tool section, and nothing else', () => {
    expect(
      policyIssues({ security: { runtime: 'runsc' }, tools: { exec: { security: { runtime: 'runsc-kvm' } } } }),
    ).toEqual([]);
    expect(policyIssues({ security: { runtime: '' } }).map(formatIssue)).toEqual([
      expect.stringMatching(/^security\.runtime: /),
    ]);
    expect(policyIssues({ security: { runtime: '--privileged' } }).map(formatIssue)).toEqual([
      expect.stringMatching(/^security\.runtime: /),
    ]);
    expect(policyIssues({ security: { runtime: ['runsc'] } }).map(formatIssue)).toEqual([
      expect.stringMatching(/^security\.runtime: /),
    ]);
  });

  it("the enforcer hands back the policy's runtime, never a weaker one than asked", () => {
    expect(enforcedRuntime('runc', undefined)).toBe('runc');
    expect(enforcedRuntime(undefined, 'runsc')).toBe('runsc');
    expect(enforcedRuntime('runc', 'runsc')).toBe('runsc');
    expect(enforcedRuntime('runc', 'crun')).toBe('crun');
    expect(enforcedRuntime('runsc', 'runc')).toBe('runsc');
    expect(enforcedRuntime('runsc', 'runsc-kvm')).toBe('runsc-kvm');
  });

  it('a section moves a tool to gVisor, never off it, and never sideways', () => {
    expect(mergeRuntime(undefined, 'runsc')).toEqual({ runtime: 'runsc', dropped: false });
    expect(mergeRuntime('runc', 'runsc')).toEqual({ runtime: 'runsc', dropped: false });
    expect(mergeRuntime('runsc', 'runc')).toEqual({ runtime: 'runsc', dropped: true });
    expect(mergeRuntime('runsc', 'runsc-kvm')).toEqual({ runtime: 'runsc', dropped: true });
    expect(mergeRuntime('runc', 'crun')).toEqual({ runtime: 'runc', dropped: true });
    expect(mergeRuntime('runsc', undefined)).toEqual({ runtime: 'runsc', dropped: false });
    expect(mergeRuntime('runsc', 'runsc')).toEqual({ runtime: 'runsc', dropped: false });
  });

  it('per tool and in sessions, through the merge', () => {
    const policy: Policy = { tools: { fetch_url: { security: { runtime: 'runsc' } } } };
    expect(policyForTool(policy, 'fetch_url').security?.runtime).toBe('runsc');
    expect(policyForTool(policy, 'file_read').security?.runtime).toBeUndefined();
    const global: Policy = { security: { runtime: 'runsc' } };
    expect(policyForTool({ ...global, tools: { x: { security: { runtime: 'runc' } } } }, 'x').security?.runtime).toBe(
      'runsc',
    );
    const warnings: unknown[] = [];
    const logger = {
      trace() {},
      debug() {},
      info() {},
      warn: (_m: string, meta: unknown) => warnings.push(meta),
      error() {},
    };
    expect(mergePolicies(global, { security: { runtime: 'runc' } }, { logger }).security?.runtime).toBe('runsc');
    expect(warnings).toEqual([{ field: 'security.runtime', entry: 'runc' }]);
    expect(mergePolicies({}, { security: { runtime: 'runsc' } }).security?.runtime).toBe('runsc');
  });

  it('is applied by enforce (no violation, audited), in strict and permissive mode; disabled changes nothing', () => {
    for (const mode of ['strict', 'permissive'] as const) {
      const enforcer = createPolicyEnforcer({ mode, tools: { file_read: { security: { runtime: 'runsc' } } } });
      expect(enforcer.validate(containerRequest({ runtime: 'runc' }))).toEqual([]);
      expect(enforcer.enforce(containerRequest({ runtime: 'runc' })).runtime).toBe('runsc');
      expect(enforcer.enforce(containerRequest({ tool: 'grep', runtime: 'runc' })).runtime).toBe('runc');
    }
    const stream = new PassThrough();
    const lines: string[] = [];
    stream.on('data', (c: Buffer) => lines.push(...c.toString().trim().split('\n')));
    createPolicyEnforcer({ security: { runtime: 'runsc' } }, { auditLog: stream }).enforce(containerRequest());
    expect(JSON.parse(lines[0] ?? '{}')).toMatchObject({ rule: 'policy.allow', details: { runtime: 'runsc' } });
    const off = createPolicyEnforcer({ mode: 'disabled', security: { runtime: 'runsc' } });
    expect(off.enforce(containerRequest({ runtime: 'runc' })).runtime).toBe('runc');
    // An executor that does not say which runtime it uses gets the policy's.
    expect(createPolicyEnforcer({ security: { runtime: 'runsc' } }).enforce(containerRequest()).runtime).toBe('runsc');
  });

  it('requiredRuntimes lists the global one and each tool that ends up on another', () => {
    expect(requiredRuntimes({})).toEqual([]);
    expect(
      requiredRuntimes({
        security: { runtime: 'runc' },
        tools: {
          web_search: { security: { runtime: 'runsc' } },
          fetch_url: { security: { runtime: 'runsc' } },
          grep: { security: { runtime: 'crun' } },
          list: { disabled: true },
        },
      }),
    ).toEqual([
      { runtime: 'runc', setting: 'security.runtime' },
      { runtime: 'runsc', setting: 'tools.fetch_url.security.runtime', tool: 'fetch_url' },
      { runtime: 'runsc', setting: 'tools.web_search.security.runtime', tool: 'web_search' },
    ]);
  });
});
