import { intArg } from '../argv-helpers';
import { ToolSpecError } from '../errors';
import { checkHttpUrl, MAX_URL_LENGTH } from '../http-url';
import { legacyInt, parseLegacyArgs, expectPositionals } from '../legacy-args';
import { WEB_RUNTIME } from '../resource-presets';
import type { ToolSpec } from '../types';
import { CURL_SCRIPT_PROGRAMS, cappedCurlResult, curlCommand } from './curl-argv';

export type FetchUrlParams = {
  url: string;
  /** @default 1048576 */
  max_bytes?: number;
  /** @default 30 */
  timeout_seconds?: number;
};

const MAX_BYTES = 10 * 1024 * 1024;

function maxBytesOf(params: FetchUrlParams): number {
  return Number(intArg(params.max_bytes ?? 1024 * 1024, 'max_bytes', 'fetch_url', 1, MAX_BYTES));
}

export const fetchUrl: ToolSpec<FetchUrlParams> = {
  name: 'fetch_url',
  displayName: 'Fetch URL',
  description:
    'Fetch a web page or file over HTTP(S) and return the raw response body (HTML is not converted). ' +
    'Follows up to 5 redirects. HTTP errors (4xx/5xx) fail the call but still return the body. ' +
    'Use web_search first when you do not know the URL.',
  version: '1.1.0',
  parameters: {
    type: 'object',
    properties: {
      url: {
        type: 'string',
        format: 'uri',
        minLength: 1,
        maxLength: MAX_URL_LENGTH,
        'x-argv': true,
        description: 'Absolute http:// or https:// URL, without credentials.',
      },
      max_bytes: {
        type: 'integer',
        minimum: 1,
        maximum: MAX_BYTES,
        default: 1024 * 1024,
        description:
          'Return at most this many bytes of the body: a longer body is cut here (the download stops) and the result is marked truncated.',
      },
      timeout_seconds: {
        type: 'integer',
        minimum: 1,
        maximum: 60,
        default: 30,
        description: 'Give up after this many seconds.',
      },
    },
    required: ['url'],
    additionalProperties: false,
  },
  ...WEB_RUNTIME,
  programs: CURL_SCRIPT_PROGRAMS,
  timeoutMs: 60_000,
  validateParams(params) {
    const checked = checkHttpUrl(params.url);
    return checked.ok ? [] : [{ path: '/url', message: checked.message }];
  },
  command(params, ctx) {
    const checked = checkHttpUrl(String(params.url));
    if (!checked.ok) throw new ToolSpecError('INVALID_PARAMS', `url ${checked.message}`, { tool: 'fetch_url' });
    return curlCommand('fetch_url', ctx, {
      url: checked.href,
      maxBytes: maxBytesOf(params),
      timeoutSeconds: Number(intArg(params.timeout_seconds ?? 30, 'timeout_seconds', 'fetch_url', 1, 60)),
      maxRedirs: 5,
    });
  },
  // One command, run through run() only to mark a body cut at max_bytes as truncated.
  async run(params, ctx, exec) {
    return cappedCurlResult(await exec(fetchUrl.command(params, ctx)), maxBytesOf(params));
  },
  fromArgs(args) {
    // The seed passed curl-style args; only harmless output flags and the two limits map across.
    const parsed = parseLegacyArgs('fetch_url', args, {
      booleans: 'sSL',
      longBooleans: ['--silent', '--show-error', '--location'],
      withValue: ['--max-time', '--max-filesize'],
    });
    expectPositionals('fetch_url', parsed.positionals, 1, 1);
    const params: FetchUrlParams = { url: parsed.positionals[0] as string };
    for (const { flag, value } of parsed.flags) {
      if (flag === '--max-time') params.timeout_seconds = legacyInt('fetch_url', flag, value);
      if (flag === '--max-filesize') params.max_bytes = legacyInt('fetch_url', flag, value);
    }
    return params;
  },
};
