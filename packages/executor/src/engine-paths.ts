import { alwaysDeniedPaths, exposedDeniedPath } from '@baaaht/policy';

/**
 * The executor's own floor under any policy (or none): a workspace may never be, contain or sit inside a
 * system path or the engine's state and sockets (`/var/lib/docker`, `/run/containerd`, the `DOCKER_HOST`
 * socket...). Returns why a mount of `source` (a real path) is refused, or undefined.
 */
export function engineMountDenial(source: string, env: NodeJS.ProcessEnv): string | undefined {
  const hit = exposedDeniedPath(source, alwaysDeniedPaths(env));
  if (hit === undefined) return undefined;
  return hit === source || source.startsWith(`${hit}/`)
    ? `mounting '${source}' is never allowed: it is inside the always-denied system path '${hit}'`
    : `mounting '${source}' is never allowed: it would expose the always-denied system path '${hit}'`;
}
