import {
  DEFAULT_FLEET_PREFIX,
  fleetPrefix,
  hostAddress,
  overlaps,
  parseIpAddr,
  parseIpRoutes,
  parsePrefix,
  prefixClashes,
} from './test-prefix';

// What this machine's root namespace printed (TEST-NET-1 on eth0, the fd00::/64 line left out by -4).
const IP_ADDR = [
  '1: lo    inet 127.0.0.1/8 scope host lo\\       valid_lft forever preferred_lft forever',
  '4: eth0    inet 192.0.2.2/24 brd 192.0.2.255 scope global eth0\\       valid_lft forever preferred_lft forever',
].join('\n');
const IP_ROUTE = [
  'default via 192.0.2.1 dev eth0',
  '192.0.2.0/24 dev eth0 proto kernel scope link src 192.0.2.2',
  'local 127.0.0.0/8 dev lo table local proto kernel scope host src 127.0.0.1',
  'local 127.0.0.1 dev lo table local proto kernel scope host src 127.0.0.1',
  'broadcast 127.255.255.255 dev lo table local proto kernel scope link src 127.0.0.1',
  'local 192.0.2.2 dev eth0 table local proto kernel scope host src 192.0.2.2',
  'broadcast 192.0.2.255 dev eth0 table local proto kernel scope link src 192.0.2.2',
].join('\n');

describe('fleet test prefix', () => {
  it('parses prefixes to their network address and rejects anything else', () => {
    expect(parsePrefix('198.51.100.7/24')).toEqual({ network: 0xc6336400, length: 24, text: '198.51.100.0/24' });
    expect(parsePrefix('10.1.2.3').text).toBe('10.1.2.3/32');
    for (const bad of ['198.51.100/24', '198.51.100.0/33', '300.1.1.1/8', '1.2.3.4/24/1', 'fd00::/64', ''])
      expect(() => parsePrefix(bad)).toThrow(TypeError);
  });

  it('overlap is containment either way, at any prefix length', () => {
    const p = parsePrefix(DEFAULT_FLEET_PREFIX);
    expect(overlaps(p, parsePrefix('198.51.100.200/32'))).toBe(true);
    expect(overlaps(p, parsePrefix('198.51.0.0/16'))).toBe(true);
    expect(overlaps(p, parsePrefix('0.0.0.0/0'))).toBe(true);
    expect(overlaps(p, parsePrefix('198.51.101.0/24'))).toBe(false);
    expect(overlaps(p, parsePrefix('192.0.2.0/24'))).toBe(false);
  });

  it('only documentation or benchmarking space, with room for hosts', () => {
    expect(fleetPrefix().text).toBe('198.51.100.0/24');
    expect(fleetPrefix('203.0.113.0/25').text).toBe('203.0.113.0/25');
    expect(fleetPrefix('198.19.4.0/24').text).toBe('198.19.4.0/24');
    expect(() => fleetPrefix('10.0.0.0/24')).toThrow(/not inside documentation or benchmarking space/);
    // Wider than the documented block: it would reach addresses outside it.
    expect(() => fleetPrefix('198.51.0.0/16')).toThrow(/not inside/);
    expect(() => fleetPrefix('198.51.100.0/30')).toThrow(/too small/);
  });

  it('numbers hosts inside the prefix, never the network or broadcast address', () => {
    const p = fleetPrefix();
    expect(hostAddress(p, 1)).toBe('198.51.100.1');
    expect(hostAddress(p, 254)).toBe('198.51.100.254');
    expect(() => hostAddress(p, 0)).toThrow(RangeError);
    expect(() => hostAddress(p, 255)).toThrow(RangeError);
  });

  it('reads ip addr and ip route output', () => {
    expect(parseIpAddr(IP_ADDR).map((a) => [a.ifname, a.address])).toEqual([
      ['lo', '127.0.0.1/8'],
      ['eth0', '192.0.2.2/24'],
    ]);
    expect(parseIpRoutes(IP_ROUTE).map((r) => r.prefix.text)).toEqual([
      '192.0.2.0/24',
      '127.0.0.0/8',
      '127.0.0.1/32',
      '127.255.255.255/32',
      '192.0.2.2/32',
      '192.0.2.255/32',
    ]);
  });

  it("the default prefix is free on this machine's layout; TEST-NET-1 would clash, naming what", () => {
    expect(prefixClashes(fleetPrefix(), IP_ADDR, IP_ROUTE)).toEqual([]);
    expect(prefixClashes(fleetPrefix('192.0.2.0/24'), IP_ADDR, IP_ROUTE)).toEqual([
      'address 192.0.2.2/24 on eth0',
      'route 192.0.2.0/24 dev eth0 proto kernel scope link src 192.0.2.2',
      'route local 192.0.2.2 dev eth0 table local proto kernel scope host src 192.0.2.2',
      'route broadcast 192.0.2.255 dev eth0 table local proto kernel scope link src 192.0.2.2',
    ]);
    // A route alone is enough: traffic for the prefix would already go somewhere on this machine.
    expect(prefixClashes(fleetPrefix(), '', '198.51.100.0/25 via 192.0.2.9 dev eth0')).toEqual([
      'route 198.51.100.0/25 via 192.0.2.9 dev eth0',
    ]);
  });
});
