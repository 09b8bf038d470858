/**
 * Pattern matching for the three kinds of names a policy talks about:
 * host paths (segment-wise, `*` never crosses `/`), host names
 * (`*.example.com`) and image references (`docker.io/library/*`).
 */

function globToRegExp(glob: string, star: string, flags = ''): RegExp {
  const escaped = glob.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, star);
  return new RegExp(`^${escaped}$`, flags);
}

/** Splits an absolute path into its segments; `/` is the empty list. */
export function pathSegments(p: string): string[] {
  return p.split('/').filter((s) => s !== '' && s !== '.');
}

/** A compiled path pattern. `*` matches within one segment, so `/tmp/*` never matches `/etc`. */
export class PathPattern {
  readonly source: string;
  private readonly segments: RegExp[];
  /** Number of segments: the longer, the more specific. */
  readonly specificity: number;
  /** Segments without wildcards, to rank `/home/alice` above `/home/*`. */
  readonly literalSegments: number;

  constructor(source: string) {
    this.source = source;
    const segs = pathSegments(source);
    this.segments = segs.map((s) => globToRegExp(s, '[^/]*'));
    this.specificity = segs.length;
    this.literalSegments = segs.filter((s) => !s.includes('*')).length;
  }

  /** True when `path` is the pattern's directory or lies under it. */
  covers(path: string): boolean {
    const segs = pathSegments(path);
    if (segs.length < this.segments.length) return false;
    return this.segments.every((re, i) => re.test(segs[i] ?? ''));
  }

  /**
   * True when `path` is a strict ancestor of something the pattern matches:
   * mounting `/etc` exposes `/etc/*`, mounting `/home` exposes `/home/*\/.ssh`.
   */
  isInside(path: string): boolean {
    const segs = pathSegments(path);
    if (segs.length >= this.segments.length) return false;
    return segs.every((s, i) => this.segments[i]?.test(s) ?? false);
  }

  /** The leading part without wildcards, e.g. `/home` for `/home/*\/projects`. */
  literalPrefix(): string {
    const segs = pathSegments(this.source);
    const idx = segs.findIndex((s) => s.includes('*'));
    return '/' + (idx < 0 ? segs : segs.slice(0, idx)).join('/');
  }
}

export function normalizeHost(host: string): string {
  let h = host.trim().toLowerCase();
  if (h.startsWith('[') && h.endsWith(']')) h = h.slice(1, -1);
  return h.endsWith('.') ? h.slice(0, -1) : h;
}

/** `*.example.com` matches any subdomain depth but not `example.com` itself; `*` matches every host. */
export function hostMatches(pattern: string, host: string): boolean {
  const p = normalizeHost(pattern);
  const h = normalizeHost(host);
  if (p === '*') return true;
  if (p.startsWith('*.')) return h.endsWith(p.slice(1)) && h.length > p.length - 1;
  return globToRegExp(p, '[^.]*', 'i').test(h);
}

export interface ImageReference {
  /** Registry + repository, e.g. `docker.io/library/alpine`. */
  name: string;
  tag: string | undefined;
  digest: string | undefined;
}

/** Normalises `alpine` to `docker.io/library/alpine` the way the Docker CLI does. */
export function parseImageReference(ref: string): ImageReference {
  let rest = ref.trim();
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
  }
  let tag: string | undefined;
  const lastSlash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  if (colon > lastSlash) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
  }
  const parts = rest.split('/');
  const first = parts[0] ?? '';
  const hasRegistry = parts.length > 1 && (first.includes('.') || first.includes(':') || first === 'localhost');
  let name = hasRegistry ? rest : `docker.io/${rest}`;
  if (name.startsWith('docker.io/') && name.split('/').length === 2)
    name = name.replace('docker.io/', 'docker.io/library/');
  return { name, tag, digest };
}

/**
 * Every spelling of the reference a pattern might have been written against;
 * a deny pattern `x:*` must also catch `x@sha256:...`.
 */
export function imageCandidates(ref: string): string[] {
  const { name, tag, digest } = parseImageReference(ref);
  const out = new Set<string>([ref.trim(), name, `${name}:${tag ?? ''}`]);
  if (tag !== undefined) out.add(`${name}:${tag}`);
  if (digest !== undefined) out.add(`${name}@${digest}`);
  if (tag !== undefined && digest !== undefined) out.add(`${name}:${tag}@${digest}`);
  if (tag === undefined && digest === undefined) out.add(`${name}:latest`);
  return [...out];
}

/** Seed semantics: `*` matches anything, including `/` and `:`. */
export function imageMatches(pattern: string, ref: string): boolean {
  const re = globToRegExp(pattern.trim(), '.*');
  return imageCandidates(ref).some((c) => re.test(c));
}

/** Plain glob for volume names and the like. */
export function simpleGlobMatches(pattern: string, value: string): boolean {
  return globToRegExp(pattern, '.*').test(value);
}
