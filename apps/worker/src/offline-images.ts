/**
 * `--offline-images`: the tool images `pnpm images:offline` (scripts/build-offline-images.sh) builds from
 * this host's own binaries, so a worker runs where no registry is reachable with one switch.
 */
import { createToolCatalog } from '@baaaht/tool-specs';
import type { ToolSpec } from '@baaaht/tool-specs';
import type { WorkerConfig } from './config-schema';

/** Debian's busybox-static and its applet links: the file tools. */
export const OFFLINE_FILE_IMAGE = 'baaaht/tools-busybox:offline';
/** curl, its libraries, a CA bundle and busybox: the web tools. */
export const OFFLINE_WEB_IMAGE = 'baaaht/tools-web:offline';
/** What builds both images, from a checkout. */
export const OFFLINE_BUILD_COMMAND = 'pnpm images:offline';

/** The offline image a tool runs on: the web one for tools that need the network, else busybox. */
export function offlineImageFor(spec: Pick<ToolSpec, 'network'>): string {
  return spec.network === 'egress' ? OFFLINE_WEB_IMAGE : OFFLINE_FILE_IMAGE;
}

/** Every catalog tool's offline image. */
export function offlineToolImages(): Record<string, string> {
  return Object.fromEntries(
    createToolCatalog()
      .all()
      .map((s) => [s.name, offlineImageFor(s)]),
  );
}

/** The `--tool-image` flags `--offline-images` stands for. */
export function offlineImageFlags(): string[] {
  return Object.entries(offlineToolImages()).flatMap(([tool, image]) => ['--tool-image', `${tool}=${image}`]);
}

/**
 * With `offlineImages` on: each tool without its own `--tool-image` (or `*=`) gets its offline image, and
 * the pull policy becomes `never` unless one was set explicitly. Sources say `--offline-images` (or the
 * env/config key that turned it on).
 */
export function applyOfflineImages<T extends { config: WorkerConfig; sources: Record<keyof WorkerConfig, string> }>(
  resolved: T,
): T {
  const { config, sources } = resolved;
  if (!config.offlineImages) return resolved;
  const own = config.toolImages;
  // The operator's entries stay as they are (a misspelt tool is still refused by the catalog).
  const toolImages: Record<string, string> = { ...own };
  for (const [tool, image] of Object.entries(offlineToolImages()))
    if (own[tool] === undefined && own['*'] === undefined) toolImages[tool] = image;
  const via = sources.offlineImages;
  const pullDefaulted = sources.pullPolicy === 'default';
  return {
    ...resolved,
    config: { ...config, toolImages, pullPolicy: pullDefaulted ? 'never' : config.pullPolicy },
    sources: {
      ...sources,
      toolImages: sources.toolImages === 'default' ? via : sources.toolImages,
      pullPolicy: pullDefaulted ? via : sources.pullPolicy,
    },
  };
}

/** How to get the offline images. */
export const OFFLINE_BUILD_HINT = `build them with \`${OFFLINE_BUILD_COMMAND}\` (or \`worker images --build\`)`;
