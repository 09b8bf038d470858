import ipaddr from 'ipaddr.js';
import { nonPublicCidrs, type Ip } from './address-class';

/** A CIDR from a policy file (`10.0.0.0/8`, `fd00::/8`; a bare address means /32 or /128). */
export interface Cidr {
  ip: Ip;
  bits: number;
}

/**
 * Parses a policy CIDR. Policy files are written by people, so only the plain spellings are accepted
 * (dotted quad, ordinary IPv6, no zone id): `10/8` or `0x0a.0.0.0/8` is a typo, not an intent.
 */
export function parseCidr(text: string): Cidr | undefined {
  const [addr, prefix, extra] = text.trim().split('/');
  if (addr === undefined || extra !== undefined) return undefined;
  const v4 = ipaddr.IPv4.isValidFourPartDecimal(addr);
  if (!v4 && (!ipaddr.IPv6.isValid(addr) || addr.includes('%'))) return undefined;
  const max = v4 ? 32 : 128;
  if (prefix !== undefined && !/^\d{1,3}$/.test(prefix)) return undefined;
  const bits = prefix === undefined ? max : Number(prefix);
  if (bits > max) return undefined;
  return { ip: ipaddr.parse(addr), bits };
}

export function cidrContains(cidr: Cidr, ip: Ip): boolean {
  return ip.kind() === cidr.ip.kind() && ip.match(cidr.ip, cidr.bits);
}

/** Whether `inner` lies entirely within `outer`. */
export function cidrCovers(outer: Cidr, inner: Cidr): boolean {
  return outer.bits <= inner.bits && cidrContains(outer, inner.ip);
}

/** Whether any address in `cidr` is non-public (used to stop a session from opening internal ranges). */
export function cidrOverlapsNonPublic(cidr: Cidr): boolean {
  return nonPublicCidrs().some(([ip, bits]) => {
    const special = { ip, bits };
    return cidrCovers(cidr, special) || cidrCovers(special, cidr);
  });
}
