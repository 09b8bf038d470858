import type { EgressDecision, EgressRequest } from './contract';
import { addressForms, cidrContains, classifyNonPublic, parseCidr, parseIp, type Cidr, type IpAddress } from './ip';
import type { NetworkPolicy } from './model';
import { hostMatches, normalizeHost } from './patterns';

const deny = (rule: string, reason: string): EgressDecision => ({ allowed: false, rule, reason });

const cidrs = (list: string[] | undefined): Cidr[] =>
  (list ?? []).map(parseCidr).filter((c): c is Cidr => c !== undefined);

/** Hosts like `2130706433` or `0x7f.1` that resolvers turn into IPs but `net.isIP` does not recognise. */
function looksLikeNumericHost(host: string): boolean {
  return /^(0x[0-9a-f]+|\d+)(\.(0x[0-9a-f]+|\d+)){0,3}$/i.test(host);
}

function checkAddress(ip: IpAddress, text: string, net: NetworkPolicy): EgressDecision | undefined {
  const forms = addressForms(ip);
  const denied = cidrs(net.denied_networks).find((c) => forms.some((f) => cidrContains(c, f)));
  if (denied) return deny('network.denied_networks', `${text} is in a denied network`);
  const allowList = cidrs(net.allowed_networks);
  const explicitlyAllowed = allowList.some((c) => forms.some((f) => cidrContains(c, f)));
  if (allowList.length > 0 && !explicitlyAllowed)
    return deny('network.allowed_networks', `${text} is not in an allowed network`);
  const kind = classifyNonPublic(ip);
  // An explicit CIDR allow is the operator's word that this internal range is fine.
  if (kind && net.allow_private !== true && !explicitlyAllowed)
    return deny('network.deny_private', `${text} is ${kind}, not a public address`);
  return undefined;
}

/**
 * One egress decision. Called by name before resolution (no `address`) and
 * again with the resolved address, so DNS answers pointing at internal
 * addresses are caught on the second call.
 */
export function evaluateEgress(req: EgressRequest, net: NetworkPolicy): EgressDecision {
  if (net.allow_network === false) return deny('network.allow_network', 'network access is not allowed');
  const host = normalizeHost(req.host);
  if (!host) return deny('network.host', 'empty host');
  const ports = net.allowed_ports ?? [];
  if (!Number.isInteger(req.port) || req.port < 1 || req.port > 65535)
    return deny('network.port', `invalid port ${req.port}`);
  if (ports.length > 0 && !ports.includes(req.port))
    return deny('network.allowed_ports', `port ${req.port} is not allowed`);
  const deniedHost = net.denied_hosts?.find((p) => hostMatches(p, host));
  if (deniedHost) return deny('network.denied_hosts', `${host} matches denied host ${deniedHost}`);

  const literal = parseIp(host);
  if (!literal && looksLikeNumericHost(host))
    return deny('network.host', `${host} looks like a numeric IP in a non-standard form`);
  const allowedHosts = net.allowed_hosts ?? [];
  if (allowedHosts.length > 0 && !allowedHosts.some((p) => hostMatches(p, host))) {
    const cidrAllowed = literal && cidrs(net.allowed_networks).some((c) => cidrContains(c, literal));
    if (!cidrAllowed) return deny('network.allowed_hosts', `${host} matches no allowed host`);
  }
  if (literal) {
    const d = checkAddress(literal, host, net);
    if (d) return d;
  }
  if (req.address !== undefined) {
    const addr = parseIp(req.address);
    if (!addr) return deny('network.address', `resolved address ${req.address} is not an IP address`);
    const d = checkAddress(addr, req.address, net);
    if (d) return d;
  }
  return {
    allowed: true,
    rule: 'network.allow',
    reason:
      req.address !== undefined || literal ? 'public destination allowed' : 'host allowed (address not yet resolved)',
  };
}
