import ipaddr from 'ipaddr.js';
import { classifyAddress, classifyHost, describeVerdict, parseIp, type AddressVerdict, type Ip } from './address-class';
import { cidrContains, cidrCovers, parseCidr, type Cidr } from './cidr';
import type { EgressDecision, EgressRequest } from './contract';
import type { NetworkPolicy } from './model';
import { hostMatches, normalizeHost } from './patterns';

const deny = (rule: string, reason: string, match?: string): EgressDecision =>
  match === undefined ? { allowed: false, rule, reason } : { allowed: false, rule, match, reason };

const cidrs = (list: string[] | undefined): Array<{ text: string; cidr: Cidr }> =>
  (list ?? []).flatMap((text) => {
    const cidr = parseCidr(text);
    return cidr ? [{ text, cidr }] : [];
  });

/** The address itself and, for IPv6 forms that carry one, the IPv4 address it was judged by. */
function forms(v: AddressVerdict): Ip[] {
  const out = [parseIp(v.address) as Ip];
  if (v.embedded) out.push(parseIp(v.embedded.ipv4) as Ip);
  return out;
}

/*
 * Decision (deny by default): a non-public address is reached only if
 *   - `allow_private: true`, or
 *   - an `allowed_networks` entry lies inside the special-purpose range the address was judged in
 *     (`127.0.0.0/8` or `127.0.0.1/32` admits 127.0.0.1; `10.1.0.0/16` admits 10.1.2.3).
 * A catch-all (`0.0.0.0/0`, `::/0`, `0.0.0.0/1`...) contains internal ranges but is not about them,
 * so it admits public addresses only. Denied networks win over everything.
 */
function checkAddress(v: AddressVerdict, net: NetworkPolicy): EgressDecision {
  const judged = forms(v);
  const what = describeVerdict(v);
  const denied = cidrs(net.denied_networks).find((c) => judged.some((f) => cidrContains(c.cidr, f)));
  if (denied) return deny('network.denied_networks', `${what}; ${denied.text} is denied`, denied.text);
  const allowList = cidrs(net.allowed_networks);
  const matching = allowList.filter((c) => judged.some((f) => cidrContains(c.cidr, f)));
  if (allowList.length > 0 && matching.length === 0)
    return deny('network.allowed_networks', `${what}; not in an allowed network`);
  if (v.class === 'public') {
    const by = matching[0];
    return by
      ? { allowed: true, rule: 'network.allowed_networks', match: by.text, reason: `${what}; allowed by ${by.text}` }
      : { allowed: true, rule: 'network.public', reason: `${what}` };
  }
  if (net.allow_private === true) return { allowed: true, rule: 'network.allow_private', reason: `${what}` };
  // Only the address itself or its IPv4-mapped spelling (how a dual-stack socket names IPv4) can be
  // admitted by an IPv4 entry: 6to4, Teredo, NAT64... of 127.0.0.1 leave through a relay, not to it.
  const direct = v.embedded === undefined || v.embedded.form === 'ipv4Mapped';
  const range = v.cidr !== undefined && direct ? ipaddr.parseCIDR(v.cidr) : undefined;
  const specific = range && matching.find((c) => cidrCovers({ ip: range[0], bits: range[1] }, c.cidr));
  if (specific)
    return {
      allowed: true,
      rule: 'network.allowed_networks',
      match: specific.text,
      reason: `${what}; allowed explicitly by ${specific.text}`,
    };
  const hint =
    matching.length > 0 ? `; ${matching[0]?.text} is wider than ${v.cidr ?? 'its range'}, so it does not admit it` : '';
  return deny('network.deny_private', `${what}, not a public address${hint}`);
}

/**
 * One egress decision. Called by name before resolution (no `address`) and again with each resolved
 * address, so DNS answers pointing at internal addresses are caught on the second call. The decision's
 * `rule` names the rule that decided.
 */
export function evaluateEgress(req: EgressRequest, net: NetworkPolicy): EgressDecision {
  if (net.allow_network === false) return deny('network.allow_network', 'network access is not allowed');
  const verdict = classifyHost(req.host.trim());
  if (verdict.kind === 'invalid') return deny('network.host', describeVerdict(verdict));
  const host = normalizeHost(req.host);
  const ports = net.allowed_ports ?? [];
  if (!Number.isInteger(req.port) || req.port < 1 || req.port > 65535)
    return deny('network.port', `invalid port ${req.port}`);
  if (ports.length > 0 && !ports.includes(req.port))
    return deny('network.allowed_ports', `port ${req.port} is not allowed`);
  const deniedHost = net.denied_hosts?.find((p) => hostMatches(p, host));
  if (deniedHost) return deny('network.denied_hosts', `${host} matches denied host ${deniedHost}`, deniedHost);

  const allowedHosts = net.allowed_hosts ?? [];
  const hostAllowedBy = allowedHosts.find((p) => hostMatches(p, host));
  if (allowedHosts.length > 0 && hostAllowedBy === undefined) {
    const literal = verdict.kind === 'address' ? forms(verdict) : [];
    const cidrAllowed = cidrs(net.allowed_networks).some((c) => literal.some((f) => cidrContains(c.cidr, f)));
    if (!cidrAllowed) return deny('network.allowed_hosts', `${host} matches no allowed host`);
  }
  if (verdict.kind === 'address') {
    const d = checkAddress(verdict, net);
    if (!d.allowed || req.address === undefined) return d;
  } else if (verdict.class !== undefined && net.allow_private !== true) {
    // A reserved name (localhost, *.internal, metadata) is admitted only by allow_private or by naming it.
    const named = hostAllowedBy !== undefined && normalizeHost(hostAllowedBy) !== '*';
    if (!named) return deny('network.deny_private', `${describeVerdict(verdict)}, not a public name`);
  }
  if (req.address === undefined)
    return { allowed: true, rule: 'network.host', reason: `${host} allowed by name; its addresses are checked next` };
  const resolved = classifyAddress(req.address);
  if (resolved.kind !== 'address')
    return deny('network.address', `resolved address ${req.address} is not an IP address`);
  return checkAddress(resolved, net);
}
