import { requireEgressProxy } from '../argv-helpers';
import type { CommandResult, ToolCommand, ToolContext } from '../types';

/**
 * Runs curl (`"$@"` from `$2` on) with its body going through `dd`, which passes at most `$1` bytes and
 * then exits: curl's next write fails and curl stops, so the download ends near the limit whatever the
 * server declared (a missing or lying Content-Length; `--max-filesize` only judges the header). `dd`
 * copies each read as it comes (busybox `head -c` buffers, so output printed before a timeout would be
 * lost). curl's `-w` reports the status and the bytes it received to /tmp, away from the body.
 * The body was cut when curl received more than `dd` passed, or could not write (23: `dd` had stopped
 * reading). After a cut, whatever curl said about the bytes past it is dropped (the write error, a
 * transfer that broke later): only the response status counts, 22 for an HTTP error as
 * `--fail-with-body` would have said. Constant: parameters only ever arrive as positional arguments.
 */
export const CAPPED_CURL_SCRIPT = [
  'n=$1',
  'shift',
  '{ curl -w "%{http_code} %{size_download}" -o /dev/fd/3 "$@" 3>&1 >/tmp/curl-w 2>/tmp/curl-err; echo "$?" >/tmp/curl-rc; } |',
  '  dd bs=65536 count="$n" iflag=count_bytes 2>/dev/null',
  'read -r rc </tmp/curl-rc',
  'read -r code size </tmp/curl-w',
  'if [ "$rc" = 23 ] || [ "${size:-0}" -gt "$n" ]; then',
  '  if [ "${code:-0}" -ge 400 ]; then',
  '    rc=22; echo "curl: (22) The requested URL returned error: $code" >/tmp/curl-err',
  '  else',
  '    rc=0; : >/tmp/curl-err',
  '  fi',
  '  echo "note: response body cut at $n bytes" >>/tmp/curl-err',
  'fi',
  'cat /tmp/curl-err >&2',
  'exit "$rc"',
].join('\n');

/** What CAPPED_CURL_SCRIPT runs: the shell, curl, and `dd` and `cat` around it. */
export const CURL_SCRIPT_PROGRAMS: readonly string[] = Object.freeze(['sh', 'curl', 'dd', 'cat']);

/** The stderr line the script ends with when it cut the body. */
export function bodyCutNote(maxBytes: number): string {
  return `note: response body cut at ${maxBytes} bytes\n`;
}

export interface CurlOptions {
  url: string;
  /** The body is cut at this many bytes (and the download stops there). */
  maxBytes: number;
  timeoutSeconds: number;
  maxRedirs: number;
  headers?: string[];
}

/**
 * The curl invocation both web tools share, as one constant `sh -c` script (see CAPPED_CURL_SCRIPT).
 * Every flag exists in curl 7.88 and 8.6; `--` ends options, so the URL (always last) can never be read
 * as one. Redirects stay on http/https; the proxy is the worker's egress proxy, the container has no
 * other route out. The image needs `sh` and `dd` beside curl (curlimages/curl has busybox).
 */
export function curlCommand(tool: string, ctx: ToolContext, opts: CurlOptions): ToolCommand {
  const proxy = requireEgressProxy(ctx, tool);
  const args = [
    '-sS',
    '-N',
    '-L',
    '--max-redirs',
    String(opts.maxRedirs),
    '--proto',
    '=http,https',
    '--proto-redir',
    '=http,https',
    '--fail-with-body',
    '--max-time',
    String(opts.timeoutSeconds),
    '--proxy',
    proxy,
  ];
  for (const h of opts.headers ?? []) args.push('-H', h);
  args.push('--', opts.url);
  return { argv: ['sh', '-c', CAPPED_CURL_SCRIPT, tool, String(opts.maxBytes), ...args] };
}

/** The script's result with `truncated` set when it cut the body at `maxBytes`. */
export function cappedCurlResult(result: CommandResult, maxBytes: number): CommandResult {
  return result.stderr.endsWith(bodyCutNote(maxBytes)) ? { ...result, truncated: true } : result;
}
