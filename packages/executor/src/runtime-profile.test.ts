import { GVISOR_DAEMON_JSON, GVISOR_OVERHEAD, runtimeLimits, runtimeRegistrationHint } from './runtime-profile';

const MiB = 1024 * 1024;

describe('runtimeLimits', () => {
  it('runc and other namespace runtimes: the cgroup holds the tool, so its limits are the tool limits', () => {
    for (const runtime of ['runc', 'crun', 'io.containerd.runc.v2'])
      expect(runtimeLimits(runtime, { pidsLimit: 16, memoryBytes: 32 * MiB })).toEqual({
        cgroupPidsLimit: 16,
        cgroupMemoryBytes: 32 * MiB,
      });
  });

  it('gVisor: the tool limit in the sandbox (RLIMIT_NPROC), the cgroup above the largest peaks measured', () => {
    expect(runtimeLimits('runsc', { pidsLimit: 16, memoryBytes: 32 * MiB })).toEqual({
      cgroupPidsLimit: 128 + 64 * 16,
      cgroupMemoryBytes: 32 * MiB + 16 * MiB + 24 * MiB,
      nproc: 16,
    });
    // Measured peaks (runtime-profile.ts): 64 processes 2588 host tasks and 85 MiB over runc; 20: 791 tasks.
    const at = (n: number): ReturnType<typeof runtimeLimits> =>
      runtimeLimits('runsc', { pidsLimit: n, memoryBytes: 0 });
    expect(at(64).cgroupPidsLimit).toBeGreaterThan(2588);
    expect(at(64).cgroupMemoryBytes).toBeGreaterThan(85 * MiB);
    expect(at(20).cgroupPidsLimit).toBeGreaterThan(791);
    expect(GVISOR_OVERHEAD.pidsBase).toBeGreaterThan(65);
  });
});

describe('runtimeRegistrationHint', () => {
  it('gVisor: the package and the daemon.json runtimes entry with the flags web tools need', () => {
    expect(JSON.parse(GVISOR_DAEMON_JSON)).toEqual({
      runtimes: { runsc: { path: '/usr/bin/runsc', runtimeArgs: ['--network=none', '--host-uds=open'] } },
    });
    const hint = runtimeRegistrationHint('runsc');
    expect(hint).toContain('apt-get install runsc');
    expect(hint).toContain(GVISOR_DAEMON_JSON);
    expect(hint).toContain('restart dockerd');
    expect(runtimeRegistrationHint('runsc-kvm')).toContain('"runsc-kvm": {"path": "/usr/bin/runsc"');
  });

  it('another runtime: a runtimes entry under its own name', () => {
    expect(runtimeRegistrationHint('crun')).toContain('{"runtimes": {"crun": {"path": "/path/to/crun"}}}');
  });
});
