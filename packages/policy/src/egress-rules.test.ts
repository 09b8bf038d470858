import { egressCorpus } from '@baaaht/test-utils';
import { defaultPolicy } from './default-policy';
import type { NetworkPolicy } from './model';
import { evaluateEgress } from './egress-rules';
import { createPolicyEnforcer } from './policy-enforcer';

const defaults = defaultPolicy().network as NetworkPolicy;
const check = (net: NetworkPolicy, host: string, port = 443, address?: string) =>
  evaluateEgress({ host, port, address }, net);

describe('default egress: public hosts on 80/443 only', () => {
  it.each([
    ['example.com', undefined],
    ['example.com', '93.184.216.34'],
    ['8.8.8.8', undefined],
    ['[2606:4700:4700::1111]', undefined],
  ])('allows %s (%s)', (host, address) => {
    expect(check(defaults, host, 443, address)).toMatchObject({ allowed: true });
  });

  it.each([
    ['localhost', '127.0.0.1'],
    ['internal.corp', '10.0.0.5'],
    ['x', '172.20.1.1'],
    ['x', '192.168.0.1'],
    ['metadata', '169.254.169.254'],
    ['169.254.169.254', undefined],
    ['x', '100.64.1.1'],
    ['x', 'fd00::1'],
    ['x', 'fe80::1'],
    ['x', '::1'],
    ['0.0.0.0', undefined],
    ['x', '224.0.0.251'],
    ['x', '::ffff:127.0.0.1'],
    ['[::ffff:169.254.169.254]', undefined],
  ])('denies %s -> %s as non-public', (host, address) => {
    expect(check(defaults, host, 443, address)).toMatchObject({ allowed: false, rule: 'network.deny_private' });
  });

  it('denies other ports', () => {
    expect(check(defaults, 'example.com', 22)).toMatchObject({ allowed: false, rule: 'network.allowed_ports' });
  });

  it('judges numeric hosts in non-standard forms as the address they denote, before resolution', () => {
    for (const host of ['2130706433', '0x7f.1', '127.1'])
      expect(check(defaults, host)).toMatchObject({
        allowed: false,
        rule: 'network.deny_private',
        reason: expect.stringContaining('127.0.0.1 is loopback'),
      });
    expect(check(defaults, '08.0.0.1')).toMatchObject({ allowed: false, rule: 'network.host' });
  });

  it('rejects an unparsable resolved address and invalid ports', () => {
    expect(check(defaults, 'example.com', 443, 'not-an-ip')).toMatchObject({ allowed: false, rule: 'network.address' });
    expect(check(defaults, 'example.com', 0)).toMatchObject({ allowed: false, rule: 'network.port' });
  });
});

describe('host and CIDR rules', () => {
  it('host allow and deny patterns', () => {
    const net: NetworkPolicy = {
      allowed_hosts: ['*.example.com', 'api.github.com'],
      denied_hosts: ['evil.example.com'],
    };
    expect(check(net, 'www.example.com').allowed).toBe(true);
    expect(check(net, 'a.b.example.com.').allowed).toBe(true);
    expect(check(net, 'API.GitHub.com').allowed).toBe(true);
    expect(check(net, 'example.com')).toMatchObject({ allowed: false, rule: 'network.allowed_hosts' });
    expect(check(net, 'notexample.com')).toMatchObject({ allowed: false, rule: 'network.allowed_hosts' });
    expect(check(net, 'evil.example.com')).toMatchObject({ allowed: false, rule: 'network.denied_hosts' });
  });

  it('an allowed host still may not resolve to a private address', () => {
    expect(check({ allowed_hosts: ['*.example.com'] }, 'www.example.com', 443, '10.0.0.1')).toMatchObject({
      rule: 'network.deny_private',
    });
  });

  it('an explicit CIDR allow admits a private range; others stay denied', () => {
    const net: NetworkPolicy = { allowed_networks: ['10.1.0.0/16'] };
    expect(check(net, 'svc', 443, '10.1.2.3').allowed).toBe(true);
    expect(check(net, 'svc', 443, '10.2.0.1')).toMatchObject({ allowed: false, rule: 'network.allowed_networks' });
    expect(check(net, 'svc', 443, '8.8.8.8')).toMatchObject({ allowed: false, rule: 'network.allowed_networks' });
  });

  it('denied CIDRs win over allowed ones, including IPv4-mapped IPv6', () => {
    const net: NetworkPolicy = { allowed_networks: ['10.0.0.0/8'], denied_networks: ['10.9.0.0/16'] };
    expect(check(net, 'x', 443, '10.9.1.1')).toMatchObject({ allowed: false, rule: 'network.denied_networks' });
    expect(check(net, 'x', 443, '::ffff:10.9.1.1')).toMatchObject({ allowed: false, rule: 'network.denied_networks' });
  });

  it('allow_private opens private ranges', () => {
    expect(check({ allow_private: true }, 'x', 443, '192.168.1.1').allowed).toBe(true);
  });

  it('allow_network: false denies everything', () => {
    expect(check({ allow_network: false }, 'example.com')).toMatchObject({
      allowed: false,
      rule: 'network.allow_network',
    });
  });

  it('the seed example (deny 0.0.0.0/0) blocks all IPv4 egress', () => {
    const net: NetworkPolicy = { allowed_networks: ['10.0.0.0/8'], denied_networks: ['0.0.0.0/0'] };
    expect(check(net, 'x', 443, '10.0.0.1')).toMatchObject({ allowed: false, rule: 'network.denied_networks' });
  });
});

describe('a catch-all allow does not admit internal ranges', () => {
  const catchAll: NetworkPolicy = { allowed_networks: ['0.0.0.0/0', '::/0'] };
  it.each([
    ['127.0.0.1', 'loopback'],
    ['169.254.169.254', 'linkLocal'],
    ['10.0.0.1', 'private'],
    ['100.64.0.1', 'cgnat'],
    ['fd00::1', 'uniqueLocal'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['2002:a9fe:a9fe::', 'linkLocal'],
  ])('0.0.0.0/0 + ::/0 still deny %s (%s)', (address, cls) => {
    expect(check(catchAll, 'x', 443, address)).toMatchObject({
      allowed: false,
      rule: 'network.deny_private',
      reason: expect.stringContaining(`is ${cls}`),
    });
  });

  it('huge CIDRs that contain a range are catch-alls too', () => {
    expect(check({ allowed_networks: ['0.0.0.0/1'] }, 'x', 443, '10.0.0.1')).toMatchObject({ allowed: false });
    expect(check({ allowed_networks: ['8.0.0.0/7'] }, 'x', 443, '10.0.0.1')).toMatchObject({ allowed: false });
  });

  it('names the allowing entry for a public address', () => {
    expect(check(catchAll, 'x', 443, '8.8.8.8')).toMatchObject({
      allowed: true,
      rule: 'network.allowed_networks',
      reason: expect.stringContaining('0.0.0.0/0'),
    });
    expect(check({}, 'x', 443, '8.8.8.8')).toMatchObject({ allowed: true, rule: 'network.public' });
  });

  it('an entry inside the range admits it: 127.0.0.0/8 reaches a loopback test server', () => {
    const net: NetworkPolicy = { allowed_networks: ['0.0.0.0/0', '127.0.0.0/8'] };
    expect(check(net, '127.0.0.1', 8080, '127.0.0.1')).toMatchObject({
      allowed: true,
      rule: 'network.allowed_networks',
      reason: expect.stringContaining('allowed explicitly by 127.0.0.0/8'),
    });
    expect(check(net, 'x', 443, '::ffff:127.0.0.1')).toMatchObject({ allowed: true });
    // ...but not the same address wrapped in a form that leaves through a relay or translator.
    expect(check(net, 'x', 443, '2002:7f00:1::')).toMatchObject({ allowed: false, rule: 'network.deny_private' });
    expect(check(net, 'x', 443, '10.0.0.1')).toMatchObject({ allowed: false, rule: 'network.deny_private' });
  });

  it('allow_private admits every internal range, and denied networks still win', () => {
    const net: NetworkPolicy = {
      allowed_networks: ['0.0.0.0/0'],
      allow_private: true,
      denied_networks: ['169.254.0.0/16'],
    };
    expect(check(net, 'x', 443, '10.0.0.1')).toMatchObject({ allowed: true, rule: 'network.allow_private' });
    expect(check(net, 'x', 443, '169.254.169.254')).toMatchObject({ allowed: false, rule: 'network.denied_networks' });
  });

  it('reserved names are refused unless named in allowed_hosts or allow_private is set', () => {
    expect(check(defaults, 'localhost')).toMatchObject({ allowed: false, rule: 'network.deny_private' });
    expect(check({ allowed_hosts: ['*'] }, 'metadata.google.internal')).toMatchObject({ allowed: false });
    expect(check({ allowed_hosts: ['localhost'] }, 'localhost')).toMatchObject({ allowed: true, rule: 'network.host' });
    expect(check({ allow_private: true }, 'localhost')).toMatchObject({ allowed: true });
  });
});

describe('the egress corpus against checkEgress', () => {
  const corpus = egressCorpus();
  const policies = {
    default: defaultPolicy(),
    'catch-all allow': {
      ...defaultPolicy(),
      network: { ...defaultPolicy().network, allowed_networks: ['0.0.0.0/0', '::/0'] },
    },
  };
  describe.each(Object.entries(policies))('with the %s policy', (_name, policy) => {
    const enforcer = createPolicyEnforcer(policy);
    it.each(corpus.map((e) => [e.input, e] as const))('%j', (_input, e) => {
      const byName = enforcer.checkEgress({ host: e.input, port: 443 });
      // The proxy's second call: the literal itself, or what the name resolved to.
      const address = e.kind === 'address' ? e.input : e.resolvesTo;
      const final =
        byName.allowed && address !== undefined ? enforcer.checkEgress({ host: e.input, port: 443, address }) : byName;
      expect(final.allowed).toBe(e.egress === 'allow');
      expect(final.rule).toMatch(/^network\./);
    });
  });
});

describe('the decision names the rule and the entry that decided', () => {
  it('loopback admitted by allowed_networks names that entry, not the public rule', () => {
    const net: NetworkPolicy = { ...defaults, allowed_networks: ['127.0.0.0/8'] };
    expect(check(net, 'localhost.test', 443, '127.0.0.1')).toMatchObject({
      allowed: true,
      rule: 'network.allowed_networks',
      match: '127.0.0.0/8',
    });
    expect(check(net, '127.0.0.1', 443)).toMatchObject({ rule: 'network.allowed_networks', match: '127.0.0.0/8' });
  });

  it('a public address is the public rule with no entry; a denied network and host name theirs', () => {
    expect(check(defaults, 'example.com', 443, '93.184.216.34')).toEqual({
      allowed: true,
      rule: 'network.public',
      reason: expect.any(String),
    });
    const net: NetworkPolicy = { ...defaults, denied_networks: ['93.184.0.0/16'], denied_hosts: ['*.bad.test'] };
    expect(check(net, 'example.com', 443, '93.184.216.34')).toMatchObject({
      allowed: false,
      rule: 'network.denied_networks',
      match: '93.184.0.0/16',
    });
    expect(check(net, 'x.bad.test', 443)).toMatchObject({ rule: 'network.denied_hosts', match: '*.bad.test' });
  });
});
