import { builtinEgressCheck } from './egress-rules';
import { classifyAddress, embeddedIPv4 } from './ip-classify';

describe('classifyAddress', () => {
  it.each([
    ['8.8.8.8', 'public'],
    ['93.184.216.34', 'public'],
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['10.0.0.1', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['172.32.0.1', 'public'],
    ['192.168.1.1', 'private'],
    ['169.254.169.254', 'link-local'],
    ['100.64.0.1', 'cgnat'],
    ['100.127.255.255', 'cgnat'],
    ['0.0.0.0', 'unspecified'],
    ['0.1.2.3', 'unspecified'],
    ['224.0.0.1', 'multicast'],
    ['239.255.255.250', 'multicast'],
    ['255.255.255.255', 'reserved'],
    ['::1', 'loopback'],
    ['[::1]', 'loopback'],
    ['::', 'unspecified'],
    ['fc00::1', 'unique-local'],
    ['fd12:3456::1', 'unique-local'],
    ['fe80::1', 'link-local'],
    ['fe80::1%eth0', 'link-local'],
    ['ff02::1', 'multicast'],
    ['2606:4700:4700::1111', 'public'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['::ffff:169.254.169.254', 'link-local'],
    ['::ffff:a9fe:a9fe', 'link-local'],
    ['::ffff:10.0.0.1', 'private'],
    ['::ffff:8.8.8.8', 'public'],
    ['64:ff9b::10.0.0.1', 'private'],
    ['::10.0.0.1', 'private'],
    ['not-an-ip', 'invalid'],
  ])('%s is %s', (address, cls) => {
    expect(classifyAddress(address)).toBe(cls);
  });

  it('finds the IPv4 address inside mapped forms', () => {
    expect(embeddedIPv4('::ffff:192.168.0.1')).toBe('192.168.0.1');
    expect(embeddedIPv4('2001:db8::1')).toBeUndefined();
  });
});

describe('builtinEgressCheck', () => {
  it('allows public addresses on 80 and 443 only', () => {
    expect(builtinEgressCheck({ host: 'example.com', port: 443, address: '93.184.216.34' })).toMatchObject({
      allowed: true,
      rule: 'egress.public',
    });
    expect(builtinEgressCheck({ host: 'example.com', port: 80 })).toMatchObject({ allowed: true });
    expect(builtinEgressCheck({ host: 'example.com', port: 22 })).toMatchObject({
      allowed: false,
      rule: 'egress.ports',
    });
  });

  it('refuses non-public literals before resolution and non-public resolved addresses', () => {
    expect(builtinEgressCheck({ host: '169.254.169.254', port: 80 })).toMatchObject({
      allowed: false,
      rule: 'egress.deny_link_local',
    });
    expect(builtinEgressCheck({ host: '[::1]', port: 443 })).toMatchObject({
      allowed: false,
      rule: 'egress.deny_loopback',
    });
    expect(builtinEgressCheck({ host: 'evil.example', port: 443, address: '10.1.2.3' })).toMatchObject({
      allowed: false,
      rule: 'egress.deny_private',
    });
    expect(builtinEgressCheck({ host: 'x', port: 80, address: '::ffff:127.0.0.1' })).toMatchObject({
      allowed: false,
      rule: 'egress.deny_loopback',
    });
  });
});
