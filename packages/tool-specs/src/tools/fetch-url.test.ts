import { fetchUrl, validateToolArgs, validateToolCall } from '../index';
import type { FetchUrlParams } from '../index';
import { CAPPED_CURL_SCRIPT } from './curl-argv';
import { ctx, fakeRunner, ok, validParams } from '../../test/fake-runner';

const validated = (params: Record<string, unknown>): FetchUrlParams => validParams<FetchUrlParams>('fetch_url', params);

describe('fetch_url', () => {
  it('builds a bounded curl through the egress proxy with the URL after --, its body capped by a constant script', () => {
    // Since issue 12: the cap is dd in a constant script, not curl's --max-filesize (which only judges Content-Length).
    expect(fetchUrl.command(validated({ url: 'https://example.com/a?b=c' }), ctx).argv).toEqual([
      'sh',
      '-c',
      CAPPED_CURL_SCRIPT,
      'fetch_url',
      '1048576',
      '-sS',
      '-N',
      '-L',
      '--max-redirs',
      '5',
      '--proto',
      '=http,https',
      '--proto-redir',
      '=http,https',
      '--fail-with-body',
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
    expect(argv[4]).toBe('10');
    expect(argv).toEqual(expect.arrayContaining(['--max-time', '5']));
  });

  it('marks the result truncated only when the script says it cut the body at max_bytes', async () => {
    const params = validated({ url: 'https://example.com/', max_bytes: 1000 });
    const cut = fakeRunner(ok('x'.repeat(1000), { stderr: 'note: response body cut at 1000 bytes\n' }));
    expect(await fetchUrl.run!(params, ctx, cut.exec)).toMatchObject({ exitCode: 0, truncated: true });
    const whole = fakeRunner(ok('x'.repeat(1000)));
    expect(await fetchUrl.run!(params, ctx, whole.exec)).toMatchObject({ exitCode: 0, truncated: false });
    expect(whole.commands).toEqual([fetchUrl.command(params, ctx)]);
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
