import { classifyNonPublic, parseCidr, parseIp } from './ip';

describe('classifyNonPublic', () => {
  const nonPublic = [
    '127.0.0.1',
    '10.1.2.3',
    '172.16.0.1',
    '172.31.255.255',
    '192.168.1.1',
    '169.254.169.254',
    '100.64.0.1',
    '0.0.0.0',
    '0.1.2.3',
    '224.0.0.1',
    '255.255.255.255',
    '::1',
    '::',
    'fc00::1',
    'fd12:3456::1',
    'fe80::1%eth0',
    'ff02::1',
    '::ffff:127.0.0.1',
    '::ffff:7f00:1',
    '::ffff:169.254.169.254',
    '64:ff9b::a00:1',
    '[::1]',
  ];
  it.each(nonPublic)('%s is not public', (addr) => {
    const ip = parseIp(addr);
    expect(ip).toBeDefined();
    expect(classifyNonPublic(ip!)).toBeDefined();
  });

  it.each(['8.8.8.8', '1.1.1.1', '172.32.0.1', '100.128.0.1', '2606:4700:4700::1111', '::ffff:8.8.8.8'])(
    '%s is public',
    (addr) => {
      expect(classifyNonPublic(parseIp(addr)!)).toBeUndefined();
    },
  );
});

describe('parseIp / parseCidr', () => {
  it('rejects non-addresses', () => {
    expect(parseIp('example.com')).toBeUndefined();
    expect(parseIp('2130706433')).toBeUndefined();
    expect(parseIp('1.2.3.256')).toBeUndefined();
  });
  it('parses CIDRs and rejects bad prefixes', () => {
    expect(parseCidr('10.0.0.0/8')).toEqual({ version: 4, base: 0x0a000000n, prefix: 8 });
    expect(parseCidr('10.0.0.0/33')).toBeUndefined();
    expect(parseCidr('fc00::/7')?.prefix).toBe(7);
    expect(parseCidr('nope/8')).toBeUndefined();
  });
  it('expands :: in the middle and embedded IPv4', () => {
    expect(parseIp('1::2')?.value).toBe((1n << 112n) | 2n);
    expect(parseIp('::ffff:1.2.3.4')?.value).toBe((0xffffn << 32n) | 0x01020304n);
  });
});
