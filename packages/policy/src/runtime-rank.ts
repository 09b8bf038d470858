/**
 * `security.runtime`: the OCI runtime a tool's containers must use (`runsc` for gVisor). The policy
 * owns the choice, as it owns `protected_paths`, so setting it is no violation; what it may never do is
 * weaken isolation. gVisor runtimes rank above every other, so a session or a tool section may move a
 * tool to gVisor and never off it, and the enforcer never hands back a runtime weaker than the one the
 * executor asked for.
 */

/** True for gVisor runtimes (`runsc`, and names like `runsc-kvm` or `gvisor` an operator registers). */
export function isGvisorRuntime(runtime: string): boolean {
  return /runsc|gvisor/i.test(runtime);
}

const rank = (runtime: string): number => (isGvisorRuntime(runtime) ? 1 : 0);

/** The runtime a container gets: the policy's, unless it would be weaker than the one asked for. */
export function enforcedRuntime(asked: string | undefined, policy: string | undefined): string | undefined {
  if (policy === undefined) return asked;
  if (asked === undefined) return policy;
  return rank(policy) >= rank(asked) ? policy : asked;
}

/**
 * Merges a tightening section's runtime into the global one: the section's, when the global sets none
 * or the section's is gVisor and the global's is not. Returns whether the section's value was dropped.
 */
export function mergeRuntime(
  global: string | undefined,
  section: string | undefined,
): { runtime: string | undefined; dropped: boolean } {
  if (section === undefined || section === global) return { runtime: global, dropped: false };
  if (global === undefined || rank(section) > rank(global)) return { runtime: section, dropped: false };
  return { runtime: global, dropped: true };
}
