import type { ContainerPlan } from './container-config';
import { LABELS } from './labels';
import { poolKey, pooledCreateBody, SANDBOX_AGENT_TARGET } from './pool-container-config';
import { runtimeLimits } from './runtime-profile';
import { SANDBOX_AGENT_PROCESSES } from './sandbox-agent-path';

const AGENT = '/opt/agent';
const plan: ContainerPlan = {
  workerId: 'w1',
  instanceId: 'inst-1',
  version: '1.2.3',
  taskId: 'task-1',
  tool: 'file_read',
  image: 'img:1',
  user: '1234:1234',
  workspaceSource: '/real/ws',
  workspaceMode: 'readonly',
  pins: [{ target: '/workspace', dev: 10, ino: 20 }],
  gateNonce: 'nonce-1',
  cpus: 0.25,
  memoryBytes: 64 * 1024 * 1024,
  pidsLimit: 10,
  tmpfsBytes: 16 * 1024 * 1024,
  readOnlyRootfs: true,
  runtime: 'runc',
  deadlineMs: 1_700_000_000_000,
  protectedPaths: ['.git'],
  allowHardlinks: false,
};
const key = (p: Partial<ContainerPlan>, imageId = 'sha256:a'): string =>
  poolKey({ ...plan, ...p }, AGENT, imageId).text;

describe('poolKey', () => {
  it('ignores what differs between calls: task id, tool, deadline, gate nonce, protected-path names, requested limits', () => {
    expect(
      key({
        taskId: 'task-2',
        tool: 'grep',
        deadlineMs: 1,
        gateNonce: 'other',
        protectedPaths: ['.hg'],
        requested: { memoryBytes: 1 },
      }),
    ).toBe(key({}));
    expect(key({ taskLabels: { 'org.baaaht.label.a': '1', 'org.baaaht.label.b': '2' } })).toBe(
      key({ taskLabels: { 'org.baaaht.label.b': '2', 'org.baaaht.label.a': '1' } }),
    );
  });

  it.each<[string, Partial<ContainerPlan>]>([
    ['image', { image: 'img:2' }],
    ['user', { user: '1000:1000' }],
    ['mount source', { workspaceSource: '/real/other' }],
    ['mount mode', { workspaceMode: 'readwrite' }],
    ['judged device', { pins: [{ target: '/workspace', dev: 11, ino: 20 }] }],
    ['judged inode', { pins: [{ target: '/workspace', dev: 10, ino: 21 }] }],
    [
      'nested protected bind',
      {
        protectedMounts: [{ source: '/real/ws/.git', target: '/workspace/.git', dev: 10, ino: 30 }],
        pins: [
          { target: '/workspace', dev: 10, ino: 20 },
          { target: '/workspace/.git', dev: 10, ino: 30 },
        ],
      },
    ],
    ['memory', { memoryBytes: 32 * 1024 * 1024 }],
    ['cpu', { cpus: 0.5 }],
    ['pids', { pidsLimit: 11 }],
    ['tmpfs', { tmpfsBytes: 1024 * 1024 }],
    ['egress socket dir', { egressDir: '/tmp/egress-1' }],
    ['runtime', { runtime: 'crun' }],
    ['read-only rootfs', { readOnlyRootfs: false }],
    ['session label', { sessionId: 's2' }],
    ['task labels', { taskLabels: { 'org.baaaht.label.team': 'x' } }],
    ['no workspace', { workspaceSource: undefined, pins: [] }],
  ])('changes with the %s', (_what, change) => {
    expect(key(change)).not.toBe(key({}));
  });

  it('changes with the image id (a newer image under the same name)', () => {
    expect(key({}, 'sha256:b')).not.toBe(key({}));
  });

  it('under gVisor (no gate) names the descriptor mounts and their identities: a swapped inode never shares a key', () => {
    const gvisor = (dev: number, ino: number): Partial<ContainerPlan> => ({
      runtime: 'runsc',
      pins: [{ target: '/workspace', dev, ino }],
      descriptorMounts: [{ target: '/workspace', source: '/real/ws', dev, ino }],
    });
    expect(key(gvisor(10, 20))).toBe(key({ ...gvisor(10, 20), taskId: 'other', gateNonce: 'other' }));
    expect(key(gvisor(10, 21))).not.toBe(key(gvisor(10, 20)));
    expect(key(gvisor(11, 20))).not.toBe(key(gvisor(10, 20)));
    expect(key(gvisor(10, 20))).toContain('"descriptors":[{');
    // Under runc the gate's environment carries the identity instead.
    expect(key({ pins: [{ target: '/workspace', dev: 10, ino: 21 }] })).not.toBe(key({}));
  });

  it('has a 16-hex-digit hash', () => {
    expect(poolKey(plan, AGENT, undefined).hash).toMatch(/^[0-9a-f]{16}$/);
  });
});

describe('pooledCreateBody', () => {
  const k = poolKey(plan, AGENT, 'sha256:a');
  const body = pooledCreateBody(plan, AGENT, k, { idleDeadlineMs: 1000, deadlineMs: 5000 }, 'baaaht-pool-x');

  it('under gVisor the agent is in RLIMIT_NPROC and the budget too', () => {
    const h = pooledCreateBody(
      { ...plan, runtime: 'runsc' },
      AGENT,
      k,
      { idleDeadlineMs: 1, deadlineMs: 2 },
      'n',
    ).HostConfig;
    const l = runtimeLimits('runsc', { pidsLimit: 10 + SANDBOX_AGENT_PROCESSES, memoryBytes: plan.memoryBytes });
    expect(h).toMatchObject({ Runtime: 'runsc', PidsLimit: l.cgroupPidsLimit, Memory: l.cgroupMemoryBytes });
    expect(h.Ulimits).toEqual([{ Name: 'nproc', Soft: 11, Hard: 11 }]);
  });

  it("is the call's container with the gated agent as its entry and stdin open for frames", () => {
    expect(body.Cmd.slice(0, 2)).toEqual(['/bin/sh', '-c']);
    expect(body.Cmd.slice(-2)).toEqual([SANDBOX_AGENT_TARGET, '--once']);
    expect(body.Env).toContain('BAAAHT_PIN_IDS=10:20');
    expect(body).toMatchObject({ OpenStdin: true, StdinOnce: true, AttachStdin: true, User: '1234:1234' });
    expect(body.HostConfig).toMatchObject({
      CapDrop: ['ALL'],
      SecurityOpt: ['no-new-privileges'],
      ReadonlyRootfs: true,
      NetworkMode: 'none',
      // The tool's 10 and the agent's own process, which stays the call's parent.
      PidsLimit: 10 + SANDBOX_AGENT_PROCESSES,
    });
    expect(body.HostConfig.Mounts).toEqual([
      { Type: 'bind', Source: '/real/ws', Target: '/workspace', ReadOnly: true },
      { Type: 'bind', Source: AGENT, Target: SANDBOX_AGENT_TARGET, ReadOnly: true },
    ]);
  });

  it('carries the pool labels and no task label; each container gets its own gate nonce', () => {
    expect(body.Labels).toMatchObject({
      [LABELS.pool]: '1',
      [LABELS.poolKey]: k.hash,
      [LABELS.poolIdleDeadline]: '1000',
      [LABELS.deadline]: '5000',
      [LABELS.workerId]: 'w1',
      [LABELS.instanceId]: 'inst-1',
    });
    expect(body.Labels[LABELS.taskId]).toBeUndefined();
    expect(body.Labels[LABELS.tool]).toBeUndefined();
    const other = pooledCreateBody(plan, AGENT, k, { idleDeadlineMs: 1000, deadlineMs: 5000 }, 'n');
    const nonce = (b: typeof body): string | undefined => b.Env.find((e) => e.startsWith('BAAAHT_GATE_NONCE='));
    expect(nonce(other)).not.toBe(nonce(body));
    expect(nonce(body)).not.toContain('nonce-1');
  });
});
