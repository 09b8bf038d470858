import { intArg } from '../argv-helpers';
import { ToolSpecError } from '../errors';
import { checkHttpUrl } from '../http-url';
import { WEB_RUNTIME } from '../resource-presets';
import type { OutputSchema, ToolContext, ToolSpec } from '../types';
import { CURL_SCRIPT_PROGRAMS, cappedCurlResult, curlCommand } from './curl-argv';

export type WebSearchParams = {
  query: string;
  /** @default 5 */
  max_results?: number;
};

export interface WebSearchResult {
  title: string;
  url: string;
  snippet: string;
}

const MAX_QUERY = 500;

/** The JSON Schema of web_search's `structured`: `{ results: WebSearchResult[] }`. */
const WEB_SEARCH_OUTPUT: OutputSchema = {
  type: 'object',
  properties: {
    results: {
      type: 'array',
      description: "The backend's results, in its order, at most `max_results`.",
      items: {
        type: 'object',
        properties: {
          title: { type: 'string' },
          url: { type: 'string' },
          snippet: { type: 'string', description: "The backend's excerpt ('' when it gave none)." },
        },
        required: ['title', 'url', 'snippet'],
        additionalProperties: false,
      },
    },
  },
  required: ['results'],
  additionalProperties: false,
};
/** The backend's JSON is cut here; a cut response fails with SEARCH_RESPONSE_TOO_LARGE. */
export const MAX_SEARCH_RESPONSE_BYTES = 1024 * 1024;

/** The backend request: SearXNG's JSON API, `GET <base>/search?q=<query>&format=json`. */
export function searchUrl(ctx: ToolContext, query: string): string {
  const base = ctx.searchBackendUrl;
  if (base === undefined || base === '') {
    throw new ToolSpecError(
      'SEARCH_BACKEND_NOT_CONFIGURED',
      "web_search has no search backend configured: a SearXNG-compatible JSON endpoint (the worker's --search-backend-url, the executor's searchBackendUrl option)",
      { tool: 'web_search' },
    );
  }
  const checked = checkHttpUrl(base);
  if (!checked.ok || checked.href.includes('?') || checked.href.includes('#')) {
    const why = checked.ok ? 'must not have a query or fragment' : checked.message;
    throw new ToolSpecError('SEARCH_BACKEND_NOT_CONFIGURED', `the search backend URL ${why}`, { tool: 'web_search' });
  }
  return `${checked.href.replace(/\/+$/, '')}/search?q=${encodeURIComponent(query)}&format=json`;
}

export const webSearch: ToolSpec<WebSearchParams> = {
  name: 'web_search',
  displayName: 'Web search',
  description:
    'Search the web and return a list of results (title, URL, snippet). Use fetch_url to read a result. ' +
    'Write the query as you would in a search engine.',
  version: '1.1.0',
  parameters: {
    type: 'object',
    properties: {
      query: { type: 'string', minLength: 1, maxLength: MAX_QUERY, pattern: '\\S', description: 'The search query.' },
      max_results: { type: 'integer', minimum: 1, maximum: 20, default: 5, description: 'Maximum number of results.' },
    },
    required: ['query'],
    additionalProperties: false,
  },
  ...WEB_RUNTIME,
  programs: CURL_SCRIPT_PROGRAMS,
  outputSchema: WEB_SEARCH_OUTPUT,
  command(params, ctx) {
    if (typeof params.query !== 'string')
      throw new ToolSpecError('INVALID_PARAMS', 'query must be a string', { tool: 'web_search' });
    intArg(params.max_results ?? 5, 'max_results', 'web_search', 1, 20);
    // The query reaches curl only percent-encoded inside our URL, after `--`.
    const url = searchUrl(ctx, params.query);
    return curlCommand('web_search', ctx, {
      url,
      maxBytes: MAX_SEARCH_RESPONSE_BYTES,
      timeoutSeconds: 25,
      maxRedirs: 3,
      headers: ['Accept: application/json'],
    });
  },
  // One command, run through run() only to mark a response cut at the cap as truncated.
  async run(params, ctx, exec) {
    return cappedCurlResult(await exec(webSearch.command(params, ctx)), MAX_SEARCH_RESPONSE_BYTES);
  },
  parseOutput(result, params): { results: WebSearchResult[] } {
    if (result.truncated) {
      throw new ToolSpecError(
        'SEARCH_RESPONSE_TOO_LARGE',
        `search backend response is larger than ${MAX_SEARCH_RESPONSE_BYTES} bytes; it was cut, so it cannot be parsed`,
        { tool: 'web_search' },
      );
    }
    let body: unknown;
    try {
      body = JSON.parse(result.stdout);
    } catch (cause) {
      throw new ToolSpecError('SEARCH_BAD_RESPONSE', 'search backend did not return JSON', {
        tool: 'web_search',
        cause,
      });
    }
    const items = (body as { results?: unknown } | null)?.results;
    if (!Array.isArray(items)) {
      throw new ToolSpecError('SEARCH_BAD_RESPONSE', "search backend JSON has no 'results' array", {
        tool: 'web_search',
      });
    }
    const results: WebSearchResult[] = [];
    for (const item of items as Array<Record<string, unknown> | null>) {
      if (results.length >= (params.max_results ?? 5)) break;
      if (item === null || typeof item !== 'object' || typeof item.url !== 'string') continue;
      results.push({
        title: typeof item.title === 'string' ? item.title : item.url,
        url: item.url,
        snippet: typeof item.content === 'string' ? item.content : '',
      });
    }
    return { results };
  },
  fromArgs(args) {
    // The seed passed a single string; words are joined back into one query. Flags are not supported.
    if (args.some((a) => a.startsWith('-'))) {
      throw new ToolSpecError('UNSUPPORTED_ARG', 'web_search: legacy args take no flags', { tool: 'web_search' });
    }
    return { query: args.join(' ') };
  },
};
