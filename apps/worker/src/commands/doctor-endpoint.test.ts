import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { discoverDockerEngine } from '@baaaht/executor';
import { defaultWorkerConfig } from '../config-schema';
import { dockerEndpointCheck, formatDoctor, runDoctorChecks } from './doctor-command';

/** A Podman-like engine on a Unix socket: answers `GET /_ping`, 404 for everything else. */
async function podmanLike(file: string): Promise<http.Server> {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const server = http.createServer((req, res) => {
    if (req.url === '/_ping') res.writeHead(200).end('OK');
    else res.writeHead(404, { 'content-type': 'application/json' }).end('{"message":"not here"}');
  });
  await new Promise<void>((resolve) => server.listen(file, resolve));
  return server;
}

describe('worker doctor: the docker endpoint', () => {
  let dir: string;
  let server: http.Server | undefined;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'de-'));
  });
  afterEach(async () => {
    if (server) await new Promise((resolve) => server?.close(resolve));
    server = undefined;
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const paths = (): { defaultSocket: string; runUserDir: string; podmanSocket: string } => ({
    defaultSocket: path.join(dir, 'absent/docker.sock'),
    runUserDir: path.join(dir, 'run/user'),
    podmanSocket: path.join(dir, 'absent/podman.sock'),
  });

  it('prints the chosen endpoint, its strategy, and every candidate with its status', async () => {
    const sock = path.join(dir, 'xdg/podman/podman.sock');
    server = await podmanLike(sock);
    const discovery = await discoverDockerEngine({ env: { XDG_RUNTIME_DIR: path.join(dir, 'xdg') }, paths: paths() });
    const text = formatDoctor([dockerEndpointCheck(discovery)]);
    expect(text.split('\n')).toEqual([
      `✓ docker endpoint: unix://${sock}, chosen by podman (rootless Podman's socket in XDG_RUNTIME_DIR; answers GET /_ping)`,
      '    - docker-host-env: skipped: DOCKER_HOST is unset',
      '    - docker-context: skipped: neither DOCKER_CONFIG nor HOME is set',
      `    - default-socket unix://${dir}/absent/docker.sock: skipped: does not exist`,
      `    - rootless unix://${dir}/xdg/docker.sock: skipped: does not exist`,
      `    - podman unix://${sock}: answered`,
      `    - podman unix://${dir}/absent/podman.sock: skipped: does not exist`,
      'all checks passed',
      '',
    ]);
  });

  it('runDoctorChecks reports the endpoint first, then whether that engine answers the API', async () => {
    const sock = path.join(dir, 'xdg/podman/podman.sock');
    server = await podmanLike(sock);
    const env = { XDG_RUNTIME_DIR: path.join(dir, 'xdg') };
    const config = {
      ...defaultWorkerConfig('doctor-test', env),
      orchestratorAddr: `unix://${dir}/no-orchestrator.sock`,
    };
    const checks = await runDoctorChecks(config, env, { discovery: { paths: paths() } });
    expect(checks[0]).toMatchObject({
      name: 'docker endpoint',
      ok: true,
      detail: expect.stringContaining('chosen by podman'),
    });
    expect(checks[0]?.lines).toContain(`podman unix://${sock}: answered`);
    expect(checks[1]).toMatchObject({ name: 'docker', ok: false });
    expect(checks[1]?.detail).toMatch(new RegExp(`^no Docker engine answers at unix://${sock}: `));
    expect(formatDoctor(checks)).toMatch(
      /^✓ docker endpoint: .*\n {4}- docker-host-env: skipped: DOCKER_HOST is unset\n/,
    );
  });
});
