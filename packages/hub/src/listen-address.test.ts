import { assessListener, isLoopbackHost, parseListenAddress } from './listen-address';
import { resolveHubOptions } from './hub-options';

describe('parseListenAddress', () => {
  test.each([
    ['unix:///tmp/x.sock', { kind: 'unix', path: '/tmp/x.sock', bindTarget: 'unix:/tmp/x.sock' }],
    ['unix:/tmp/x.sock', { kind: 'unix', path: '/tmp/x.sock', bindTarget: 'unix:/tmp/x.sock' }],
    ['127.0.0.1:0', { kind: 'tcp', host: '127.0.0.1', port: 0, bindTarget: '127.0.0.1:0' }],
  ])('%s', (input, expected) => expect(parseListenAddress(input)).toEqual(expected));

  test.each(['unix:rel.sock', 'nohost', 'h:99999'])('rejects %p', (input) => {
    expect(() => parseListenAddress(input)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });
});

describe('assessListener (secure by default)', () => {
  const tcp = (hostPort: string): ReturnType<typeof parseListenAddress> => parseListenAddress(hostPort);
  const none = { tls: false, bearerToken: false, insecure: false };

  test('a Unix socket is guarded by its file mode', () => {
    expect(assessListener(parseListenAddress('unix:///run/baaaht/grpc.sock'), none)).toEqual({ allowed: true });
  });

  test('TCP on 127.0.0.1 without TLS or token is refused, naming what anyone could do', () => {
    const verdict = assessListener(tcp('127.0.0.1:0'), none);
    expect(verdict.allowed).toBe(false);
    if (verdict.allowed) return;
    expect(verdict.error).toMatchObject({ name: 'HubListenError', code: 'INSECURE_LISTENER', address: '127.0.0.1:0' });
    expect(verdict.error.message).toMatch(/without TLS or a token: any local user or process can register as a worker/);
  });

  test('--insecure lets it start, with a warning', () => {
    const verdict = assessListener(tcp('127.0.0.1:0'), { ...none, insecure: true });
    expect(verdict).toEqual({ allowed: true, warning: expect.stringMatching(/^insecure listener on 127\.0\.0\.1:0/) });
  });

  test('a bearer token is enough on loopback', () => {
    expect(assessListener(tcp('[::1]:7000'), { ...none, bearerToken: true })).toEqual({ allowed: true });
    expect(assessListener(tcp('localhost:7000'), { ...none, bearerToken: true })).toEqual({ allowed: true });
  });

  test.each(['0.0.0.0:7000', '10.1.2.3:7000', 'hub.example.org:443', '[::]:7000'])(
    'non-loopback %s without TLS is refused even with a token',
    (address) => {
      const verdict = assessListener(tcp(address), { ...none, bearerToken: true });
      expect(verdict).toMatchObject({ allowed: false, error: { code: 'INSECURE_LISTENER' } });
      if (!verdict.allowed) expect(verdict.error.message).toMatch(/anyone on the network/);
      const accepted = assessListener(tcp(address), { ...none, bearerToken: true, insecure: true });
      expect(accepted).toEqual({ allowed: true, warning: expect.stringContaining('anyone on the network') });
    },
  );

  test('TLS makes any TCP listener acceptable', () => {
    expect(assessListener(tcp('0.0.0.0:7443'), { ...none, tls: true })).toEqual({ allowed: true });
  });

  test.each([
    ['127.0.0.1', true],
    ['127.9.9.9', true],
    ['[::1]', true],
    ['localhost', true],
    ['0.0.0.0', false],
    ['[::]', false],
    ['192.168.1.10', false],
    ['128.0.0.1', false],
    ['example.com', false],
  ])('isLoopbackHost(%s) = %s', (host, expected) => expect(isLoopbackHost(host)).toBe(expected));
});

describe('resolveHubOptions', () => {
  test('defaults', () => {
    expect(resolveHubOptions()).toMatchObject({
      leaseMs: 30000,
      maxReceiveMessageBytes: 104857600,
      dataDir: undefined,
    });
  });
  test.each([
    [{ leaseMs: 0 }, /leaseMs/],
    [{ dataDir: '' }, /dataDir/],
    [{ bearerToken: ' ' }, /bearerToken/],
    [{ shutdownGraceMs: -5 }, /shutdownGraceMs/],
    [{ socketGroup: 'no-such-group-here' }, /socketGroup/],
    [{ socketProbeTimeoutMs: 0 }, /socketProbeTimeoutMs/],
  ])('rejects %p with a TypeError naming the field', (bad, field) => {
    expect(() => resolveHubOptions(bad)).toThrow(TypeError);
    expect(() => resolveHubOptions(bad)).toThrow(field);
  });
});
