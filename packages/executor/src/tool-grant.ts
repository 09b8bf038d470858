import type { NetworkNeed } from '@baaaht/tool-specs';
import type { OutputCaps } from './output-demux';
import type { ToolGrant } from './policy-enforcer';

/**
 * An opt-in tool's grant applied to the task (the resource limits are applied to the plan by the gate):
 * the network need it runs with, a timeout no longer than the grant's maximum, and per-stream output
 * caps no larger than the grant's. `caps` is tightened in place (it is the task's own copy).
 */
export function applyToolGrant(
  grant: ToolGrant | undefined,
  network: NetworkNeed,
  timeoutMs: number,
  caps: OutputCaps,
): { network: NetworkNeed; timeoutMs: number } {
  if (grant === undefined) return { network, timeoutMs };
  const positive = (n: number | undefined): n is number => typeof n === 'number' && Number.isFinite(n) && n > 0;
  if (positive(grant.maxOutputBytes)) {
    caps.maxStdoutBytes = Math.min(caps.maxStdoutBytes, grant.maxOutputBytes);
    caps.maxStderrBytes = Math.min(caps.maxStderrBytes, grant.maxOutputBytes);
    // Head+tail gives each stream half the combined cap: the grant's per-stream cap must survive it.
    caps.maxOutputBytes = Math.min(caps.maxOutputBytes, 2 * grant.maxOutputBytes);
  }
  return {
    network: grant.network ?? network,
    timeoutMs: positive(grant.maxTimeoutMs) ? Math.min(timeoutMs, Math.round(grant.maxTimeoutMs)) : timeoutMs,
  };
}
