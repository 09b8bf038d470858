import { GVISOR_DAEMON_JSON, GVISOR_OVERHEAD, runtimeLimits, runtimeRegistrationHint } from './runtime-profile';

const MiB = 1024 * 1024;

describe('runtimeLimits', () => {
  it('runc and other namespace runtimes: the cgroup holds the tool, so its limits are the tool limits', () => {
    for (const runtime of ['runc', 'crun', 'io.containerd.runc.v2'])
      expect(runtimeLimits(runtime, { pidsLimit: 16, memoryBytes: 32 * MiB, cpus: 0.1 })).toEqual({
        cgroupPidsLimit: 16,
        cgroupMemoryBytes: 32 * MiB,
        cgroupCpus: 0.1,
      });
  });

  it('gVisor: the tool limit in the sandbox (RLIMIT_NPROC), the cgroup above the largest peaks measured', () => {
    expect(runtimeLimits('runsc', { pidsLimit: 16, memoryBytes: 32 * MiB, cpus: 0.1 })).toEqual({
      cgroupPidsLimit: 128 + 64 * 16,
      cgroupMemoryBytes: 32 * MiB + 16 * MiB + 24 * MiB,
      nproc: 16,
      // 250 ms per 1 s period for the sandbox, above the ~130 ms of CPU a start was measured to use.
      cgroupCpus: 0.1 + 0.25,
    });
    expect(GVISOR_OVERHEAD.cpusBudget * 1000).toBeGreaterThan(134);
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
