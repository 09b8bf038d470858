import { applyEnforced, buildCreateBody, containerName, toContainerRequest } from './container-config';
import type { ContainerPlan } from './container-config';
import { LABELS } from './labels';
import { GVISOR_OVERHEAD } from './runtime-profile';

const MiB = 1024 * 1024;

const plan: ContainerPlan = {
  workerId: 'w1',
  instanceId: 'inst-1',
  version: '1.2.3',
  sessionId: 's1',
  taskId: 'task-123456789abcdef',
  tool: 'file_read',
  image: 'img:1',
  user: '1234:1234',
  workspaceSource: '/real/ws',
  workspaceMode: 'readonly',
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

describe('buildCreateBody', () => {
  const body = buildCreateBody(plan, { argv: ['cat', '--', '/workspace/a'] }, 'baaaht-file_read-x-abc');

  it('applies every isolation field', () => {
    const h = body.HostConfig;
    expect(h.CapDrop).toEqual(['ALL']);
    expect(h.CapAdd).toEqual([]);
    expect(h.SecurityOpt).toEqual(['no-new-privileges']);
    expect(h.Privileged).toBe(false);
    expect(h.ReadonlyRootfs).toBe(true);
    expect(h.Tmpfs).toEqual({ '/tmp': 'rw,noexec,nosuid,nodev,mode=1777,size=16777216' });
    expect(h.Init).toBe(true);
    expect(h.PidsLimit).toBe(10);
    expect(h.Memory).toBe(64 * 1024 * 1024);
    expect(h.MemorySwap).toBe(h.Memory);
    expect(h.CpuPeriod).toBe(1_000_000);
    expect(h.CpuQuota).toBe(250_000);
    expect(h).not.toHaveProperty('NanoCpus');
    expect(h.NetworkMode).toBe('none');
    expect(body.NetworkDisabled).toBe(true);
    expect(h.LogConfig.Type).toBe('none');
    expect(h.AutoRemove).toBe(false);
    expect(h.Runtime).toBe('runc');
    expect(body.User).toBe('1234:1234');
    expect(body.Tty).toBe(false);
  });

  it('mounts the workspace read-only by default and never the Docker socket', () => {
    expect(body.HostConfig.Mounts).toEqual([
      { Type: 'bind', Source: '/real/ws', Target: '/workspace', ReadOnly: true },
    ]);
    expect(JSON.stringify(body)).not.toContain('docker.sock');
    const rw = buildCreateBody({ ...plan, workspaceMode: 'readwrite' }, { argv: ['tee'] }, 'n');
    expect(rw.HostConfig.Mounts[0]?.ReadOnly).toBe(false);
  });

  it('labels the container for the reaper', () => {
    expect(body.Labels).toEqual({
      [LABELS.managed]: 'true',
      [LABELS.workerId]: 'w1',
      [LABELS.instanceId]: 'inst-1',
      [LABELS.version]: '1.2.3',
      [LABELS.sessionId]: 's1',
      [LABELS.taskId]: 'task-123456789abcdef',
      [LABELS.tool]: 'file_read',
      [LABELS.deadline]: '1700000000000',
    });
  });

  it('runs argv directly (no shell, no image entrypoint) and opens stdin only when there is input', () => {
    expect(body.Entrypoint).toEqual([]);
    expect(body.Cmd).toEqual(['cat', '--', '/workspace/a']);
    expect(body.OpenStdin).toBe(false);
    const withStdin = buildCreateBody(
      plan,
      { argv: ['tee', '--', '/workspace/a'], stdin: 'x', env: { A: 'b c' } },
      'n',
    );
    expect(withStdin.OpenStdin).toBe(true);
    expect(withStdin.StdinOnce).toBe(true);
    expect(withStdin.AttachStdin).toBe(true);
    expect(withStdin.Env).toContain('A=b c');
  });

  it('mounts the egress socket directory read-only at /run/baaaht', () => {
    const { workspaceSource: _ws, ...noWs } = plan;
    const web = buildCreateBody({ ...noWs, egressDir: '/tmp/e/sock' }, { argv: ['curl'] }, 'n');
    expect(web.HostConfig.Mounts).toEqual([
      { Type: 'bind', Source: '/tmp/e/sock', Target: '/run/baaaht', ReadOnly: true },
    ]);
    expect(web.HostConfig.NetworkMode).toBe('none');
    expect(web.WorkingDir).toBe('/');
  });
});

describe('buildCreateBody under each runtime', () => {
  it('runc: the cgroup is the tool: pids and memory as planned, no RLIMIT_NPROC (it would count the whole host uid)', () => {
    const h = buildCreateBody(plan, { argv: ['x'] }, 'n').HostConfig;
    expect(h).toMatchObject({ Runtime: 'runc', PidsLimit: 10, Memory: 64 * MiB, MemorySwap: 64 * MiB });
    expect(h.Ulimits).toBeUndefined();
  });

  it.each(['runsc', 'runsc-kvm'])(
    '%s: the tool limit as RLIMIT_NPROC in the sandbox, the cgroup with its budget',
    (runtime) => {
      const h = buildCreateBody({ ...plan, runtime }, { argv: ['x'] }, 'n').HostConfig;
      expect(h.Runtime).toBe(runtime);
      expect(h.Ulimits).toEqual([{ Name: 'nproc', Soft: 10, Hard: 10 }]);
      expect(h.PidsLimit).toBe(GVISOR_OVERHEAD.pidsBase + 10 * GVISOR_OVERHEAD.pidsPerProcess);
      const memory = 64 * MiB + GVISOR_OVERHEAD.memoryBytesBase + 10 * GVISOR_OVERHEAD.memoryBytesPerProcess;
      expect([h.Memory, h.MemorySwap]).toEqual([memory, memory]);
      // The quota shared with the sandbox: the tool's 0.25 CPU plus gVisor's budget, per 1 s period.
      expect(h.CpuPeriod).toBe(1_000_000);
      expect(h.CpuQuota).toBe(Math.round((0.25 + GVISOR_OVERHEAD.cpusBudget) * 1_000_000));
      // The policy still judges the tool's own limits, not the budget.
      expect(toContainerRequest({ ...plan, runtime }, 'none').resources).toMatchObject({
        pidsLimit: 10,
        memoryBytes: 64 * MiB,
        nanoCpus: 250_000_000,
      });
    },
  );
});

describe('applyEnforced', () => {
  it("takes the policy's runtime unless it is weaker than ours (gVisor ranks above the rest)", () => {
    const req = toContainerRequest(plan, 'none');
    expect(req.runtime).toBe('runc');
    expect(applyEnforced(plan, { ...req, runtime: 'runsc' }).runtime).toBe('runsc');
    expect(applyEnforced(plan, { ...req, runtime: 'crun' }).runtime).toBe('crun');
    const gvisor = { ...plan, runtime: 'runsc' };
    expect(applyEnforced(gvisor, { ...req, runtime: 'runc' }).runtime).toBe('runsc');
    expect(applyEnforced(gvisor, { ...req, runtime: 'runsc-kvm' }).runtime).toBe('runsc-kvm');
    const { runtime: _r, ...silent } = req;
    expect(applyEnforced(gvisor, silent).runtime).toBe('runsc');
    expect(applyEnforced(plan, { ...req, runtime: '' }).runtime).toBe('runc');
  });

  it('takes tighter limits, a read-only workspace and another non-root user', () => {
    const req = toContainerRequest(plan, 'none');
    const next = applyEnforced(
      { ...plan, workspaceMode: 'readwrite' },
      {
        ...req,
        user: '2000:2000',
        resources: { nanoCpus: 1e8, memoryBytes: 32 * 1024 * 1024, memorySwapBytes: 32 * 1024 * 1024, pidsLimit: 5 },
        mounts: [{ source: '/real/ws', target: '/workspace', mode: 'readonly' }],
      },
    );
    expect(next).toMatchObject({
      cpus: 0.1,
      memoryBytes: 32 * 1024 * 1024,
      pidsLimit: 5,
      workspaceMode: 'readonly',
      user: '2000:2000',
    });
  });

  it('never loosens: larger limits, root and privileged flags are ignored', () => {
    const req = toContainerRequest(plan, 'none');
    const next = applyEnforced(plan, {
      ...req,
      user: '0:0',
      privileged: true,
      capAdd: ['SYS_ADMIN'],
      readOnlyRootfs: false,
      resources: { nanoCpus: 8e9, memoryBytes: 1e12, memorySwapBytes: 1e12, pidsLimit: 10_000 },
    });
    expect(next).toEqual(plan);
    expect(buildCreateBody(next, { argv: ['x'] }, 'n').HostConfig).toMatchObject({
      Privileged: false,
      CapAdd: [],
      ReadonlyRootfs: true,
    });
  });
});

describe('containerName', () => {
  it('is a valid Docker name even for odd task ids', () => {
    expect(containerName('file_read', 'a/b c:d-1234567890abcdef', 'abc123')).toMatch(
      /^baaaht-file_read-[a-zA-Z0-9_.-]{1,12}-abc123$/,
    );
    expect(containerName('x', '///', 'r')).toBe('baaaht-x-task-r');
  });
});

describe('protected paths', () => {
  const rw: ContainerPlan = {
    ...plan,
    workspaceMode: 'readwrite',
    protectedMounts: [{ source: '/real/ws/.git', target: '/workspace/.git', dev: 1, ino: 2 }],
  };

  it('mounts each protected path read-only after the read-write workspace', () => {
    const mounts = buildCreateBody(rw, { argv: ['true'] }, 'n').HostConfig.Mounts;
    expect(mounts).toEqual([
      { Type: 'bind', Source: '/real/ws', Target: '/workspace', ReadOnly: false },
      { Type: 'bind', Source: '/real/ws/.git', Target: '/workspace/.git', ReadOnly: true },
    ]);
  });

  it('sends the list to the policy and takes its answer, or keeps ours when it has none', () => {
    const request = toContainerRequest(rw, 'none');
    expect(request).toMatchObject({ protectedPaths: ['.git'], allowHardlinks: false });
    expect(applyEnforced(rw, { ...request, protectedPaths: [], allowHardlinks: true })).toMatchObject({
      protectedPaths: [],
      allowHardlinks: true,
    });
    const legacy = { ...request } as Partial<typeof request>;
    delete legacy.protectedPaths;
    delete legacy.allowHardlinks;
    expect(applyEnforced(rw, legacy as typeof request)).toMatchObject({
      protectedPaths: ['.git'],
      allowHardlinks: false,
    });
  });
});
