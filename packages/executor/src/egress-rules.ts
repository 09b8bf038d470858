import { classifyAddress, classifyHost, describeVerdict } from '@baaaht/policy';
import type { EgressDecision, EgressRequest } from './policy-enforcer';

/** Ports the built-in rules allow: plain and TLS HTTP. */
export const BUILTIN_EGRESS_PORTS: readonly number[] = Object.freeze([80, 443]);

const snake = (s: string): string => s.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/**
 * The rules used when no policy supplies `checkEgress`: ports 80/443 only, and only what the one
 * classifier in `@baaaht/policy` calls `public` (no loopback, private, link-local incl. cloud metadata,
 * CGNAT, documentation, reserved, multicast, nor any IPv6 form embedding one of those). Reserved names
 * (`localhost`, `*.internal`, metadata names) and unparsable hosts are refused; other names pass the
 * first check and each resolved address is checked next.
 */
export function builtinEgressCheck(request: EgressRequest): EgressDecision {
  if (!BUILTIN_EGRESS_PORTS.includes(request.port)) {
    return { allowed: false, rule: 'egress.ports', reason: `port ${request.port} is not 80 or 443` };
  }
  const verdict = request.address !== undefined ? classifyAddress(request.address) : classifyHost(request.host);
  if (verdict.kind === 'invalid') return { allowed: false, rule: 'egress.invalid', reason: describeVerdict(verdict) };
  if (verdict.kind === 'name') {
    if (verdict.class !== undefined)
      return { allowed: false, rule: `egress.deny_${snake(verdict.class)}`, reason: describeVerdict(verdict) };
    return { allowed: true, rule: 'egress.hostname', reason: 'host name; its addresses are checked next' };
  }
  if (verdict.class !== 'public')
    return { allowed: false, rule: `egress.deny_${snake(verdict.class)}`, reason: describeVerdict(verdict) };
  return { allowed: true, rule: 'egress.public', reason: describeVerdict(verdict) };
}
