import net from 'node:net';
import { classifyAddress } from './ip-classify';
import type { EgressDecision, EgressRequest } from './policy-enforcer';

/** Ports the built-in rules allow: plain and TLS HTTP. */
export const BUILTIN_EGRESS_PORTS: readonly number[] = Object.freeze([80, 443]);

/**
 * The rules used when no policy supplies `checkEgress`: ports 80/443 only, and only public unicast
 * addresses (no loopback, private, link-local incl. cloud metadata, CGNAT, multicast, reserved, or
 * IPv4-mapped forms of those). Host names pass the first check; their resolved addresses are checked.
 */
export function builtinEgressCheck(request: EgressRequest): EgressDecision {
  if (!BUILTIN_EGRESS_PORTS.includes(request.port)) {
    return { allowed: false, rule: 'egress.ports', reason: `port ${request.port} is not 80 or 443` };
  }
  const literal = request.address ?? (net.isIP(stripBrackets(request.host)) !== 0 ? request.host : undefined);
  if (literal === undefined)
    return { allowed: true, rule: 'egress.hostname', reason: 'host name; its addresses are checked next' };
  const cls = classifyAddress(literal);
  if (cls !== 'public') {
    return { allowed: false, rule: `egress.deny_${cls.replace('-', '_')}`, reason: `${literal} is a ${cls} address` };
  }
  return { allowed: true, rule: 'egress.public', reason: `${literal} is a public address` };
}

export function stripBrackets(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}
