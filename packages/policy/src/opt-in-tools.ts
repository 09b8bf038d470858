import type { Policy } from './model';

/**
 * Tools that run only when the policy enables them (`tools.<name>.enabled: true`), in every mode: they
 * run what a model writes as a command (exec). Everything else keeps the seed's no-shell default.
 */
export const OPT_IN_TOOLS: readonly string[] = Object.freeze(['exec']);

export const isOptInTool = (tool: string): boolean => OPT_IN_TOOLS.includes(tool);

/** What the policy grants an opt-in tool, in the executor's units (its `ToolGrant`); undefined for other tools. */
export interface OptInGrant {
  enabled: boolean;
  maxTimeoutMs?: number;
  maxOutputBytes?: number;
  cpus?: number;
  memoryBytes?: number;
  pidsLimit?: number;
  network: 'none' | 'egress';
}

/** The grant of `tool` under `policy`: disabled unless `tools.<tool>.enabled` is true (and the tool is not disabled). */
export function optInGrant(policy: Policy, tool: string): OptInGrant | undefined {
  if (!isOptInTool(tool)) return undefined;
  const t = policy.tools?.[tool];
  const grant: OptInGrant = {
    enabled: t?.enabled === true && t.disabled !== true,
    network: t?.network_access === 'egress' ? 'egress' : 'none',
  };
  const l = t?.limits ?? {};
  if (l.max_timeout_seconds !== undefined) grant.maxTimeoutMs = l.max_timeout_seconds * 1000;
  if (l.max_output_bytes !== undefined) grant.maxOutputBytes = l.max_output_bytes;
  if (l.max_cpus !== undefined) grant.cpus = l.max_cpus / 1e9;
  if (l.max_memory !== undefined) grant.memoryBytes = l.max_memory;
  if (l.max_pids !== undefined) grant.pidsLimit = l.max_pids;
  return grant;
}
