import { resolve } from 'node:path';
import type { Policy, PolicyMode } from './model';
import { alwaysDeniedPaths } from './system-paths';

export interface DefaultPolicyOptions {
  /**
   * Host directories file tools may mount read-write (e.g. from the CLI's
   * `--workspace-root`). Nothing else on the host can be mounted.
   * @default []
   */
  workspaceRoots?: readonly string[];
  /** @default 'strict' */
  mode?: PolicyMode;
  /** Read for `DOCKER_HOST`, whose socket is denied too. @default process.env */
  env?: NodeJS.ProcessEnv;
}

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;

/**
 * The policy used when the operator configured none: safe for the seed's
 * tools. File tools may mount only the workspace roots; web tools may reach
 * public hosts on 80/443 only; no root, no capabilities, no swap.
 */
export function defaultPolicy(options: DefaultPolicyOptions = {}): Policy {
  // Relative roots (from a CLI flag) are relative to the working directory, as the operator meant them.
  const roots = (options.workspaceRoots ?? []).map((r) => resolve(r));
  return {
    id: 'default',
    name: 'baaaht default policy',
    mode: options.mode ?? 'strict',
    quotas: { max_cpus: 4_000_000_000, max_memory: 8 * GiB, max_memory_swap: 0, max_pids: 1024 },
    mounts: {
      allow_bind_mounts: roots.length > 0,
      mount_allowlist: [
        ...roots.map((path) => ({ path, mode: 'readwrite' as const })),
        ...alwaysDeniedPaths(options.env).map((path) => ({ path, mode: 'denied' as const })),
      ],
      allow_volumes: false,
      allow_tmpfs: true,
      max_tmpfs_size: 256 * MiB,
      protected_paths: ['.git'],
      allow_hardlinks: false,
    },
    network: {
      allow_network: true,
      allow_private: false,
      allow_host_network: false,
      allowed_ports: [80, 443],
    },
    images: { require_digest: false, allow_latest_tag: true },
    security: {
      allow_privileged: false,
      allow_root: false,
      require_non_root: true,
      allowed_capabilities: [],
      drop_capabilities: ['ALL'],
    },
  };
}
