import { createToolCatalog, ToolSpecError } from '@baaaht/tool-specs';
import type { ToolCatalog } from '@baaaht/tool-specs';
import { configError } from './errors';

/**
 * Per-tool images from `--tool-image` entries: `*` applies to every tool
 * without an entry of its own. Naming a tool that does not exist is an error,
 * so a typo cannot silently leave a default image in place.
 */
export function expandToolImages(
  toolImages: Readonly<Record<string, string>>,
  toolNames: readonly string[],
  source = '--tool-image',
): Record<string, string> {
  const out: Record<string, string> = {};
  const wildcard = toolImages['*'];
  for (const name of toolNames) {
    const image = toolImages[name] ?? wildcard;
    if (image !== undefined) out[name] = image;
  }
  for (const name of Object.keys(toolImages)) {
    if (name !== '*' && !toolNames.includes(name))
      throw configError(source, `unknown tool ${JSON.stringify(name)} (tools: ${toolNames.join(', ')})`);
  }
  return out;
}

/** The built-in catalog with the operator's image overrides applied. */
export function workerCatalog(
  toolImages: Readonly<Record<string, string>>,
  source = '--tool-image',
): { catalog: ToolCatalog; images: Record<string, string> } {
  const names = createToolCatalog()
    .all()
    .map((s) => s.name);
  const images = expandToolImages(toolImages, names, source);
  try {
    const catalog = createToolCatalog({
      overrides: Object.fromEntries(Object.entries(images).map(([tool, image]) => [tool, { image }])),
    });
    return { catalog, images };
  } catch (err) {
    if (err instanceof ToolSpecError) throw configError(source, err.message);
    throw err;
  }
}

/** The catalog's tool names (what `worker run` and `orchestrator exec` complete). */
export function toolNames(): string[] {
  return createToolCatalog()
    .all()
    .map((s) => s.name);
}
