/**
 * The one JSON Schema for policy files (draft 2020-12). ajv compiles it (in strict
 * mode, `schema-validate.ts`), so editors and this package can never disagree about
 * what a valid file is; checks a schema cannot express (CIDR syntax, min <= max)
 * live in `policy-checks.ts`.
 */

export interface PolicySchemaNode {
  $schema?: string;
  $id?: string;
  title?: string;
  description?: string;
  type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';
  properties?: Record<string, PolicySchemaNode>;
  additionalProperties?: boolean | PolicySchemaNode;
  required?: readonly string[];
  items?: PolicySchemaNode;
  enum?: readonly (string | number | boolean)[];
  const?: string | number | boolean;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  pattern?: string;
}

/** A `mounts.protected_paths` entry: relative, no `..` segment, no NUL. */
export const PROTECTED_PATH_PATTERN = '^(?!/)(?!(.*/)?\\.\\.(/|$))[^\\u0000]+$';

const strings = (description: string): PolicySchemaNode => ({
  type: 'array',
  items: { type: 'string', minLength: 1 },
  description,
});
const integers = (description: string, minimum = 0): PolicySchemaNode => ({
  type: 'array',
  items: { type: 'integer', minimum },
  description,
});
const bool = (description: string): PolicySchemaNode => ({ type: 'boolean', description });
const int = (description: string, minimum = 0): PolicySchemaNode => ({ type: 'integer', minimum, description });
const section = (properties: Record<string, PolicySchemaNode>, description: string): PolicySchemaNode => ({
  type: 'object',
  additionalProperties: false,
  properties,
  description,
});

const quotas = section(
  {
    max_cpus: int('Maximum CPU in nano-CPUs (1000000000 = one core).', 1),
    min_cpus: int('Minimum CPU in nano-CPUs.'),
    max_memory: int('Maximum memory in bytes.', 1),
    min_memory: int('Minimum memory in bytes.'),
    max_memory_swap: int('Maximum memory + swap in bytes; 0 = no swap, -1 = unlimited.', -1),
    max_pids: int('Maximum number of processes.', 1),
    min_pids: int('Minimum process limit.'),
  },
  'Resource quotas; requests above a maximum are denied (strict) or clamped (permissive).',
);

const mountAllowlistEntry: PolicySchemaNode = {
  type: 'object',
  additionalProperties: false,
  required: ['path', 'mode'],
  properties: {
    path: { type: 'string', pattern: '^/', description: 'Absolute host path; `*` matches one path segment.' },
    user: { type: 'string', minLength: 1, description: 'User name the entry applies to (exclusive with group).' },
    group: { type: 'string', minLength: 1, description: 'Group name the entry applies to (exclusive with user).' },
    mode: { type: 'string', enum: ['readonly', 'readwrite', 'denied'] },
  },
};

const mounts = section(
  {
    allow_bind_mounts: bool('Whether host directories may be bind-mounted at all.'),
    allowed_bind_sources: strings('Legacy: host path globs that may be mounted (used when mount_allowlist is empty).'),
    denied_bind_sources: strings('Legacy: host path globs that may never be mounted.'),
    allow_volumes: bool('Whether named volumes may be used.'),
    allowed_volumes: strings('Volume name globs.'),
    denied_volumes: strings('Volume name globs that are never allowed.'),
    allow_tmpfs: bool('Whether a tmpfs may be mounted.'),
    max_tmpfs_size: int('Maximum tmpfs size in bytes.'),
    enforce_read_only_rootfs: bool('Containers must have a read-only root filesystem.'),
    mount_allowlist: { type: 'array', items: mountAllowlistEntry, description: 'Per-user/group host path allowlist.' },
    protected_paths: {
      type: 'array',
      items: {
        type: 'string',
        // Non-empty, relative (no leading `/`), no `..` segment, no NUL.
        pattern: PROTECTED_PATH_PATTERN,
        description: 'A path relative to the workspace root, without `..`.',
      },
      description:
        'Workspace paths tools may never write: mounted read-only in the container and refused by file_write/file_edit. Default [".git"]; [] protects nothing.',
    },
    allow_hardlinks: bool(
      'Whether file tools may read or write a regular file with more than one hard link (it may be an inode from outside the workspace).',
    ),
  },
  'Mount policy.',
);

const network = section(
  {
    allow_network: bool('Whether containers may have network access (through the egress proxy).'),
    allowed_networks: strings('CIDRs egress may reach; an explicit entry also admits private ranges.'),
    denied_networks: strings('CIDRs egress may never reach.'),
    allow_host_network: bool('Host networking; never used by the executor.'),
    allowed_hosts: strings('Host patterns egress may reach, e.g. `*.example.com`; empty = any.'),
    denied_hosts: strings('Host patterns egress may never reach.'),
    allowed_ports: {
      type: 'array',
      items: { type: 'integer', minimum: 1, maximum: 65535 },
      description: 'Destination ports egress may use (1 to 65535); empty = any.',
    },
    allow_private: bool('Whether loopback/private/link-local/metadata targets may be reached.'),
  },
  'Network and egress policy.',
);

const images = section(
  {
    allowed_images: strings('Image reference globs; empty = any.'),
    denied_images: strings('Image reference globs that are never allowed.'),
    require_digest: bool('Images must be pinned by digest.'),
    allow_latest_tag: bool('Whether `:latest` (or no tag) is allowed.'),
  },
  'Image policy.',
);

const security = section(
  {
    allow_privileged: { type: 'boolean', const: false, description: 'Privileged containers are never allowed.' },
    allowed_capabilities: strings('Capabilities a request may add.'),
    add_capabilities: strings('Capabilities added to every container.'),
    drop_capabilities: strings('Capabilities dropped from every container.'),
    allow_root: bool('Whether containers may run as root.'),
    require_non_root: bool('Containers must run as a non-root user.'),
    allowed_uids: integers('UIDs containers may run as; empty = any non-root.'),
    allowed_gids: integers('GIDs containers may run as; empty = any.'),
    read_only_rootfs: bool('Containers must have a read-only root filesystem.'),
    runtime: {
      type: 'string',
      pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]*$',
      description:
        'OCI runtime containers must use, as registered with the Docker engine (runsc: gVisor); the task is refused when the engine lacks it. Sections may move a tool to gVisor, never off it.',
    },
  },
  'Process security policy.',
);

const toolLimits = section(
  {
    max_timeout_seconds: { type: 'integer', minimum: 1, description: 'Longest timeout of one call, in seconds.' },
    max_cpus: { type: 'integer', minimum: 1, description: 'CPUs of one call, in nano-CPUs (1e9 = one core).' },
    max_memory: { type: 'integer', minimum: 1, description: 'Memory of one call, in bytes.' },
    max_pids: { type: 'integer', minimum: 1, description: 'Processes of one call.' },
    max_output_bytes: {
      type: 'integer',
      minimum: 2,
      description: 'Output kept per stream, in bytes (head and tail halves).',
    },
  },
  'Opt-in tools (exec) only: the most one call gets; each only lowers the tool default.',
);

const toolPolicy = section(
  {
    disabled: bool('The tool may not run at all.'),
    enabled: bool('Opt-in tools (exec) only: the tool runs only when true, in every mode. Default false.'),
    limits: toolLimits,
    network_access: {
      type: 'string',
      enum: ['none', 'egress'],
      description:
        'Opt-in tools (exec) only: none (default), or egress through the egress proxy under the network rules.',
    },
    quotas,
    mounts,
    network,
    images,
    security,
  },
  'Per-tool override; only tightens the global policy.',
);

/** JSON Schema for policy files; publish it so editors can check policy files as they are written. */
export const policyJsonSchema: PolicySchemaNode = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'https://baaaht.dev/schemas/policy.json',
  title: 'baaaht policy',
  type: 'object',
  additionalProperties: false,
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    description: { type: 'string' },
    mode: { type: 'string', enum: ['strict', 'permissive', 'disabled'] },
    labels: { type: 'object', additionalProperties: { type: 'string' } },
    quotas,
    mounts,
    network,
    images,
    security,
    tools: { type: 'object', additionalProperties: toolPolicy, description: 'Overrides by tool name.' },
  },
};
