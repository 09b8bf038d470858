/**
 * The contract between the catalog and whatever runs it (the executor).
 * A tool never hands model input to a shell: it turns validated parameters
 * into argv arrays (and stdin bytes), one container run per command.
 */

/** A JSON Schema object as used for tool parameters (draft 2020-12 subset). */
export interface JsonSchema {
  type?: 'object' | 'string' | 'integer' | 'number' | 'boolean' | 'array' | 'null';
  description?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  /** `false` refuses unknown keys; a schema validates the value of every key not in `properties` (a map). */
  additionalProperties?: boolean | JsonSchema;
  /** A schema every key of the object must match (as a string), e.g. `{ pattern: '^[A-Z_]+$' }`. */
  propertyNames?: JsonSchema;
  maxProperties?: number;
  items?: JsonSchema;
  enum?: readonly (string | number | boolean)[];
  default?: unknown;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  pattern?: string;
  format?: string;
  [keyword: `x-${string}`]: unknown;
}

/**
 * JSON Schema (draft 2020-12) of a tool's structured result (`structured` on the executor's result,
 * MCP's `outputSchema`). Plain JSON Schema, wider than `JsonSchema` (a `type` list for nullable fields):
 * it describes what the tool returns and is never used to validate model input.
 */
export interface OutputSchema {
  type?: NonNullable<JsonSchema['type']> | readonly NonNullable<JsonSchema['type']>[];
  description?: string;
  properties?: Record<string, OutputSchema>;
  required?: readonly string[];
  additionalProperties?: boolean | OutputSchema;
  items?: OutputSchema;
  enum?: readonly (string | number | boolean)[];
  minimum?: number;
  pattern?: string;
}

/** Whether a tool needs the network. `egress` means only through the worker's egress proxy. */
export type NetworkNeed = 'none' | 'egress';

/** How the workspace is mounted at `/workspace`. */
export type WorkspaceAccess = 'none' | 'readonly' | 'readwrite';

/** Resource limits of one tool container. */
export interface ToolResources {
  /** Average CPUs, e.g. `0.1`. */
  cpus: number;
  /** Memory limit in bytes (swap is set equal: no swap). */
  memoryBytes: number;
  /** Maximum number of processes. */
  pidsLimit: number;
}

/** One process to run in a fresh container. */
export interface ToolCommand {
  /** Program and arguments; argv[0] is looked up on the image's PATH. Never a shell. */
  argv: string[];
  /** Bytes written to the process's stdin, then stdin is closed. Content travels here, never in argv. */
  stdin?: string | Uint8Array;
  /** Exit codes that mean success. @default [0] */
  successExitCodes?: number[];
  /** Extra environment variables (values are data, never evaluated). */
  env?: Record<string, string>;
}

/** What the runner reports back for one command. */
export interface CommandResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  /** True when output was cut at the runner's byte caps. */
  truncated: boolean;
  /** Bytes of each stream the runner's caps dropped, when the runner counts them (the executor does). */
  droppedBytes?: { stdout: number; stderr: number };
}

/**
 * How the runner caps a stream that prints more than its byte cap. `head`: keep the first bytes (every
 * tool's default). `head-tail`: keep the first half and the last half of the cap and drop the middle,
 * so the end of a long build log (where the error is) survives.
 */
export type OutputCapMode = 'head' | 'head-tail';

/** Facts the runner supplies when a tool plans its commands. */
export interface ToolContext {
  /** Where the workspace is mounted in the container. @default '/workspace' */
  workspaceDir: string;
  /**
   * For `network: 'egress'` tools: the proxy URL curl must use, e.g.
   * `socks5h://localhost/run/baaaht/egress.sock` (a Unix socket mounted into the container).
   */
  egressProxy?: string;
  /** Base URL of the web_search backend (a SearXNG-compatible JSON endpoint). */
  searchBackendUrl?: string;
  /**
   * File tools refuse, inside the container, to read or write a regular file with more than one hard
   * link (it may be an inode from outside the workspace). True turns that check off.
   * @default false
   */
  allowHardlinks?: boolean;
}

/** A workspace file a call reads or writes, declared so the runner can check it on the host first. */
export interface WorkspaceTarget {
  /** The parameter value as the model sent it (validated: relative to the workspace, or under `/workspace`). */
  path: string;
  access: 'read' | 'write';
}

/** Runs one command in a fresh container with the tool's limits. Used by multi-step tools. */
export type RunCommand = (command: ToolCommand) => Promise<CommandResult>;

/** The final outcome of a multi-step tool, as if it had been one command. */
export interface ToolRunOutcome extends CommandResult {
  /** A tool-level failure (e.g. old_string not found) with a stable code, even when exitCode is 0. */
  error?: { code: string; message: string };
  /**
   * The structured result, when `run()` already parsed the raw output (find, list, grep: grep parses
   * NUL-framed output, then prints lines for the model): the runner uses it instead of calling
   * `parseOutput` on the post-processed stdout.
   */
  structured?: unknown;
}

/** One problem found in a tool call's parameters. `path` is a JSON Pointer (`/path`, `/max_results`; `''` is the whole object). */
export interface ParamIssue {
  path: string;
  message: string;
}

/** Everything needed to describe, validate and run one tool. */
export interface ToolSpec<P extends Record<string, unknown> = Record<string, unknown>> {
  /** Stable identifier used on the wire, e.g. `file_read`. */
  name: string;
  /** Human-readable name, e.g. `Read file`. */
  displayName: string;
  /** Written for a model: what the tool does and when to use it. */
  description: string;
  /** Semantic version of this spec (argv/output contract). */
  version: string;
  /** JSON Schema of the parameters (`type: 'object'`). */
  parameters: JsonSchema;
  /** Default image; operators override per tool. */
  image: string;
  /**
   * Programs the image must have on its PATH: every argv[0] this tool runs and every external command
   * its constant scripts call (the worker checks an image for them before offering the tool).
   * @default [] (nothing is checked)
   */
  programs?: readonly string[];
  workspace: WorkspaceAccess;
  network: NetworkNeed;
  /** Root filesystem read-only (a small tmpfs is mounted at /tmp). */
  readOnlyRootfs: boolean;
  resources: ToolResources;
  /** Default whole-task timeout. */
  timeoutMs: number;
  /** Single-command tools: the command for validated parameters. */
  command(params: P, ctx: ToolContext): ToolCommand;
  /**
   * Multi-step tools (e.g. file_edit: read, replace in TypeScript, write back):
   * when present the runner calls this instead of running `command` once.
   */
  run?(params: P, ctx: ToolContext, exec: RunCommand): Promise<ToolRunOutcome>;
  /**
   * The workspace files this call touches (file_read: its path, read; file_write/file_edit: written).
   * The runner checks them on the host before any container exists (protected paths, hard links).
   */
  workspaceTargets?(params: P): WorkspaceTarget[];
  /**
   * The JSON Schema of the call's structured result, for tools that have one (grep matches, find and list
   * entries, web_search results, file_edit's replacement count, exec's exit): every completed call's
   * `structured` validates against it. Exported as MCP's `outputSchema`. @default none (no structured result)
   */
  outputSchema?: OutputSchema;
  /** Structured result from the raw output (e.g. web_search items). */
  parseOutput?(result: CommandResult, params: P): unknown;
  /** Legacy raw `args` (the seed's TaskConfig.Args) to parameters, through an allowlist. */
  fromArgs?(args: readonly string[]): P;
  /**
   * Checks the JSON Schema cannot express (cross-field rules, URL schemes). Runs after the schema
   * checks passed and defaults were applied; returns problems, never throws.
   */
  validateParams?(params: P): ParamIssue[];
  /** How output past the byte caps is cut. @default 'head' */
  outputCap?: OutputCapMode;
  /**
   * An opt-in tool names the policy setting that must enable it (exec: `tools.exec.enabled`). The runner
   * refuses the tool unless its policy enables it, and the worker does not offer it otherwise.
   * @default none (the tool is available without opting in)
   */
  enabledBy?: string;
  /**
   * The call's own timeout parameter in milliseconds (exec's `timeout_seconds`), when it has one: the
   * runner uses it as the task's timeout unless the request sets a shorter one.
   * @default none (the request's timeout, else `timeoutMs`)
   */
  timeoutMsOf?(params: P): number | undefined;
  /**
   * Upper bound on the serialised (JSON, UTF-8) size of one call's parameters.
   * @default 1048576 (1 MiB)
   */
  maxParamsBytes?: number;
}
