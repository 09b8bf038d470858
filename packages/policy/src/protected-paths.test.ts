import { createPolicyEnforcer, defaultPolicy, mergePolicies, parsePolicy, policyJsonSchema } from './index';
import { policyIssues } from './load-policy';
import { containerRequest } from './test-helpers';

describe('mounts.protected_paths and mounts.allow_hardlinks', () => {
  it('the default policy protects .git and refuses hard links', () => {
    expect(defaultPolicy().mounts).toMatchObject({ protected_paths: ['.git'], allow_hardlinks: false });
  });

  it('parses from a file, including an empty list', () => {
    expect(
      parsePolicy('mounts:\n  protected_paths: [".git", "config/secrets"]\n  allow_hardlinks: true\n').mounts,
    ).toEqual({
      protected_paths: ['.git', 'config/secrets'],
      allow_hardlinks: true,
    });
    expect(parsePolicy('mounts:\n  protected_paths: []\n').mounts).toEqual({ protected_paths: [] });
  });

  it.each([
    ['/etc/passwd', 'absolute'],
    ['../outside', 'leading ..'],
    ['a/../b', 'inner ..'],
    ['a/..', 'trailing ..'],
    ['a\u0000b', 'NUL'],
    ['', 'empty'],
    ['./', 'the workspace root'],
  ])('rejects %j (%s) with a path: message issue', (entry) => {
    const issues = policyIssues({ mounts: { protected_paths: ['.git', entry] } });
    expect(issues).toEqual([expect.objectContaining({ path: 'mounts.protected_paths[1]' })]);
  });

  it('the exported JSON Schema describes both keys', () => {
    const mounts = policyJsonSchema.properties?.mounts?.properties;
    expect(mounts?.protected_paths).toMatchObject({ type: 'array', items: { type: 'string' } });
    expect(mounts?.allow_hardlinks).toMatchObject({ type: 'boolean' });
  });

  it('merging only tightens: protected paths are a union, allow_hardlinks can only be withdrawn', () => {
    const global = { mounts: { protected_paths: ['.git'], allow_hardlinks: true } };
    expect(mergePolicies(global, { mounts: { protected_paths: [] } }).mounts?.protected_paths).toEqual(['.git']);
    expect(mergePolicies(global, { mounts: { protected_paths: ['.env'] } }).mounts?.protected_paths).toEqual([
      '.git',
      '.env',
    ]);
    expect(mergePolicies(global, { mounts: { allow_hardlinks: false } }).mounts?.allow_hardlinks).toBe(false);
    const strictGlobal = { mounts: { allow_hardlinks: false } };
    expect(mergePolicies(strictGlobal, { mounts: { allow_hardlinks: true } }).mounts?.allow_hardlinks).toBe(false);
  });

  it('the enforced request carries the policy list, or the executor list when the policy sets none', () => {
    const request = containerRequest({ protectedPaths: ['.git'], allowHardlinks: false });
    const set = createPolicyEnforcer({
      mode: 'permissive',
      mounts: { protected_paths: ['.git', '.env'], allow_hardlinks: true },
    });
    expect(set.enforce(request)).toMatchObject({ protectedPaths: ['.git', '.env'], allowHardlinks: true });
    const empty = createPolicyEnforcer({ mode: 'permissive', mounts: { protected_paths: [] } });
    expect(empty.enforce(request)).toMatchObject({ protectedPaths: [], allowHardlinks: false });
    const unset = createPolicyEnforcer({ mode: 'permissive' });
    expect(unset.enforce(request)).toMatchObject({ protectedPaths: ['.git'], allowHardlinks: false });
  });

  it('a per-tool override adds protected paths for that tool only', () => {
    const enforcer = createPolicyEnforcer({
      mode: 'permissive',
      mounts: { protected_paths: ['.git'] },
      tools: { file_write: { mounts: { protected_paths: ['docs'] } } },
    });
    expect(enforcer.enforce(containerRequest({ tool: 'file_write' })).protectedPaths).toEqual(['.git', 'docs']);
    expect(enforcer.enforce(containerRequest({ tool: 'file_edit' })).protectedPaths).toEqual(['.git']);
  });
});
