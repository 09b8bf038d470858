import { mountPinRefusal, runtimeRegistrationHint } from '@baaaht/executor';
import { enforcedRuntime, policyForTool } from '@baaaht/policy';
import type { Policy, PolicyMode } from '@baaaht/policy';
import type { ToolSpec } from '@baaaht/tool-specs';

/** Where a tool's runtime comes from: its own section, or the global setting. */
function runtimeSetting(policy: Policy, tool: string, runtime: string): string {
  return policy.tools?.[tool]?.security?.runtime === runtime ? `tools.${tool}.security.runtime` : 'security.runtime';
}

/**
 * The tools their runtime (the policy's `security.runtime`, else `--runtime`) keeps from running on this
 * engine, each with why and how to fix it: a runtime the engine does not have (every call would be refused
 * with RUNTIME_UNAVAILABLE), or a workspace tool under gVisor on an engine that cannot mount the worker's held
 * descriptors (MOUNT_PIN_UNAVAILABLE; `descriptorProblem` says why, per runtime). The worker does not offer them. Judged when the
 * worker starts, like opt-in tools: a reload that requires a missing runtime refuses at once, offering a
 * tool again takes a restart. A `disabled` policy changes no runtime.
 */
export function runtimeUnavailableTools(
  specs: readonly Pick<ToolSpec, 'name' | 'workspace'>[],
  policy: { policy: Policy; mode: PolicyMode },
  workerRuntime: string,
  engineRuntimes: readonly string[],
  /** The executor's descriptor-mount probe answer for a gVisor runtime (undefined: it works). */
  descriptorProblem: (runtime: string) => string | undefined = () => undefined,
): Map<string, string> {
  const out = new Map<string, string>();
  for (const spec of specs) {
    // A disabled policy changes no runtime; the worker's own still counts.
    const asked = policy.mode === 'disabled' ? undefined : policyForTool(policy.policy, spec.name).security?.runtime;
    const runtime = enforcedRuntime(workerRuntime, asked) ?? workerRuntime;
    const setting =
      runtime === workerRuntime ? '--runtime' : `policy ${runtimeSetting(policy.policy, spec.name, runtime)}`;
    // The worker's own runtime is registered: the executor would not have opened otherwise.
    if (runtime !== workerRuntime && !engineRuntimes.includes(runtime)) {
      out.set(
        spec.name,
        `${spec.name} must run under OCI runtime '${runtime}' (${setting}), which the Docker engine does not ` +
          `have (it has: ${engineRuntimes.join(', ') || 'none'}); to register it, ${runtimeRegistrationHint(runtime)}`,
      );
      continue;
    }
    const unpinnable =
      spec.workspace === 'none' ? undefined : mountPinRefusal(spec.name, runtime, descriptorProblem(runtime));
    if (unpinnable !== undefined) out.set(spec.name, `${unpinnable} (${setting})`);
  }
  return out;
}
