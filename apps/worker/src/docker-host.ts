import type { DockerOptions } from 'dockerode';

/** dockerode options from `DOCKER_HOST` (`unix:///path`, `tcp://host:port`), read from the env we were given. */
export function dockerOptionsFromEnv(env: NodeJS.ProcessEnv): { options: DockerOptions; display: string } {
  const host = env['DOCKER_HOST'];
  if (host === undefined || host === '')
    return { options: { socketPath: '/var/run/docker.sock' }, display: 'unix:///var/run/docker.sock' };
  if (host.startsWith('unix://')) return { options: { socketPath: host.slice('unix://'.length) }, display: host };
  const m = /^tcp:\/\/([^:/]+):(\d+)/.exec(host);
  if (m) return { options: { host: m[1] as string, port: Number(m[2]), protocol: 'http' }, display: host };
  return { options: { socketPath: host }, display: host };
}
