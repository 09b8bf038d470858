import net from 'node:net';

/** Why the built-in egress rules refuse an address, or `public`. */
export type AddressClass =
  | 'public'
  | 'loopback'
  | 'private'
  | 'link-local'
  | 'cgnat'
  | 'unspecified'
  | 'multicast'
  | 'reserved'
  | 'unique-local'
  | 'invalid';

interface Range {
  cidr: string;
  cls: AddressClass;
}

// Ordered only for readability; ranges do not overlap in a way that changes the class.
const V4_RANGES: Range[] = [
  { cidr: '0.0.0.0/8', cls: 'unspecified' },
  { cidr: '10.0.0.0/8', cls: 'private' },
  { cidr: '100.64.0.0/10', cls: 'cgnat' },
  { cidr: '127.0.0.0/8', cls: 'loopback' },
  { cidr: '169.254.0.0/16', cls: 'link-local' },
  { cidr: '172.16.0.0/12', cls: 'private' },
  { cidr: '192.0.0.0/24', cls: 'reserved' },
  { cidr: '192.0.2.0/24', cls: 'reserved' },
  { cidr: '192.88.99.0/24', cls: 'reserved' },
  { cidr: '192.168.0.0/16', cls: 'private' },
  { cidr: '198.18.0.0/15', cls: 'reserved' },
  { cidr: '198.51.100.0/24', cls: 'reserved' },
  { cidr: '203.0.113.0/24', cls: 'reserved' },
  { cidr: '224.0.0.0/4', cls: 'multicast' },
  { cidr: '240.0.0.0/4', cls: 'reserved' },
];

const V6_RANGES: Range[] = [
  { cidr: '::/128', cls: 'unspecified' },
  { cidr: '::1/128', cls: 'loopback' },
  { cidr: 'fc00::/7', cls: 'unique-local' },
  { cidr: 'fe80::/10', cls: 'link-local' },
  // Deprecated site-local: still routed internally on some networks.
  { cidr: 'fec0::/10', cls: 'private' },
  { cidr: 'ff00::/8', cls: 'multicast' },
  { cidr: '2001:db8::/32', cls: 'reserved' },
  { cidr: '100::/64', cls: 'reserved' },
];

function parseCidr(cidr: string): [string, number] {
  const [addr, bits] = cidr.split('/') as [string, string];
  return [addr, Number(bits)];
}

const v4 = ranges(V4_RANGES, 'ipv4');
const v6 = ranges(V6_RANGES, 'ipv6');

function ranges(list: Range[], family: 'ipv4' | 'ipv6'): Array<{ cls: AddressClass; block: net.BlockList }> {
  return list.map(({ cidr, cls }) => {
    const block = new net.BlockList();
    const [addr, bits] = parseCidr(cidr);
    block.addSubnet(addr, bits, family);
    return { cls, block };
  });
}

/** Expands an IPv6 literal to its 16 bytes, or undefined if it is not one. */
export function ipv6Bytes(address: string): number[] | undefined {
  let addr = address.replace(/^\[|\]$/g, '');
  const zone = addr.indexOf('%');
  if (zone >= 0) addr = addr.slice(0, zone);
  if (net.isIPv6(addr) === false) return undefined;
  let tail: number[] = [];
  const lastColon = addr.lastIndexOf(':');
  const maybeV4 = addr.slice(lastColon + 1);
  if (net.isIPv4(maybeV4)) {
    tail = maybeV4.split('.').map(Number);
    addr = `${addr.slice(0, lastColon + 1)}0:0`;
  }
  const [head, rest] = addr.split('::') as [string, string | undefined];
  const groups = (s: string): number[] => (s === '' ? [] : s.split(':').map((g) => parseInt(g, 16)));
  const h = groups(head);
  const r = rest === undefined ? [] : groups(rest);
  const all = [...h, ...new Array<number>(8 - h.length - r.length).fill(0), ...r];
  const bytes = all.flatMap((g) => [g >> 8, g & 0xff]);
  if (tail.length === 4) bytes.splice(12, 4, ...tail);
  return bytes;
}

/**
 * The IPv4 address an IPv6 literal embeds in a form that reaches IPv4 hosts (IPv4-mapped `::ffff:a.b.c.d`,
 * IPv4-compatible `::a.b.c.d`, NAT64 `64:ff9b::/96`), so `::ffff:127.0.0.1` is classified as loopback.
 */
export function embeddedIPv4(address: string): string | undefined {
  const b = ipv6Bytes(address);
  if (b === undefined) return undefined;
  const zeros = (from: number, to: number): boolean => b.slice(from, to).every((x) => x === 0);
  const v4tail = b.slice(12).join('.');
  if (zeros(0, 10) && b[10] === 0xff && b[11] === 0xff) return v4tail;
  if (zeros(0, 12) && !zeros(12, 16) && !(zeros(12, 15) && b[15] === 1)) return v4tail;
  if (b[0] === 0x00 && b[1] === 0x64 && b[2] === 0xff && b[3] === 0x9b && zeros(4, 12)) return v4tail;
  return undefined;
}

/** Classifies an IP literal for the built-in egress rules. Anything but `public` is refused. */
export function classifyAddress(address: string): AddressClass {
  const bare = address.replace(/^\[|\]$/g, '');
  if (net.isIPv4(bare)) {
    for (const { cls, block } of v4) if (block.check(bare, 'ipv4')) return cls;
    return bare === '255.255.255.255' ? 'reserved' : 'public';
  }
  const withoutZone = bare.split('%')[0] as string;
  if (net.isIPv6(withoutZone)) {
    const inner = embeddedIPv4(withoutZone);
    if (inner !== undefined) return classifyAddress(inner);
    for (const { cls, block } of v6) if (block.check(withoutZone, 'ipv6')) return cls;
    return 'public';
  }
  return 'invalid';
}
