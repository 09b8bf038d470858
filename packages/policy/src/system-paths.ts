import path from 'node:path';

/**
 * Host paths that no mount may expose, whatever the operator or a policy file says: host configuration and
 * kernel interfaces, and the container engine's own state and control sockets (a tool that can reach
 * those owns the host).
 */
export const ALWAYS_DENIED_PATHS: readonly string[] = Object.freeze([
  '/etc',
  '/proc',
  '/sys',
  '/dev',
  '/boot',
  '/root',
  '/var/run/docker.sock',
  '/run/docker.sock',
  '/var/run/docker',
  '/run/docker',
  '/var/lib/docker',
  '/var/lib/containerd',
  '/run/containerd',
  '/var/run/containerd',
]);

/** The always-denied paths plus the Docker socket `DOCKER_HOST` points at (when it is a Unix socket). */
export function alwaysDeniedPaths(env: NodeJS.ProcessEnv = process.env): string[] {
  const paths = [...ALWAYS_DENIED_PATHS];
  const host = env.DOCKER_HOST;
  if (host !== undefined && host.startsWith('unix://')) {
    const socket = host.slice('unix://'.length);
    if (path.isAbsolute(socket)) paths.push(path.normalize(socket));
  }
  return paths;
}

/**
 * The always-denied path a mount of `source` (a real, absolute path) would expose, or undefined. A mount
 * exposes a denied path when it is that path, inside it, or one of its ancestors (`/`, `/var`).
 */
export function exposedDeniedPath(source: string, denied: readonly string[]): string | undefined {
  const inside = (child: string, parent: string): boolean =>
    child === parent || child.startsWith(parent === '/' ? '/' : `${parent}/`);
  const src = path.normalize(source);
  return denied.find((d) => inside(src, d) || inside(d, src));
}
