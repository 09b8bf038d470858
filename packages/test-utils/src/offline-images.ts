/** Images built by scripts/build-offline-images.sh from the host's own binaries. */
export const OFFLINE_BUSYBOX_IMAGE = 'baaaht/tools-busybox:offline';
/** curl and busybox: web tools pipe curl through `head -c` in a constant sh script, as in curlimages/curl. */
export const OFFLINE_CURL_IMAGE = 'baaaht/tools-web:offline';

const WEB_TOOLS = new Set(['fetch_url', 'web_search']);

/** Per-tool image overrides that make the seed's eight tools and exec run offline. */
export function offlineToolImages(tools: readonly string[] = DEFAULT_TOOLS): Record<string, string> {
  return Object.fromEntries(tools.map((t) => [t, WEB_TOOLS.has(t) ? OFFLINE_CURL_IMAGE : OFFLINE_BUSYBOX_IMAGE]));
}

const DEFAULT_TOOLS = [
  'file_read',
  'file_write',
  'file_edit',
  'grep',
  'find',
  'list',
  'fetch_url',
  'web_search',
  'exec',
];
