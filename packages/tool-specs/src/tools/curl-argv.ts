import { requireEgressProxy } from '../argv-helpers';
import type { ToolContext } from '../types';

/**
 * The curl invocation both web tools share. Every flag exists in curl 7.88 and 8.6; `--` ends options,
 * so the URL (always last) can never be read as one. Redirects stay on http/https; the proxy is the
 * worker's egress proxy, the container has no other route out.
 */
export function curlArgv(
  tool: string,
  ctx: ToolContext,
  opts: { url: string; maxBytes: number; timeoutSeconds: number; maxRedirs: number; headers?: string[] },
): string[] {
  const proxy = requireEgressProxy(ctx, tool);
  const argv = [
    'curl',
    '-sS',
    '-L',
    '--max-redirs',
    String(opts.maxRedirs),
    '--proto',
    '=http,https',
    '--proto-redir',
    '=http,https',
  ];
  argv.push(
    '--fail-with-body',
    '--max-filesize',
    String(opts.maxBytes),
    '--max-time',
    String(opts.timeoutSeconds),
    '--proxy',
    proxy,
  );
  for (const h of opts.headers ?? []) argv.push('-H', h);
  argv.push('--', opts.url);
  return argv;
}
