/**
 * The policy model. Keys are snake_case because they are the file format
 * (the seed's `policies.yaml` and `mount_policy.yaml` load unchanged); every
 * field is optional and `undefined` means "not set" so that merging can tell
 * "the session did not say" from "the session said false".
 */

/** strict: deny on any error. permissive: deny only on hard rules, clamp the rest. disabled: allow, but audit. */
export type PolicyMode = 'strict' | 'permissive' | 'disabled';

export type MountAccessMode = 'readonly' | 'readwrite' | 'denied';

/** CPU values are nano-CPUs (1e9 = one core), memory values are bytes, as in the seed. */
export interface QuotaPolicy {
  max_cpus?: number;
  min_cpus?: number;
  max_memory?: number;
  min_memory?: number;
  /** Cap on memory + swap in bytes; 0 = no swap at all, -1 = unlimited. */
  max_memory_swap?: number;
  max_pids?: number;
  min_pids?: number;
}

/** One allowlist entry. `user` and `group` are mutually exclusive; neither means "everyone". */
export interface MountAllowlistEntry {
  /** Absolute host path; `*` matches one path segment (`/home/*\/projects`). */
  path: string;
  user?: string;
  group?: string;
  mode: MountAccessMode;
}

export interface MountPolicy {
  allow_bind_mounts?: boolean;
  /** Legacy globs, used only when `mount_allowlist` is empty. Empty = any path not denied. */
  allowed_bind_sources?: string[];
  denied_bind_sources?: string[];
  allow_volumes?: boolean;
  allowed_volumes?: string[];
  denied_volumes?: string[];
  allow_tmpfs?: boolean;
  max_tmpfs_size?: number;
  enforce_read_only_rootfs?: boolean;
  /** When non-empty it alone decides which host paths may be mounted, and how. */
  mount_allowlist?: MountAllowlistEntry[];
  /**
   * Paths relative to the workspace root that tools may never write (mounted read-only inside the
   * container, refused by file_write/file_edit): commands git runs on the host live in `.git`.
   * Unset: the executor's own list (`['.git']`). `[]` protects nothing.
   */
  protected_paths?: string[];
  /**
   * Whether file tools may read or write a regular file with more than one hard link (such a file
   * may be an inode from outside the workspace). Unset: the executor's option (false).
   */
  allow_hardlinks?: boolean;
}

export interface NetworkPolicy {
  allow_network?: boolean;
  /** CIDRs egress may reach; empty = any (subject to `allow_private`). An explicit entry also admits private ranges. */
  allowed_networks?: string[];
  /** CIDRs egress may never reach; wins over everything. */
  denied_networks?: string[];
  allow_host_network?: boolean;
  /** Host name patterns (`*.example.com`) egress may reach; empty = any. */
  allowed_hosts?: string[];
  denied_hosts?: string[];
  /** Destination ports; empty = any. */
  allowed_ports?: number[];
  /** Whether loopback, private, link-local, CGNAT, ULA, multicast... targets may be reached at all. */
  allow_private?: boolean;
}

export interface ImagePolicy {
  allowed_images?: string[];
  denied_images?: string[];
  require_digest?: boolean;
  allow_latest_tag?: boolean;
}

export interface SecurityPolicy {
  /** Accepted for seed compatibility; must be false: privileged containers are never allowed. */
  allow_privileged?: boolean;
  /** Capabilities a request may add (`CAP_` prefix optional). Empty = none. */
  allowed_capabilities?: string[];
  /** Added to every container. */
  add_capabilities?: string[];
  /** Dropped from every container. */
  drop_capabilities?: string[];
  allow_root?: boolean;
  require_non_root?: boolean;
  allowed_uids?: number[];
  allowed_gids?: number[];
  read_only_rootfs?: boolean;
  /**
   * The OCI runtime containers must use (`runsc`: gVisor), as registered with the Docker engine. The
   * executor refuses the task (RUNTIME_UNAVAILABLE) when the engine does not have it, never falling back.
   * A session or tool section may move a tool to gVisor, never off it. Unset: the worker's `--runtime`.
   */
  runtime?: string;
}

/**
 * An opt-in tool's own limits (`tools.exec.limits`): the most one call gets. Each only lowers the tool's
 * default (exec: 60 s, 1 CPU, 512 MiB, 64 pids, 1 MiB per stream); a call asking more is shortened to it.
 */
export interface ToolLimits {
  max_timeout_seconds?: number;
  /** Nano-CPUs, as in `quotas`. */
  max_cpus?: number;
  /** Bytes. */
  max_memory?: number;
  max_pids?: number;
  /** Per-stream output cap in bytes (exec keeps its first and last halves). */
  max_output_bytes?: number;
}

/** Per-tool override: disable the tool, or tighten any section for it alone. */
export interface ToolPolicy {
  disabled?: boolean;
  /**
   * Opt-in tools only (exec): the tool runs only when this is true, in every mode. Unset: false.
   * A session policy can withdraw it, never give it.
   */
  enabled?: boolean;
  /** Opt-in tools only: their own limits. */
  limits?: ToolLimits;
  /**
   * Opt-in tools only: `none` (the default) or `egress`, through the worker's egress proxy under the
   * `network` rules (exec: curl via ALL_PROXY; nothing else reaches out).
   */
  network_access?: 'none' | 'egress';
  quotas?: QuotaPolicy;
  mounts?: MountPolicy;
  network?: NetworkPolicy;
  images?: ImagePolicy;
  security?: SecurityPolicy;
}

export interface Policy {
  id?: string;
  name?: string;
  description?: string;
  mode?: PolicyMode;
  labels?: Record<string, string>;
  quotas?: QuotaPolicy;
  mounts?: MountPolicy;
  network?: NetworkPolicy;
  images?: ImagePolicy;
  security?: SecurityPolicy;
  tools?: Record<string, ToolPolicy>;
}

export type Severity = 'error' | 'warning';

/** One broken rule. `hard` rules deny even in permissive mode. */
export interface Violation {
  /** Dotted rule name, e.g. `mounts.mount_allowlist`, `security.privileged`. */
  rule: string;
  message: string;
  severity: Severity;
  hard: boolean;
}
