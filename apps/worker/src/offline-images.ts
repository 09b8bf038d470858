/**
 * `--offline-images`: the tool images `pnpm images:offline` (scripts/build-offline-images.sh) builds from
 * this host's own binaries, so a worker runs where no registry is reachable with one switch.
 */
import { createDockerClient } from '@baaaht/executor';
import { createToolCatalog } from '@baaaht/tool-specs';
import type { ToolSpec } from '@baaaht/tool-specs';
import type { WorkerConfig } from './config-schema';
import { WorkerCliError } from './errors';

/** What builds both images, from a checkout. */
export const OFFLINE_BUILD_COMMAND = 'pnpm images:offline';

/**
 * The two offline images: `file` (Debian's busybox-static and its applet links) for the file tools, `web`
 * (curl, its libraries, a CA bundle and busybox) for the web tools. Named as the build script names them,
 * `BAAAHT_BUSYBOX_IMAGE` and `BAAAHT_CURL_IMAGE` included.
 */
export function offlineImageNames(env: NodeJS.ProcessEnv = process.env): { file: string; web: string } {
  return {
    file: env['BAAAHT_BUSYBOX_IMAGE'] || 'baaaht/tools-busybox:offline',
    web: env['BAAAHT_CURL_IMAGE'] || 'baaaht/tools-web:offline',
  };
}

/** Whether `image` is one of the offline images. */
export function isOfflineImage(image: string, env: NodeJS.ProcessEnv = process.env): boolean {
  const names = offlineImageNames(env);
  return image === names.file || image === names.web;
}

/** Every catalog tool's offline image: the web one for tools that need the network, else busybox. */
export function offlineToolImages(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const names = offlineImageNames(env);
  return Object.fromEntries(
    createToolCatalog()
      .all()
      .map((s: Pick<ToolSpec, 'name' | 'network'>) => [s.name, s.network === 'egress' ? names.web : names.file]),
  );
}

/** The `--tool-image` flags `--offline-images` stands for. */
export function offlineImageFlags(env: NodeJS.ProcessEnv = process.env): string[] {
  return Object.entries(offlineToolImages(env)).flatMap(([tool, image]) => ['--tool-image', `${tool}=${image}`]);
}

/**
 * With `offlineImages` on: each tool without its own `--tool-image` (or `*=`) gets its offline image, and
 * the pull policy becomes `never` unless one was set explicitly. Sources say `--offline-images` (or the
 * env/config key that turned it on).
 */
export function applyOfflineImages<T extends { config: WorkerConfig; sources: Record<keyof WorkerConfig, string> }>(
  resolved: T,
  env: NodeJS.ProcessEnv = process.env,
): T {
  const { config, sources } = resolved;
  if (!config.offlineImages) return resolved;
  const own = config.toolImages;
  // The operator's entries stay as they are (a misspelt tool is still refused by the catalog).
  const toolImages: Record<string, string> = { ...own };
  for (const [tool, image] of Object.entries(offlineToolImages(env)))
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

/**
 * `worker run` with `--offline-images`: refuses up front, naming the build command, when the tool's
 * offline image is not there (pull policy never could only fail later, with a generic message).
 * A Docker engine that does not answer is left to the executor, which says so.
 */
export async function requireOfflineImage(tool: string, image: string, env: NodeJS.ProcessEnv): Promise<void> {
  if (!isOfflineImage(image, env)) return;
  const present = await createDockerClient({ env })
    .imageExists(image)
    .catch(() => true);
  if (!present)
    throw new WorkerCliError(
      'TOOL_UNAVAILABLE',
      `offline image ${image} for ${tool} is not present: ${OFFLINE_BUILD_HINT}`,
      {
        tool,
        source: '--offline-images',
      },
    );
}
