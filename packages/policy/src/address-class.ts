import ipaddr from 'ipaddr.js';

/**
 * The one egress address classifier. Deny by default: only ordinary global unicast is `public`; every
 * IPv6 form that carries an IPv4 address is judged by that IPv4 address; anything that does not parse
 * is `invalid`, never `public`.
 */

/** What an address is for egress. Everything but `public` is refused unless a policy explicitly allows it. */
export type AddressClass =
  | 'public'
  | 'loopback'
  | 'private'
  | 'linkLocal'
  | 'uniqueLocal'
  | 'siteLocal'
  | 'cgnat'
  | 'documentation'
  | 'benchmarking'
  | 'relay'
  | 'reserved'
  | 'broadcast'
  | 'multicast'
  | 'unspecified';

/** How an IPv6 address carries the IPv4 address it was judged by. */
export type Ipv4Embedding = 'ipv4Mapped' | 'ipv4Compatible' | 'siit' | 'nat64' | 'nat64LocalUse' | '6to4' | 'teredo';

/** An IP literal, classified. */
export interface AddressVerdict {
  kind: 'address';
  /** The text as given. */
  input: string;
  /** Canonical spelling (RFC 5952 for IPv6, dotted quad for IPv4; zone ids dropped). */
  address: string;
  family: 4 | 6;
  class: AddressClass;
  /** The range that decided: an ipaddr.js range name (`loopback`, `carrierGradeNat`) or one of ours (`documentation`). */
  range: string;
  /** The special-purpose CIDR the judged address lies in; absent for `public`. */
  cidr?: string;
  /** Set when an IPv6 address was judged by the IPv4 address it embeds. */
  embedded?: { form: Ipv4Embedding; ipv4: string };
  /** Set when the input was not the canonical spelling (`0177.0.0.1`, `2130706433`, `fe80::1%eth0`). */
  nonCanonical?: true;
}

/** A host name. Names say nothing reliable about where they point, except the few reserved ones. */
export interface NameVerdict {
  kind: 'name';
  input: string;
  /** Lower-cased, trailing dot removed. */
  name: string;
  /** Set for names that always point somewhere non-public (`localhost`, `*.internal`, cloud metadata names). */
  class?: Exclude<AddressClass, 'public'>;
  /** Why `class` is set, e.g. `localhost (RFC 6761)`. */
  range?: string;
}

/** Stable reasons for `invalid`. */
export type InvalidAddressCode = 'ADDRESS_EMPTY' | 'ADDRESS_MALFORMED' | 'ADDRESS_NUMERIC_AMBIGUOUS';

export interface InvalidVerdict {
  kind: 'invalid';
  input: string;
  code: InvalidAddressCode;
  reason: string;
}

export type HostVerdict = AddressVerdict | NameVerdict | InvalidVerdict;

type Ip = ipaddr.IPv4 | ipaddr.IPv6;

interface SpecialRange {
  name: string;
  cls: AddressClass;
  net: Ip;
  bits: number;
}

// ipaddr.js keeps the CIDRs behind range() on the prototype (`SpecialRanges`) without typing them. We
// read them once so a verdict can name the exact CIDR range() matched, and so a policy can tell an
// allowed_networks entry inside that CIDR from a catch-all that merely contains it.
type RangeTable = Record<string, [Ip, number] | [Ip, number][]>;
function ipaddrTable(proto: object): RangeTable {
  const table = (proto as { SpecialRanges?: RangeTable }).SpecialRanges;
  if (table === undefined) throw new Error('ipaddr.js no longer exposes SpecialRanges; the egress classifier needs it');
  return table;
}

const V4_CLASS: Record<string, AddressClass> = {
  unspecified: 'unspecified',
  broadcast: 'broadcast',
  multicast: 'multicast',
  linkLocal: 'linkLocal',
  loopback: 'loopback',
  carrierGradeNat: 'cgnat',
  private: 'private',
  reserved: 'reserved',
  as112: 'reserved',
  amt: 'reserved',
};

const V6_CLASS: Record<string, AddressClass> = {
  unspecified: 'unspecified',
  linkLocal: 'linkLocal',
  multicast: 'multicast',
  loopback: 'loopback',
  uniqueLocal: 'uniqueLocal',
  deprecatedSiteLocal: 'siteLocal',
  benchmarking: 'benchmarking',
  reserved: 'reserved',
};

/*
 * What ipaddr.js lacks, and only that: it lumps documentation, benchmarking, the 6to4 relay anycast and
 * the IETF protocol block into one IPv4 `reserved` (we name them, checked before its table), it has no
 * range for the deprecated IPv4-compatible ::/96, and it calls unallocated IPv6 outside 2000::/3
 * `unicast` (IANA allocates global unicast only from 2000::/3, so the rest is reserved to us).
 */
const OWN_V4: ReadonlyArray<[string, string, AddressClass]> = [
  ['192.0.2.0/24', 'documentation', 'documentation'],
  ['198.51.100.0/24', 'documentation', 'documentation'],
  ['203.0.113.0/24', 'documentation', 'documentation'],
  ['198.18.0.0/15', 'benchmarking', 'benchmarking'],
  ['192.88.99.0/24', '6to4Relay', 'relay'],
  ['192.0.0.0/24', 'ietfProtocolAssignments', 'reserved'],
];
const OWN_V6: ReadonlyArray<[string, string, AddressClass]> = [
  ['2001:db8::/32', 'documentation', 'documentation'],
  ['3fff::/20', 'documentation', 'documentation'],
];

function own(list: ReadonlyArray<[string, string, AddressClass]>): SpecialRange[] {
  return list.map(([cidr, name, cls]) => {
    const [net, bits] = ipaddr.parseCIDR(cidr);
    return { name, cls, net, bits };
  });
}

function fromIpaddr(table: RangeTable, classes: Record<string, AddressClass>): SpecialRange[] {
  const out: SpecialRange[] = [];
  for (const [name, cls] of Object.entries(classes)) {
    const entry = table[name];
    if (entry === undefined) throw new Error(`ipaddr.js has no range named ${name}`);
    const list = (Array.isArray(entry[0]) ? entry : [entry]) as [Ip, number][];
    for (const [net, bits] of list) out.push({ name, cls, net, bits });
  }
  return out;
}

const V4_RANGES: readonly SpecialRange[] = [
  ...own(OWN_V4),
  ...fromIpaddr(ipaddrTable(ipaddr.IPv4.prototype), V4_CLASS),
];
const V6_RANGES: readonly SpecialRange[] = [
  ...own(OWN_V6),
  ...fromIpaddr(ipaddrTable(ipaddr.IPv6.prototype), V6_CLASS),
];
const GLOBAL_UNICAST_V6 = ipaddr.parseCIDR('2000::/3');

/** Every special-purpose CIDR the classifier knows, including the IPv6 prefixes that embed IPv4. */
export function nonPublicCidrs(): Array<[Ip, number]> {
  const wrappers = ['::/96', '::ffff:0:0/96', '::ffff:0:0:0/96', '64:ff9b::/96', '64:ff9b:1::/48', '2002::/16'];
  return [
    ...[...V4_RANGES, ...V6_RANGES].map((r): [Ip, number] => [r.net, r.bits]),
    ...wrappers.map((c) => ipaddr.parseCIDR(c)),
    // Teredo and the rest of 2001::/23 (ipaddr.js `teredo`, `reserved`).
    ipaddr.parseCIDR('2001::/23'),
  ];
}

const v4FromBytes = (b: number[]): ipaddr.IPv4 => new ipaddr.IPv4(b);

/** The IPv4 address an IPv6 address carries, and how; undefined for ordinary IPv6. */
function embeddedIpv4(ip: ipaddr.IPv6): { form: Ipv4Embedding; ipv4: ipaddr.IPv4 } | undefined {
  const b = ip.toByteArray();
  const range = ip.range();
  if (range === 'ipv4Mapped') return { form: 'ipv4Mapped', ipv4: v4FromBytes(b.slice(12)) };
  if (range === 'rfc6145') return { form: 'siit', ipv4: v4FromBytes(b.slice(12)) };
  if (range === '6to4') return { form: '6to4', ipv4: v4FromBytes(b.slice(2, 6)) };
  // Teredo (RFC 4380) stores the client's address inverted in the last 32 bits.
  if (range === 'teredo') return { form: 'teredo', ipv4: v4FromBytes(b.slice(12).map((x) => ~x & 0xff)) };
  if (range === 'rfc6052') {
    if (ip.match(ipaddr.parseCIDR('64:ff9b::/96'))) return { form: 'nat64', ipv4: v4FromBytes(b.slice(12)) };
    return { form: 'nat64LocalUse', ipv4: nat64LocalUse(b) };
  }
  // IPv4-compatible (RFC 4291, deprecated) ::a.b.c.d; ipaddr.js has no range for it. :: and ::1 are not.
  if (b.slice(0, 12).every((x) => x === 0) && ip.range() !== 'unspecified' && ip.range() !== 'loopback')
    return { form: 'ipv4Compatible', ipv4: v4FromBytes(b.slice(12)) };
  return undefined;
}

/**
 * 64:ff9b:1::/48 (RFC 8215) may be used with any RFC 6052 prefix length from /48 to /96, which puts
 * the IPv4 address at different offsets. We cannot know which the translator uses, so we try every
 * offset and return the most restrictive candidate: the first that is not public, else the /96 one.
 */
function nat64LocalUse(b: number[]): ipaddr.IPv4 {
  const candidates = [
    [b[12], b[13], b[14], b[15]], // /96
    [b[9], b[10], b[11], b[12]], // /64 (byte 8 is the reserved u octet)
    [b[7], b[9], b[10], b[11]], // /56
    [b[6], b[7], b[9], b[10]], // /48
  ].map((c) => v4FromBytes(c as number[]));
  return candidates.find((c) => lookup(c).cls !== 'public') ?? (candidates[0] as ipaddr.IPv4);
}

function lookup(ip: Ip): { cls: AddressClass; range: string; cidr?: string } {
  if (ip.kind() === 'ipv6' && !ip.match(GLOBAL_UNICAST_V6) && ip.range() === 'unicast')
    return { cls: 'reserved', range: 'unallocatedIpv6' };
  const ranges = ip.kind() === 'ipv4' ? V4_RANGES : V6_RANGES;
  const hit = ranges.find((r) => r.net.kind() === ip.kind() && ip.match(r.net, r.bits));
  if (hit) return { cls: hit.cls, range: hit.name, cidr: `${hit.net.toString()}/${hit.bits}` };
  // Whatever ipaddr.js knows that we did not map (a range added in a later version) is not public.
  const name = ip.range();
  return name === 'unicast' ? { cls: 'public', range: 'unicast' } : { cls: 'reserved', range: name };
}

/** Canonical spelling, zone id dropped: the zone says which link, not which address. */
function canonical(ip: Ip): string {
  return ip.kind() === 'ipv6' ? new ipaddr.IPv6((ip as ipaddr.IPv6).parts).toRFC5952String() : ip.toString();
}

function verdict(input: string, ip: Ip): AddressVerdict {
  let judged: Ip = ip;
  let embedded: AddressVerdict['embedded'];
  if (ip.kind() === 'ipv6') {
    const e = embeddedIpv4(ip as ipaddr.IPv6);
    if (e) {
      judged = e.ipv4;
      embedded = { form: e.form, ipv4: e.ipv4.toString() };
    }
  }
  const { cls, range, cidr } = lookup(judged);
  const address = canonical(ip);
  const out: AddressVerdict = {
    kind: 'address',
    input,
    address,
    family: ip.kind() === 'ipv6' ? 6 : 4,
    class: cls,
    range,
  };
  if (cidr !== undefined) out.cidr = cidr;
  if (embedded) out.embedded = embedded;
  if (address !== input) out.nonCanonical = true;
  return out;
}

const invalid = (input: string, code: InvalidAddressCode, reason: string): InvalidVerdict => ({
  kind: 'invalid',
  input,
  code,
  reason,
});

// A last label that is a number makes the whole name an IPv4 attempt (WHATWG URL, inet_aton), so
// `08.0.0.1` or `1.2.3.4.5` must not fall through to DNS as a "name".
const NUMERIC_LABEL = /^(0x[0-9a-f]*|\d+)$/i;
const NAME_LABEL = /^(?!-)[a-z0-9_-]{1,63}(?<!-)$/;

/** Classifies an IP literal in any spelling ipaddr.js or inet_aton accepts (`127.1`, `0x7f.1`, `2130706433`, `fe80::1%eth0`). */
export function classifyAddress(text: string): AddressVerdict | InvalidVerdict {
  if (text === '') return invalid(text, 'ADDRESS_EMPTY', 'empty address');
  const bare = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
  if (bare !== text && !ipaddr.IPv6.isValid(bare))
    return invalid(text, 'ADDRESS_MALFORMED', `${text} is bracketed but not an IPv6 address`);
  const ip = parseIp(bare);
  return ip ? verdict(text, ip) : invalid(text, 'ADDRESS_MALFORMED', `${text} is not an IP address`);
}

/** Host names that always point at non-public addresses, whatever DNS says. */
const SPECIAL_NAMES: ReadonlyArray<[(name: string) => boolean, Exclude<AddressClass, 'public'>, string]> = [
  [(n) => n === 'localhost' || n.endsWith('.localhost'), 'loopback', 'localhost (RFC 6761)'],
  [(n) => ['localhost.localdomain', 'ip6-localhost', 'ip6-loopback'].includes(n), 'loopback', 'hosts-file loopback'],
  [
    (n) =>
      ['metadata', 'metadata.google.internal', 'metadata.goog', 'instance-data', 'instance-data.ec2.internal'].includes(
        n,
      ),
    'linkLocal',
    'cloud metadata service',
  ],
  [(n) => n === 'internal' || n.endsWith('.internal'), 'private', '.internal (private use)'],
  [(n) => n === 'home.arpa' || n.endsWith('.home.arpa'), 'private', '.home.arpa (RFC 8375)'],
  [(n) => n === 'local' || n.endsWith('.local'), 'linkLocal', '.local (mDNS, RFC 6762)'],
];

/**
 * Classifies what a tool asked to connect to: an IP literal (any spelling, bracketed, with a zone id),
 * or a host name. Names are judged only by what they reserve; their resolved addresses must be
 * classified again with `classifyAddress`.
 */
export function classifyHost(host: string): HostVerdict {
  if (host === '') return invalid(host, 'ADDRESS_EMPTY', 'empty host');
  if (host.startsWith('[') || host.includes(':')) return classifyAddress(host);
  const name = (host.endsWith('.') ? host.slice(0, -1) : host).toLowerCase();
  const labels = name.split('.');
  if (NUMERIC_LABEL.test(labels[labels.length - 1] as string)) {
    const v = classifyAddress(name);
    if (v.kind === 'address') return verdict(host, parseIp(name) as Ip);
    return invalid(host, 'ADDRESS_NUMERIC_AMBIGUOUS', `${host} looks like an IPv4 address but is not a valid one`);
  }
  if (name.length > 253 || !labels.every((l) => NAME_LABEL.test(l)))
    return invalid(host, 'ADDRESS_MALFORMED', `${host} is not a valid host name`);
  const special = SPECIAL_NAMES.find(([test]) => test(name));
  const out: NameVerdict = { kind: 'name', input: host, name };
  if (special) {
    out.class = special[1];
    out.range = special[2];
  }
  return out;
}

/** One line for logs: `2002:7f00:1:: (6to4 of 127.0.0.1) is loopback`. */
export function describeVerdict(v: HostVerdict): string {
  if (v.kind === 'invalid') return `${v.input} is invalid: ${v.reason}`;
  if (v.kind === 'name') return v.class ? `${v.name} is ${v.class} (${v.range ?? ''})` : `${v.name} is a host name`;
  const via = v.embedded ? ` (${v.embedded.form} of ${v.embedded.ipv4})` : '';
  return `${v.address}${via} is ${v.class}`;
}

/** Whether `ip` lies in the CIDR `net/bits`; false across families. */
export function ipInCidr(ip: Ip, net: Ip, bits: number): boolean {
  return ip.kind() === net.kind() && ip.match(net, bits);
}

/** Parses an IP literal in any spelling `classifyAddress` accepts; undefined if it is not one. */
export function parseIp(text: string): Ip | undefined {
  let bare = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
  // ipaddr.js reads `::a.b.c.d` (IPv4-compatible) as `::ffff:a.b.c.d` (mapped); spell the dotted tail
  // in hex first so the address stays the one that was written.
  const tail = /^(.*:)(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})(%.*)?$/.exec(bare);
  if (tail) {
    if (!ipaddr.IPv4.isValidFourPartDecimal(tail[2] as string)) return undefined;
    const [a, b, c, d] = ipaddr.IPv4.parse(tail[2] as string).octets as [number, number, number, number];
    bare = `${tail[1]}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}${tail[3] ?? ''}`;
  }
  try {
    return ipaddr.parse(bare);
  } catch {
    return undefined;
  }
}

export type { Ip };
