// The gVisor tier's descriptor mounts on the real engine (descriptor-mounts.ts): the probe proves the
// engine mounts this process's descriptors and refuses when it would resolve another process's; sessions
// keep their own descriptors for their container's life and remove their volumes with it; the reaper
// removes a descriptor volume nobody uses. These need runsc registered: CI sets BAAAHT_REQUIRE_RUNSC=1,
// which fails them when it is not.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { OFFLINE_BUSYBOX_IMAGE, createTempWorkspace, volumesWithLabel } from '@baaaht/test-utils';
import type { TempWorkspace } from '@baaaht/test-utils';
import { createDockerClient } from './docker-client';
import { DescriptorVolumes } from './descriptor-mounts';
import type { Executor } from './executor';
import { LABELS } from './labels';
import { quietLogger } from './logger';
import { openTestExecutor, testWorkerId, workerContainers } from './test-support/integration';

jest.setTimeout(120_000);

const hasRunsc = Object.keys(
  JSON.parse(execFileSync('docker', ['info', '--format', '{{json .Runtimes}}'], { encoding: 'utf8' })) as object,
).includes('runsc');
// Skipped, visibly, only where nobody asked for runsc; where CI asks, a missing runsc fails these cases.
const describeRunsc = hasRunsc || process.env['BAAAHT_REQUIRE_RUNSC'] === '1' ? describe : describe.skip;

const OWNER = { uid: 1234, gid: 1234 };
const workerId = testWorkerId('descriptor-mounts');
const like = { workerId, instanceId: `probe-${process.pid}`, version: 'test', image: OFFLINE_BUSYBOX_IMAGE };
const ours = `${LABELS.workerId}=${workerId}`;
let ws: TempWorkspace;
const executors: Executor[] = [];

beforeAll(() => {
  ws = createTempWorkspace({ files: { 'a.txt': 'alpha\n' }, owner: OWNER });
});

afterAll(async () => {
  for (const ex of executors) await ex.close();
  ws.cleanup();
  expect(workerContainers(workerId)).toEqual([]);
  expect(volumesWithLabel(ours)).toEqual([]);
});

describeRunsc(hasRunsc ? 'under runsc' : 'under runsc (not registered here: skipped, CI fails instead)', () => {
  it('the probe passes for this process and refuses another process under our pid, leaving nothing', async () => {
    const docker = createDockerClient();
    for (const runtime of ['runsc', 'runc']) {
      expect(await new DescriptorVolumes(docker, quietLogger).check({ ...like, runtime })).toBeUndefined();
      // pid 1 is not us: its descriptor numbers name nothing, or something else than our marker directory.
      const problem = await new DescriptorVolumes(docker, quietLogger, 1).check({ ...like, runtime });
      expect(problem).toMatch(/cannot mount \/proc\/1\/fd\/N|resolves \/proc\/1\/fd\/N to something else/);
    }
    expect(workerContainers(workerId)).toEqual([]);
    expect(volumesWithLabel(ours)).toEqual([]);
  });

  it('a session under runsc keeps its workspace mount across calls and removes its volume with its container', async () => {
    const ex = await openTestExecutor(workerId, { runtime: 'runsc', sessions: { enabled: true } });
    executors.push(ex);
    const sessionId = 'fd-session';
    const wrote = await ex.executeTask({
      tool: 'file_write',
      params: { path: 'b.txt', content: 'beta\n' },
      mountSource: ws.dir,
      sessionId,
    });
    expect(wrote.status).toBe('completed');
    const read = await ex.executeTask({ tool: 'file_read', params: { path: 'b.txt' }, mountSource: ws.dir, sessionId });
    expect(read).toMatchObject({ status: 'completed', stdout: 'beta\n' });
    expect(read.containerId).toBe(wrote.containerId);
    // One container, one volume (read-write file_write and read-only file_read share nothing else).
    expect(volumesWithLabel(`${LABELS.sessionId}=${sessionId}`).length).toBeGreaterThan(0);
    expect(await ex.closeSession(sessionId)).toBe(true);
    await ex.idle();
    expect(volumesWithLabel(ours)).toEqual([]);
    expect(workerContainers(workerId)).toEqual([]);
  });

  it('a FIFO in the workspace: gVisor refuses even to stat it; walking tools skip it as under runc, none hangs', async () => {
    const ex = await openTestExecutor(workerId, { runtime: 'runsc' });
    executors.push(ex);
    const dir = createTempWorkspace({ files: { 'a.txt': 'alpha\n' }, owner: OWNER });
    try {
      execFileSync('mkfifo', [dir.path('pipe')]);
      fs.lchownSync(dir.path('pipe'), OWNER.uid, OWNER.gid);
      // The host check refuses it before any container, as under runc.
      const read = await ex.executeTask({ tool: 'file_read', params: { path: 'pipe' }, mountSource: dir.dir });
      expect(read).toMatchObject({ status: 'failed', error: { code: 'NOT_A_REGULAR_FILE' } });
      // Inside the sandbox the FIFO cannot even be looked at (EPERM): skipped and counted, never read.
      const found = await ex.executeTask({ tool: 'find', params: {}, mountSource: dir.dir });
      expect(found).toMatchObject({
        status: 'completed',
        structured: { paths: ['.', 'a.txt'], skipped: { special: 1 } },
      });
      const listed = await ex.executeTask({ tool: 'list', params: {}, mountSource: dir.dir });
      expect(listed.status).toBe('completed');
      expect(listed.stdout).toContain('a.txt');
      expect(listed.stderr).toContain('note: skipped 1 entry the sandbox refused to examine');
      const grepped = await ex.executeTask({ tool: 'grep', params: { pattern: 'alpha' }, mountSource: dir.dir });
      expect(grepped).toMatchObject({ status: 'completed', structured: { skipped: { special: 1 } } });
      expect(grepped.stdout).toBe('a.txt:1:alpha\n');
    } finally {
      dir.cleanup();
    }
  });

  it('the reaper removes a descriptor volume of this executor that no container uses', async () => {
    // No warm pool: its waiting container would hold a volume of its own.
    const ex = await openTestExecutor(workerId, { runtime: 'runsc', pool: { enabled: false } });
    executors.push(ex);
    const read = await ex.executeTask({ tool: 'file_read', params: { path: 'a.txt' }, mountSource: ws.dir });
    expect(read).toMatchObject({ status: 'completed', stdout: 'alpha\n' });
    await ex.idle();
    const mine = `${LABELS.instanceId}=${ex.instanceId}`;
    expect(volumesWithLabel(mine)).toEqual([]);
    // A leftover as a killed call would leave it: our labels, no container.
    const name = `baaaht-fd-leak-${process.pid}`;
    const labels = [LABELS.managed, 'true', LABELS.workerId, workerId, LABELS.instanceId, ex.instanceId];
    const args = ['volume', 'create', '--driver', 'local', '--opt', 'type=tmpfs', '--opt', 'device=tmpfs'];
    for (let i = 0; i < labels.length; i += 2) args.push('--label', `${labels[i]}=${labels[i + 1]}`);
    execFileSync('docker', [...args, name], { stdio: 'ignore' });
    expect(volumesWithLabel(mine)).toEqual([name]);
    await ex.reap();
    expect(volumesWithLabel(mine)).toEqual([]);
  });
});
