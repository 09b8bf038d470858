import { egressCorpus } from '@baaaht/test-utils';
import { classifyAddress, classifyHost, describeVerdict } from './address-class';

const corpus = egressCorpus();

describe('the egress corpus against the classifier', () => {
  it('has more than 100 entries', () => {
    expect(corpus.length).toBeGreaterThan(100);
  });

  it.each(corpus.map((e) => [e.input, e] as const))('%j', (_input, e) => {
    const v = classifyHost(e.input);
    expect(v.kind).toBe(e.kind);
    if (v.kind === 'address') {
      expect(v.class).toBe(e.class);
      expect(v.embedded).toEqual(e.embedded);
      expect(v.class === 'public').toBe(e.egress === 'allow');
    } else if (v.kind === 'name') {
      expect(v.class).toBe(e.class);
      if (e.resolvesTo !== undefined) {
        const r = classifyAddress(e.resolvesTo);
        expect(r.kind === 'address' && r.class === 'public').toBe(e.egress === 'allow');
      }
    } else {
      expect(v.code).toBe(e.code);
    }
  });
});

describe('IPv6 forms that embed IPv4 are judged by the IPv4 address', () => {
  it.each([
    ['::ffff:127.0.0.1', 'ipv4Mapped'],
    ['::127.0.0.1', 'ipv4Compatible'],
    ['::ffff:0:127.0.0.1', 'siit'],
    ['64:ff9b::7f00:1', 'nat64'],
    ['64:ff9b:1::7f00:1', 'nat64LocalUse'],
    ['2002:7f00:1::', '6to4'],
    ['2001:0:4136:e378:8000:63bf:80ff:fffe', 'teredo'],
  ])('%s (%s of 127.0.0.1) is loopback', (input, form) => {
    expect(classifyAddress(input)).toMatchObject({ class: 'loopback', embedded: { form, ipv4: '127.0.0.1' } });
  });

  it('reads the Teredo client as the bitwise NOT of the last 32 bits', () => {
    // ~f5ff:fffe = 0a00:0001 = 10.0.0.1
    expect(classifyAddress('2001:0:4136:e378:8000:63bf:f5ff:fffe')).toMatchObject({
      class: 'private',
      embedded: { form: 'teredo', ipv4: '10.0.0.1' },
    });
  });

  it('keeps ::a.b.c.d as IPv4-compatible, not mapped', () => {
    expect(classifyAddress('::10.0.0.1')).toMatchObject({ address: '::a00:1', embedded: { form: 'ipv4Compatible' } });
  });

  it('judges local-use NAT64 by the most restrictive RFC 6052 offset', () => {
    // At the /64 offset (bytes 9-12) this is 127.0.0.1; at /96 it would be 0.0.0.0.
    expect(classifyAddress('64:ff9b:1:0:7f:0:100:0')).toMatchObject({ embedded: { form: 'nat64LocalUse' } });
    expect(classifyAddress('64:ff9b:1:0:7f:0:100:0')).not.toMatchObject({ class: 'public' });
  });

  it('describes a verdict in one log line', () => {
    expect(describeVerdict(classifyAddress('2002:7f00:1::'))).toBe('2002:7f00:1:: (6to4 of 127.0.0.1) is loopback');
  });
});

describe('spellings are judged as the address they denote', () => {
  it.each(['2130706433', '0177.0.0.1', '0x7f.1', '127.1', '0x7f000001', '127.0.0.1.'])('%s is 127.0.0.1', (input) => {
    expect(classifyHost(input)).toMatchObject({ kind: 'address', address: '127.0.0.1', class: 'loopback' });
  });

  it('drops a zone id and judges the address', () => {
    expect(classifyHost('fe80::1%eth0')).toMatchObject({ address: 'fe80::1', class: 'linkLocal', nonCanonical: true });
  });

  it('never calls unparsable input public', () => {
    for (const input of ['', 'not an ip', '[nope]', '1.2.3.4.5', '08.0.0.1', '::ffff:1.2.3.999'])
      expect(classifyHost(input).kind).toBe('invalid');
  });
});
