import { isIP } from 'node:net';

/** An address as a number, so CIDR containment is plain arithmetic for both families. */
export interface IpAddress {
  version: 4 | 6;
  value: bigint;
}

export interface Cidr {
  version: 4 | 6;
  base: bigint;
  prefix: number;
}

function parseIpv4(text: string): bigint | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0n;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part)) return undefined;
    const n = Number(part);
    if (n > 255) return undefined;
    value = (value << 8n) | BigInt(n);
  }
  return value;
}

function parseIpv6(text: string): bigint | undefined {
  let t = text;
  // An embedded dotted quad (::ffff:127.0.0.1) is the last two 16-bit groups.
  const lastColon = t.lastIndexOf(':');
  if (t.slice(lastColon + 1).includes('.')) {
    const v4 = parseIpv4(t.slice(lastColon + 1));
    if (v4 === undefined) return undefined;
    t = `${t.slice(0, lastColon + 1)}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  const halves = t.split('::');
  if (halves.length > 2) return undefined;
  const parseGroups = (s: string | undefined): bigint[] | undefined => {
    if (!s) return [];
    const out: bigint[] = [];
    for (const g of s.split(':')) {
      if (!/^[0-9a-f]{1,4}$/i.test(g)) return undefined;
      out.push(BigInt(parseInt(g, 16)));
    }
    return out;
  };
  const head = parseGroups(halves[0]);
  const after = parseGroups(halves[1]);
  if (!head || !after) return undefined;
  const total = head.length + after.length;
  if (halves.length === 2 ? total > 7 : total !== 8) return undefined;
  const groups = [...head, ...new Array<bigint>(8 - total).fill(0n), ...after];
  return groups.reduce((acc, g) => (acc << 16n) | g, 0n);
}

/** Parses an IPv4 or IPv6 literal (brackets and zone ids tolerated); undefined if it is not one. */
export function parseIp(text: string): IpAddress | undefined {
  let t = text.trim();
  if (t.startsWith('[') && t.endsWith(']')) t = t.slice(1, -1);
  const zone = t.indexOf('%');
  if (zone >= 0) t = t.slice(0, zone);
  const family = isIP(t);
  if (family === 4) {
    const v = parseIpv4(t);
    return v === undefined ? undefined : { version: 4, value: v };
  }
  if (family === 6) {
    const v = parseIpv6(t);
    return v === undefined ? undefined : { version: 6, value: v };
  }
  return undefined;
}

export function parseCidr(text: string): Cidr | undefined {
  const [addr, prefixText, extra] = text.trim().split('/');
  if (addr === undefined || extra !== undefined) return undefined;
  const ip = parseIp(addr);
  if (!ip) return undefined;
  const bits = ip.version === 4 ? 32 : 128;
  let prefix = bits;
  if (prefixText !== undefined) {
    if (!/^\d{1,3}$/.test(prefixText)) return undefined;
    prefix = Number(prefixText);
    if (prefix > bits) return undefined;
  }
  const mask = prefixMask(ip.version, prefix);
  return { version: ip.version, base: ip.value & mask, prefix };
}

function prefixMask(version: 4 | 6, prefix: number): bigint {
  const bits = BigInt(version === 4 ? 32 : 128);
  const all = (1n << bits) - 1n;
  return prefix === 0 ? 0n : (all >> (bits - BigInt(prefix))) << (bits - BigInt(prefix));
}

export function cidrContains(cidr: Cidr, ip: IpAddress): boolean {
  if (cidr.version !== ip.version) return false;
  return (ip.value & prefixMask(cidr.version, cidr.prefix)) === cidr.base;
}

/** Whether `inner` lies entirely within `outer`. */
export function cidrCovers(outer: Cidr, inner: Cidr): boolean {
  return (
    outer.version === inner.version &&
    outer.prefix <= inner.prefix &&
    cidrContains(outer, { version: inner.version, value: inner.base })
  );
}

/**
 * IPv6 forms that carry an IPv4 address a kernel may route as IPv4 (mapped,
 * compatible, NAT64): classify the embedded address, or `::ffff:127.0.0.1`
 * would slip past an IPv4-only blocklist.
 */
export function embeddedIpv4(ip: IpAddress): IpAddress | undefined {
  if (ip.version !== 6) return undefined;
  const high96 = ip.value >> 32n;
  const low32 = ip.value & 0xffffffffn;
  const nat64 = 0x0064ff9b0000000000000000n;
  if (high96 === 0xffffn || high96 === nat64 || (high96 === 0n && low32 > 1n)) return { version: 4, value: low32 };
  return undefined;
}

const SPECIAL_RANGES: readonly [string, string][] = [
  ['0.0.0.0/8', 'this-network'],
  ['10.0.0.0/8', 'private'],
  ['100.64.0.0/10', 'carrier-grade NAT'],
  ['127.0.0.0/8', 'loopback'],
  ['169.254.0.0/16', 'link-local (includes cloud metadata 169.254.169.254)'],
  ['172.16.0.0/12', 'private'],
  ['192.0.0.0/24', 'IETF protocol assignments'],
  ['192.168.0.0/16', 'private'],
  ['198.18.0.0/15', 'benchmarking'],
  ['224.0.0.0/4', 'multicast'],
  ['240.0.0.0/4', 'reserved/broadcast'],
  ['::/128', 'unspecified'],
  ['::1/128', 'loopback'],
  ['fc00::/7', 'unique-local'],
  ['fe80::/10', 'link-local'],
  ['fec0::/10', 'site-local'],
  ['ff00::/8', 'multicast'],
];

const SPECIAL_CIDRS = SPECIAL_RANGES.map(([c, label]) => ({ cidr: parseCidr(c) as Cidr, label }));

/** Why an address is not a public unicast target, or undefined when it is public. */
export function classifyNonPublic(ip: IpAddress): string | undefined {
  const v4 = embeddedIpv4(ip);
  if (v4) {
    const inner = classifyNonPublic(v4);
    return inner ? `${inner} (IPv4 embedded in IPv6)` : undefined;
  }
  return SPECIAL_CIDRS.find((s) => cidrContains(s.cidr, ip))?.label;
}

/** The addresses a rule should look at: the literal and, for IPv6 wrappers, the IPv4 inside. */
export function addressForms(ip: IpAddress): IpAddress[] {
  const v4 = embeddedIpv4(ip);
  return v4 ? [ip, v4] : [ip];
}

/** IPv6 prefixes that carry an IPv4 address (compatible, mapped, NAT64): a CIDR over them reaches IPv4 targets too. */
const WRAPPER_CIDRS = ['::/96', '::ffff:0:0/96', '64:ff9b::/96'].map((c) => parseCidr(c) as Cidr);

/** Whether any address in `cidr` is non-public (used to stop a session from opening internal ranges). */
export function cidrOverlapsNonPublic(cidr: Cidr): boolean {
  return [...SPECIAL_CIDRS.map((s) => s.cidr), ...WRAPPER_CIDRS].some(
    (n) => cidrCovers(cidr, n) || cidrCovers(n, cidr),
  );
}
