import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { createDockerClient } from '@baaaht/executor';
import { executorCreateBody } from './hardening';

const run = promisify(execFile);

/** Where Docker 20.10+ (containerd shim v2) and older engines (shim v1) keep a running container's OCI spec. */
const SPEC_DIRS = [
  '/var/run/docker/containerd/daemon/io.containerd.runtime.v2.task/moby',
  '/run/docker/containerd/daemon/io.containerd.runtime.v2.task/moby',
  '/var/run/docker/containerd/daemon/io.containerd.runtime.v1.linux/moby',
  '/run/docker/runtime-runc/moby',
];

/** How the floor's spec was made, for the results file. */
export interface RuncFloorOrigin {
  specFrom: string;
  seccompDefaultAction: string | undefined;
  seccompRules: number;
  dockerInit: boolean;
  rewritten: string[];
}

/**
 * The runtime floor: `runc run` on a bundle whose `config.json` is the one Docker itself generated for
 * the executor's container (seccomp profile, masked paths, devices, limits, mounts, docker-init). The
 * container is created through the Engine API with the executor's create body (running `sleep` so the
 * spec can be read while it lives), its spec copied from the engine's state directory and its root
 * filesystem exported; then only what cannot outlive that container is rewritten: the rootfs path,
 * Docker's `/etc/hostname` file (copied into the bundle), the cgroup path (dropped, so runc names each
 * run's cgroup after its id) and the argv after docker-init.
 */
export async function prepareRuncFloor(
  image: string,
  workspace: string,
  argv: string[],
): Promise<{ run: () => Promise<void>; cleanup: () => Promise<void>; origin: RuncFloorOrigin }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'baaaht-runc-'));
  const rootfs = path.join(dir, 'rootfs');
  fs.mkdirSync(rootfs);
  const docker = createDockerClient();
  const body = executorCreateBody(image, workspace, ['sleep', '600']);
  body.Labels = { 'org.baaaht.managed': 'true', 'org.baaaht.bench': 'runc-floor' };
  const id = await docker.createContainer(body);
  let spec: any;
  let specFrom = '';
  try {
    await docker.startContainer(id);
    for (const d of SPEC_DIRS) {
      const p = path.join(d, id, 'config.json');
      if (fs.existsSync(p)) {
        spec = JSON.parse(fs.readFileSync(p, 'utf8'));
        specFrom = p.replace(id, '<id>');
        break;
      }
    }
    if (spec === undefined) throw new Error(`runc floor: no config.json for ${id} under ${SPEC_DIRS.join(', ')}`);
    const rewritten = ['root.path'];
    for (const m of spec.mounts as { source: string; destination: string }[]) {
      if (!m.source.includes(id)) continue;
      const copy = path.join(dir, path.basename(m.destination));
      fs.copyFileSync(m.source, copy);
      m.source = copy;
      rewritten.push(`mount ${m.destination}`);
    }
    await run('bash', ['-c', `docker export ${id} | tar -C ${rootfs} -xf -`]);
    spec.root.path = rootfs;
    if (spec.linux.cgroupsPath !== undefined) {
      delete spec.linux.cgroupsPath;
      rewritten.push('linux.cgroupsPath');
    }
    if (spec.hooks !== undefined && Object.keys(spec.hooks).length > 0) rewritten.push('hooks');
    delete spec.hooks;
    const args: string[] = spec.process.args;
    const dash = args.indexOf('--');
    const dockerInit = dash > 0 && args[0]!.includes('docker-init');
    spec.process.args = dockerInit ? [...args.slice(0, dash + 1), ...argv] : argv;
    rewritten.push('process.args');
    fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(spec, null, 2));
    const origin: RuncFloorOrigin = {
      specFrom,
      seccompDefaultAction: spec.linux.seccomp?.defaultAction,
      seccompRules: spec.linux.seccomp?.syscalls?.length ?? 0,
      dockerInit,
      rewritten,
    };
    let n = 0;
    return {
      origin,
      run: async () => {
        await run('runc', ['run', '--bundle', dir, `baaaht-bench-${process.pid}-${n++}`], {
          maxBuffer: 64 * 1024 * 1024,
        });
      },
      cleanup: async () => {
        fs.rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw err;
  } finally {
    await docker.killContainer(id, 'SIGKILL').catch(() => undefined);
    await docker.removeContainer(id).catch(() => undefined);
  }
}
