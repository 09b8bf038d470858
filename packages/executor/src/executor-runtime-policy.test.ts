import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createPolicyEnforcer } from '@baaaht/policy';
import type { Policy } from '@baaaht/policy';
import { GVISOR_OVERHEAD } from './runtime-profile';
import type { ContainerRequest, PolicyEnforcer } from './policy-enforcer';
import { closeExecutors, echoProgram, MiB, open } from './test-support/executor-fixture';
import { FakeDocker } from './test-support/fake-docker';

/** The policy's `security.runtime` on the fake engine: which runtime the container gets, and when it is refused. */

afterEach(closeExecutors);

const engine = (runtimes: string[]): FakeDocker => {
  const docker = new FakeDocker();
  docker.images.add('img:echo');
  docker.program = echoProgram;
  docker.runtimesList = runtimes;
  return docker;
};

/** A policy that allows everything the fixture's echo tool and a temp workspace need, plus `extra`. */
const allowing = (extra: Policy): PolicyEnforcer => createPolicyEnforcer({ mode: 'strict', ...extra });

it('a tool section moves that tool to runsc: its container gets the runtime, RLIMIT_NPROC and the budget', async () => {
  const docker = engine(['runc', 'runsc']);
  const { ex } = await open({ policy: allowing({ tools: { echo: { security: { runtime: 'runsc' } } } }) }, docker);
  const r = await ex.executeTask({ tool: 'echo', params: { text: 'hi' } });
  expect(r).toMatchObject({ status: 'completed', stdout: 'hi' });
  const h = docker.containers[0]?.body.HostConfig;
  expect(h?.Runtime).toBe('runsc');
  expect(h?.Ulimits).toEqual([{ Name: 'nproc', Soft: 10, Hard: 10 }]);
  expect(h?.PidsLimit).toBe(GVISOR_OVERHEAD.pidsBase + 10 * GVISOR_OVERHEAD.pidsPerProcess);
  expect(h?.Memory).toBe(64 * MiB + GVISOR_OVERHEAD.memoryBytesBase + 10 * GVISOR_OVERHEAD.memoryBytesPerProcess);
});

it('a runtime the engine lacks refuses the task before any container, after asking the engine once more', async () => {
  const docker = engine(['runc']);
  const { ex } = await open({ policy: allowing({ security: { runtime: 'runsc' } }) }, docker);
  const infoCalls = (): number => docker.calls.filter((c) => c === 'runtimes').length;
  const before = infoCalls();
  const r = await ex.executeTask({ tool: 'echo', params: { text: 'hi' } });
  expect(r).toMatchObject({ status: 'error', error: { code: 'RUNTIME_UNAVAILABLE', detail: 'security.runtime' } });
  expect(r.error?.message).toContain("OCI runtime 'runsc' is not available on this Docker engine");
  expect(r.error?.message).toContain("the policy's security.runtime asks for it");
  expect(r.error?.message).toContain('(it has: runc)');
  expect(r.error?.message).toContain('apt-get install runsc');
  expect(r.error?.message).toContain('"runsc": {"path": "/usr/bin/runsc"');
  expect(docker.calls).not.toContain('create');
  expect(infoCalls()).toBe(before + 1);
  // Registered since (dockerd restarted with it): the next task finds it.
  docker.runtimesList = ['runc', 'runsc'];
  expect(await ex.executeTask({ tool: 'echo', params: { text: 'now' } })).toMatchObject({ status: 'completed' });
  expect(docker.containers[0]?.body.HostConfig.Runtime).toBe('runsc');
});

it('a workspace tool the policy moves to gVisor, on a client without volume calls, is refused (MOUNT_PIN_UNAVAILABLE) before any container', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'baaaht-rt-'));
  try {
    const docker = engine(['runc', 'runsc']);
    const { ex } = await open(
      {
        imageOverrides: { '*': 'img:echo' },
        policy: allowing({
          mounts: { allow_bind_mounts: true, mount_allowlist: [{ path: fs.realpathSync(dir), mode: 'readonly' }] },
          tools: { file_read: { security: { runtime: 'runsc' } } },
        }),
      },
      docker,
    );
    const r = await ex.executeTask({ tool: 'file_read', params: { path: 'a.txt' }, mountSource: dir });
    expect(r).toMatchObject({ status: 'error', error: { code: 'MOUNT_PIN_UNAVAILABLE' } });
    expect(r.error?.message).toContain("runtime 'runsc' hides host inode numbers");
    expect(r.error?.message).toContain('the Docker client has no volume calls');
    expect(docker.calls).not.toContain('create');
  } finally {
    fs.rmSync(dir, { recursive: true });
  }
});

it('an enforcer answering with a weaker runtime cannot take a gVisor executor off gVisor', async () => {
  const docker = engine(['runc', 'runsc']);
  const downgrade: PolicyEnforcer = { enforce: (req: ContainerRequest) => ({ ...req, runtime: 'runc' }) };
  const { ex } = await open({ runtime: 'runsc', policy: downgrade }, docker);
  expect(await ex.executeTask({ tool: 'echo', params: { text: 'x' } })).toMatchObject({ status: 'completed' });
  expect(docker.containers[0]?.body.HostConfig.Runtime).toBe('runsc');
});

it('the policy sees the runtime it is asked about, and an enforcer that says nothing keeps it', async () => {
  const docker = engine(['runc', 'runsc']);
  const seen: Array<string | undefined> = [];
  const silent: PolicyEnforcer = {
    enforce: (req: ContainerRequest) => {
      seen.push(req.runtime);
      const { runtime: _runtime, ...rest } = req;
      return rest;
    },
  };
  const { ex } = await open({ runtime: 'runsc', policy: silent }, docker);
  await ex.executeTask({ tool: 'echo', params: { text: 'x' } });
  expect(seen).toEqual(['runsc']);
  expect(docker.containers[0]?.body.HostConfig.Runtime).toBe('runsc');
});
