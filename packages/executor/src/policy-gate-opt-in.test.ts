import { exec } from '@baaaht/tool-specs';
import type { ContainerPlan } from './container-config';
import { gateTask, optInRefusal } from './policy-gate';
import type { ContainerRequest, PolicyEnforcer } from './policy-enforcer';
import { applyToolGrant } from './tool-grant';
import { quietLogger } from './logger';

// No workspace: the gate's host-side guards have nothing to check, so these tests are about the opt-in alone.
const plan: ContainerPlan = {
  workerId: 'w1',
  instanceId: 'inst-1',
  version: '1.2.3',
  taskId: 't1',
  tool: 'exec',
  image: 'img:1',
  user: '65534:65534',
  workspaceMode: 'readwrite',
  cpus: 1,
  memoryBytes: 512 * 1024 * 1024,
  pidsLimit: 64,
  tmpfsBytes: 16 * 1024 * 1024,
  readOnlyRootfs: true,
  runtime: 'runc',
  deadlineMs: 0,
  protectedPaths: [],
  allowHardlinks: false,
};
const context = { env: {}, logger: quietLogger, runtimes: { known: ['runc'], has: async (r: string) => r === 'runc' } };
const allowAll = (extra: Partial<PolicyEnforcer> = {}): PolicyEnforcer & { seen: ContainerRequest[] } => {
  const seen: ContainerRequest[] = [];
  return { seen, enforce: (r) => (seen.push(r), r), ...extra };
};

describe('the opt-in gate (exec)', () => {
  it('refuses exec without a policy, naming tools.exec.enabled', async () => {
    const gate = await gateTask(undefined, plan, exec, {}, context);
    expect(gate).toEqual({
      allowed: false,
      status: 'denied',
      error: {
        code: 'POLICY_DENIED',
        message: optInRefusal('exec', 'tools.exec.enabled'),
        detail: 'tools.exec.enabled',
      },
    });
    expect(optInRefusal('exec', 'tools.exec.enabled')).toMatch(/set tools.exec.enabled: true/);
  });

  it('refuses exec under a policy that allows everything but grants nothing (a custom or disabled-mode enforcer)', async () => {
    for (const policy of [
      allowAll(),
      allowAll({ toolGrant: () => undefined }),
      allowAll({ toolGrant: () => ({ enabled: false }) }),
    ]) {
      const gate = await gateTask(policy, plan, exec, {}, context);
      expect(gate).toMatchObject({ allowed: false, error: { detail: 'tools.exec.enabled' } });
    }
  });

  it('runs exec with the grant: limits tightened before the policy judges them, egress asked for', async () => {
    const policy = allowAll({
      toolGrant: () => ({ enabled: true, cpus: 0.5, memoryBytes: 1 << 27, pidsLimit: 1000, network: 'egress' }),
    });
    const gate = await gateTask(policy, plan, exec, {}, context);
    expect(gate.allowed).toBe(true);
    if (!gate.allowed) return;
    expect([gate.plan.cpus, gate.plan.memoryBytes, gate.plan.pidsLimit]).toEqual([0.5, 1 << 27, 64]);
    expect(policy.seen[0]).toMatchObject({ network: 'egress', resources: { nanoCpus: 5e8, memoryBytes: 1 << 27 } });
    expect(gate.grant?.network).toBe('egress');
  });

  it('never asks for a grant for the tools that need none', async () => {
    const toolGrant = jest.fn();
    const gate = await gateTask(
      allowAll({ toolGrant }),
      { ...plan, tool: 'list' },
      { name: 'list', network: 'none' },
      {},
      context,
    );
    expect(gate.allowed).toBe(true);
    expect(toolGrant).not.toHaveBeenCalled();
  });
});

describe('applyToolGrant', () => {
  it('shortens the timeout and the per-stream caps, keeps room for both halves', () => {
    const caps = {
      maxStdoutBytes: 1 << 20,
      maxStderrBytes: 1 << 20,
      maxOutputBytes: 2 << 20,
      mode: 'head-tail' as const,
    };
    expect(applyToolGrant({ enabled: true, maxTimeoutMs: 5000, maxOutputBytes: 1000 }, 'none', 60_000, caps)).toEqual({
      network: 'none',
      timeoutMs: 5000,
    });
    expect(caps).toMatchObject({ maxStdoutBytes: 1000, maxStderrBytes: 1000, maxOutputBytes: 2000 });
    // Never loosens.
    expect(applyToolGrant({ enabled: true, maxTimeoutMs: 1e9 }, 'none', 60_000, caps).timeoutMs).toBe(60_000);
    expect(applyToolGrant(undefined, 'none', 10, caps)).toEqual({ network: 'none', timeoutMs: 10 });
  });
});
