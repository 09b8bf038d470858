/** Longest URL accepted from a model (browsers and proxies commonly cap near 2 KB–8 KB). */
export const MAX_URL_LENGTH = 4096;

/**
 * Checks a URL for the web tools and returns its canonical form, which is what curl gets, so that
 * curl and this check parse the same string. http/https only, no credentials, no whitespace or controls
 * (the WHATWG parser silently drops tabs and newlines, curl would not).
 */
export function checkHttpUrl(input: string): { ok: true; href: string } | { ok: false; message: string } {
  if (input.length > MAX_URL_LENGTH) return { ok: false, message: `must be at most ${MAX_URL_LENGTH} characters` };
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0020\u007f]/.test(input))
    return { ok: false, message: 'must not contain whitespace or control characters' };
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    return { ok: false, message: 'must be an absolute http(s) URL' };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    return { ok: false, message: `scheme must be http or https (got '${url.protocol}')` };
  if (url.username !== '' || url.password !== '') return { ok: false, message: 'must not contain credentials' };
  if (url.href.length > MAX_URL_LENGTH)
    return { ok: false, message: `must be at most ${MAX_URL_LENGTH} characters once normalised` };
  return { ok: true, href: url.href };
}
