/**
 * The fleet suite's addresses: one IPv4 prefix reserved for documentation (RFC 5737, RFC 2544), never
 * routed anywhere, used only inside the suite's own network namespaces. Before anything is created the
 * machine's own addresses and routes are read (`ip -o -4 addr`, `ip -4 route show table all`) and the
 * suite refuses to start if the prefix overlaps any of them. Pure functions; topology.ts runs `ip`.
 */

/** RFC 5737 TEST-NET-2. This machine's own interface uses TEST-NET-1 (192.0.2.0/24), hence not that one. */
export const DEFAULT_FLEET_PREFIX = '198.51.100.0/24';

/** The only prefixes the suite will use: documentation (RFC 5737) and benchmarking (RFC 2544) space. */
export const DOCUMENTED_PREFIXES: readonly string[] = [
  '192.0.2.0/24',
  '198.51.100.0/24',
  '203.0.113.0/24',
  '198.18.0.0/15',
];

export interface Ipv4Prefix {
  /** The network address as an unsigned 32-bit number (host bits zero). */
  network: number;
  length: number;
  /** `a.b.c.d/len`, as given (normalised to the network address). */
  text: string;
}

function parseIpv4(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let n = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return undefined;
    n = n * 256 + Number(p);
  }
  return n;
}

export function formatIpv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

function mask(length: number): number {
  return length === 0 ? 0 : (0xffffffff << (32 - length)) >>> 0;
}

/** `a.b.c.d/len` (or a bare address, /32); throws a TypeError naming the text otherwise. */
export function parsePrefix(text: string): Ipv4Prefix {
  const [addr = '', len = '32', extra] = text.trim().split('/');
  const n = parseIpv4(addr);
  const length = /^\d{1,2}$/.test(len) ? Number(len) : NaN;
  if (n === undefined || extra !== undefined || !(length >= 0 && length <= 32))
    throw new TypeError(`not an IPv4 prefix: ${JSON.stringify(text)}`);
  const network = (n & mask(length)) >>> 0;
  return { network, length, text: `${formatIpv4(network)}/${length}` };
}

export function overlaps(a: Ipv4Prefix, b: Ipv4Prefix): boolean {
  const m = mask(Math.min(a.length, b.length));
  return (a.network & m) >>> 0 === (b.network & m) >>> 0;
}

/** The prefix, checked to lie inside documented space and to leave room for hosts. */
export function fleetPrefix(text: string = DEFAULT_FLEET_PREFIX): Ipv4Prefix {
  const prefix = parsePrefix(text);
  const inside = DOCUMENTED_PREFIXES.map((d) => parsePrefix(d)).some(
    (d) => prefix.length >= d.length && overlaps(prefix, d),
  );
  if (!inside)
    throw new TypeError(
      `${prefix.text} is not inside documentation or benchmarking space (${DOCUMENTED_PREFIXES.join(', ')})`,
    );
  if (prefix.length > 28) throw new TypeError(`${prefix.text} is too small for a fleet (at most /28)`);
  return prefix;
}

/** The `n`-th host address of the prefix (1 is the first after the network address). */
export function hostAddress(prefix: Ipv4Prefix, n: number): string {
  const size = 2 ** (32 - prefix.length);
  if (!Number.isInteger(n) || n < 1 || n > size - 2) throw new RangeError(`host ${n} is outside ${prefix.text}`);
  return formatIpv4(prefix.network + n);
}

/** The addresses of `ip -o -4 addr show` (`2: eth0    inet 192.0.2.2/24 brd ...`), with their interface. */
export function parseIpAddr(output: string): { ifname: string; address: string; prefix: Ipv4Prefix }[] {
  const out: { ifname: string; address: string; prefix: Ipv4Prefix }[] = [];
  for (const line of output.split('\n')) {
    const m = /^\d+:\s+(\S+)\s+inet\s+(\S+)/.exec(line);
    if (m) out.push({ ifname: m[1] as string, address: m[2] as string, prefix: parsePrefix(m[2] as string) });
  }
  return out;
}

const ROUTE_TYPES = new Set([
  'unicast',
  'local',
  'broadcast',
  'multicast',
  'anycast',
  'blackhole',
  'unreachable',
  'prohibit',
  'throw',
  'nat',
]);

/** The destinations of `ip -4 route show table all`, the default route left out (it overlaps everything). */
export function parseIpRoutes(output: string): { line: string; prefix: Ipv4Prefix }[] {
  const out: { line: string; prefix: Ipv4Prefix }[] = [];
  for (const line of output.split('\n')) {
    const words = line.trim().split(/\s+/);
    const dest = ROUTE_TYPES.has(words[0] ?? '') ? words[1] : words[0];
    if (dest === undefined || dest === '' || dest === 'default') continue;
    try {
      out.push({ line: line.trim(), prefix: parsePrefix(dest) });
    } catch {
      // Not an IPv4 destination (none are, with -4): nothing to compare.
    }
  }
  return out;
}

/** One line per address or route of the machine that the prefix overlaps; empty means it is free. */
export function prefixClashes(prefix: Ipv4Prefix, ipAddrOutput: string, ipRouteOutput: string): string[] {
  return [
    ...parseIpAddr(ipAddrOutput)
      .filter((a) => overlaps(a.prefix, prefix))
      .map((a) => `address ${a.address} on ${a.ifname}`),
    ...parseIpRoutes(ipRouteOutput)
      .filter((r) => overlaps(r.prefix, prefix))
      .map((r) => `route ${r.line}`),
  ];
}
