import { policyForTool } from './merge-policies';
import type { Policy } from './model';

/** One runtime the policy requires, and where: `security.runtime` or `tools.<name>.security.runtime`. */
export interface RequiredRuntime {
  runtime: string;
  /** The setting that asks for it. */
  setting: string;
  /** The tool it applies to; absent for the global setting (every tool without its own). */
  tool?: string;
}

/**
 * Every runtime the policy requires, for `worker doctor` and the worker's start-up check: the global one,
 * then each tool whose section leaves it a different runtime after the merge.
 */
export function requiredRuntimes(policy: Policy): RequiredRuntime[] {
  const out: RequiredRuntime[] = [];
  const global = policy.security?.runtime;
  if (global !== undefined) out.push({ runtime: global, setting: 'security.runtime' });
  for (const tool of Object.keys(policy.tools ?? {}).sort()) {
    const runtime = policyForTool(policy, tool).security?.runtime;
    if (runtime !== undefined && runtime !== global)
      out.push({ runtime, setting: `tools.${tool}.security.runtime`, tool });
  }
  return out;
}
