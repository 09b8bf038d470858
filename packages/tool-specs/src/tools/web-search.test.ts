import { validateToolArgs, validateToolCall, webSearch } from '../index';
import type { WebSearchParams } from '../index';
import { MAX_SEARCH_RESPONSE_BYTES } from './web-search';
import { ctx, fakeRunner, validParams, HOSTILE, ok } from '../../test/fake-runner';

const validated = (params: Record<string, unknown>): WebSearchParams =>
  validParams<WebSearchParams>('web_search', params);

describe('web_search', () => {
  it('queries the SearXNG JSON API through the egress proxy', () => {
    const argv = webSearch.command(validated({ query: 'rust async' }), ctx).argv;
    expect(argv.slice(-2)).toEqual(['--', 'http://searx.internal:8080/search?q=rust%20async&format=json']);
    expect(argv).toEqual(expect.arrayContaining(['--proxy', ctx.egressProxy, '-H', 'Accept: application/json']));
  });

  it.each(HOSTILE)('percent-encodes the query %j inside the URL', (query) => {
    const url = webSearch.command(validated({ query }), ctx).argv.at(-1) as string;
    expect(url).toBe(`http://searx.internal:8080/search?q=${encodeURIComponent(query)}&format=json`);
  });

  it('requires a configured backend and the egress proxy', () => {
    const params = validated({ query: 'x' });
    expect(() => webSearch.command(params, { workspaceDir: '/workspace', egressProxy: 'socks5h://p' })).toThrow(
      expect.objectContaining({ code: 'SEARCH_BACKEND_NOT_CONFIGURED' }),
    );
    expect(() =>
      webSearch.command(params, {
        workspaceDir: '/workspace',
        egressProxy: 'socks5h://p',
        searchBackendUrl: 'ftp://x',
      }),
    ).toThrow(expect.objectContaining({ code: 'SEARCH_BACKEND_NOT_CONFIGURED' }));
    expect(() => webSearch.command(params, { workspaceDir: '/workspace', searchBackendUrl: 'http://s' })).toThrow(
      expect.objectContaining({ code: 'EGRESS_PROXY_REQUIRED' }),
    );
  });

  it('parses results, limited to max_results', () => {
    const body = JSON.stringify({
      results: [
        { title: 'A', url: 'https://a', content: 'first' },
        { url: 'https://b' },
        { title: 'no url' },
        { title: 'C', url: 'https://c', content: 'third' },
      ],
    });
    expect(webSearch.parseOutput!(ok(body), validated({ query: 'q', max_results: 2 }))).toEqual({
      results: [
        { title: 'A', url: 'https://a', snippet: 'first' },
        { title: 'https://b', url: 'https://b', snippet: '' },
      ],
    });
  });

  it.each(['<html>', '{"answers":[]}', 'null'])('throws SEARCH_BAD_RESPONSE on %j', (stdout) => {
    expect(() => webSearch.parseOutput!(ok(stdout), validated({ query: 'q' }))).toThrow(
      expect.objectContaining({ code: 'SEARCH_BAD_RESPONSE' }),
    );
  });

  it('a backend response cut at the byte cap fails with SEARCH_RESPONSE_TOO_LARGE, not a parse error', async () => {
    const params = validated({ query: 'q' });
    const note = `note: response body cut at ${MAX_SEARCH_RESPONSE_BYTES} bytes\n`;
    const cut = await webSearch.run!(params, ctx, fakeRunner(ok('{"results":[', { stderr: note })).exec);
    expect(cut.truncated).toBe(true);
    expect(() => webSearch.parseOutput!(cut, params)).toThrow(
      expect.objectContaining({ code: 'SEARCH_RESPONSE_TOO_LARGE' }),
    );
  });

  it('validates the query and max_results', () => {
    expect(validateToolCall('web_search', { query: '   ' })).toMatchObject({ ok: false, errors: [{ path: '/query' }] });
    expect(validateToolCall('web_search', { query: 'x'.repeat(501) })).toMatchObject({
      ok: false,
      errors: [{ path: '/query' }],
    });
    expect(validateToolCall('web_search', { query: 'x', max_results: 21 })).toMatchObject({
      ok: false,
      errors: [{ path: '/max_results' }],
    });
    expect(validateToolCall('web_search', { query: 'x' })).toMatchObject({
      ok: true,
      params: { query: 'x', max_results: 5 },
    });
    expect(validateToolArgs('web_search', ['golang', 'generics'])).toMatchObject({
      ok: true,
      params: { query: 'golang generics' },
    });
  });
});
