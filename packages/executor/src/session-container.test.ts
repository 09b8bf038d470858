import type { ContainerPlan } from './container-config';
import { LABELS } from './labels';
import { SANDBOX_AGENT_PROCESSES } from './sandbox-agent-path';
import { SANDBOX_AGENT_TARGET, SESSION_CPU_PERIOD_US, sessionCreateBody } from './session-container';

const plan: ContainerPlan = {
  workerId: 'w1',
  instanceId: 'inst-1',
  version: '1.2.3',
  sessionId: 's1',
  runInSession: 's1',
  taskId: 'task-1',
  tool: 'file_read',
  image: 'img:1',
  user: '1234:1234',
  workspaceSource: '/real/ws',
  workspaceMode: 'readonly',
  cpus: 0.1,
  memoryBytes: 64 * 1024 * 1024,
  pidsLimit: 10,
  tmpfsBytes: 16 * 1024 * 1024,
  readOnlyRootfs: true,
  runtime: 'runc',
  deadlineMs: 1_700_000_000_000,
  protectedPaths: [],
  allowHardlinks: false,
  taskLabels: { 'org.example/run': 'r1' },
};

describe('sessionCreateBody', () => {
  const body = sessionCreateBody(plan, { sessionId: 's1', agentPath: '/opt/agent', expiresAt: 1_700_000_100_000 });

  it("keeps the call's CPU share on a 100 ms period, so a busy session is throttled for at most 90 ms", () => {
    expect(SESSION_CPU_PERIOD_US).toBe(100_000);
    expect(body.HostConfig.CpuPeriod).toBe(100_000);
    expect(body.HostConfig.CpuQuota).toBe(10_000);
    expect(body.HostConfig.CpuQuota / body.HostConfig.CpuPeriod).toBeCloseTo(plan.cpus);
    const tiny = sessionCreateBody({ ...plan, cpus: 0.001 }, { sessionId: 's', agentPath: '/a', expiresAt: 1 });
    expect(tiny.HostConfig.CpuQuota).toBe(1000); // the kernel's minimum quota
  });

  it("keeps the per-call hardening and limits, runs the agent from a read-only bind, labels the session, not the task's labels", () => {
    const h = body.HostConfig;
    expect([h.CapDrop, h.SecurityOpt, h.ReadonlyRootfs, h.Init, h.NetworkMode]).toEqual([
      ['ALL'],
      ['no-new-privileges'],
      true,
      true,
      'none',
    ]);
    // The agent's own process on top of the tool's limit, so a call gets exactly the processes a fresh container gives.
    expect([h.Memory, h.MemorySwap, h.PidsLimit]).toEqual([
      plan.memoryBytes,
      plan.memoryBytes,
      plan.pidsLimit + SANDBOX_AGENT_PROCESSES,
    ]);
    expect(body.NetworkDisabled).toBe(true);
    expect(h.Mounts).toContainEqual({
      Type: 'bind',
      Source: '/opt/agent',
      Target: SANDBOX_AGENT_TARGET,
      ReadOnly: true,
    });
    expect(body.Labels[LABELS.session]).toBe('1');
    expect(body.Labels[LABELS.sessionId]).toBe('s1');
    expect(body.Labels).not.toHaveProperty('org.example/run');
  });
});
