import { fetchUrl, validateToolArgs, validateToolCall } from '../index';
import type { FetchUrlParams } from '../index';
import { ctx, validParams } from '../../test/fake-runner';

const validated = (params: Record<string, unknown>): FetchUrlParams => validParams<FetchUrlParams>('fetch_url', params);

describe('fetch_url', () => {
  it('builds a bounded curl through the egress proxy with the URL after --', () => {
    expect(fetchUrl.command(validated({ url: 'https://example.com/a?b=c' }), ctx).argv).toEqual([
      'curl',
      '-sS',
      '-L',
      '--max-redirs',
      '5',
      '--proto',
      '=http,https',
      '--proto-redir',
      '=http,https',
      '--fail-with-body',
      '--max-filesize',
      '1048576',
      '--max-time',
      '30',
      '--proxy',
      ctx.egressProxy,
      '--',
      'https://example.com/a?b=c',
    ]);
  });

  it('hands curl the canonical URL, so curl and the check agree', () => {
    const argv = fetchUrl.command(
      validated({ url: 'HTTP://Example.COM/a b'.replace(' ', '%20'), max_bytes: 10, timeout_seconds: 5 }),
      ctx,
    ).argv;
    expect(argv.slice(-2)).toEqual(['--', 'http://example.com/a%20b']);
    expect(argv).toEqual(expect.arrayContaining(['--max-filesize', '10', '--max-time', '5']));
  });

  it.each([
    ['file:///etc/passwd', /scheme/],
    ['gopher://x', /scheme/],
    ['https://user:pw@example.com/', /credentials/],
    ['-K/etc/passwd', /absolute http/],
    ['https://exa\nmple.com', /whitespace/],
    ['https://example.com/$(id)`x` ;', /whitespace/],
    [`https://example.com/${'a'.repeat(5000)}`, /at most/],
  ])('refuses %j', (url, message) => {
    const result = validateToolCall('fetch_url', { url });
    expect(result).toMatchObject({ ok: false, errors: [{ path: '/url', message: expect.stringMatching(message) }] });
    expect(() => fetchUrl.command({ url }, ctx)).toThrow();
  });

  it('never runs without the egress proxy', () => {
    expect(() => fetchUrl.command(validated({ url: 'https://example.com' }), { workspaceDir: '/workspace' })).toThrow(
      expect.objectContaining({ code: 'EGRESS_PROXY_REQUIRED', tool: 'fetch_url' }),
    );
  });

  it('bounds max_bytes and timeout_seconds', () => {
    expect(validateToolCall('fetch_url', { url: 'https://a.b', max_bytes: 0 })).toMatchObject({ ok: false });
    expect(validateToolCall('fetch_url', { url: 'https://a.b', timeout_seconds: 3600 })).toMatchObject({ ok: false });
  });

  it('maps legacy curl args', () => {
    expect(validateToolArgs('fetch_url', ['-sSL', '--max-time', '10', 'https://example.com'])).toMatchObject({
      ok: true,
      params: { url: 'https://example.com', timeout_seconds: 10 },
    });
    expect(validateToolArgs('fetch_url', ['-o', '/tmp/x', 'https://example.com'])).toMatchObject({
      ok: false,
      errors: [{ code: 'UNSUPPORTED_ARG' }],
    });
  });
});
