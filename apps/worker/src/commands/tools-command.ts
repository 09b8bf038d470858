import { toPublicSchema } from '@baaaht/tool-specs';
import type { ToolSpec } from '@baaaht/tool-specs';
import type { CommandSpec } from '../args';
import type { CliIo } from '../cli-io';
import { writeOut } from '../cli-io';
import type { WorkerConfig } from '../config-schema';
import { formatDuration } from '../durations';
import { workerCatalog } from '../tool-catalog';

export const toolsCommand: CommandSpec = {
  name: 'worker tools',
  brief: 'list the tool catalog',
  usage: 'worker tools [--json] [--tool-image TOOL=IMAGE]...',
  summary: 'Lists the tool catalog: name, description, image (with overrides), limits, timeout, network.',
  flags: { json: { type: 'boolean', description: 'print the specs as JSON (names, schemas, limits)' } },
  configFlags: true,
  minPositionals: 0,
  maxPositionals: 0,
};

/** The JSON shape of one tool in `worker tools --json`. */
export function toolJson(spec: ToolSpec): Record<string, unknown> {
  return {
    name: spec.name,
    displayName: spec.displayName,
    description: spec.description,
    version: spec.version,
    image: spec.image,
    workspace: spec.workspace,
    network: spec.network,
    readOnlyRootfs: spec.readOnlyRootfs,
    resources: { ...spec.resources },
    timeoutMs: spec.timeoutMs,
    parameters: toPublicSchema(spec.parameters),
  };
}

export async function runToolsCommand(config: WorkerConfig, json: boolean, io: CliIo): Promise<number> {
  const { catalog } = workerCatalog(config.toolImages);
  const specs = catalog.all();
  if (json) {
    await writeOut(io.stdout, JSON.stringify(specs.map(toolJson), null, 2) + '\n');
    return 0;
  }
  const lines: string[] = [];
  for (const spec of specs) {
    const r = spec.resources;
    lines.push(`${spec.name.padEnd(12)} ${spec.displayName}`);
    lines.push(
      `  image ${spec.image}  limits ${r.cpus} CPU, ${mib(r.memoryBytes)}, ${r.pidsLimit} pids  timeout ${formatDuration(spec.timeoutMs)}  network ${spec.network}  workspace ${spec.workspace}`,
    );
    lines.push(`  ${firstSentence(spec.description)}`);
  }
  await writeOut(io.stdout, lines.join('\n') + '\n');
  return 0;
}

function mib(bytes: number): string {
  return bytes % (1024 * 1024) === 0 ? `${bytes / (1024 * 1024)}MiB` : `${bytes}B`;
}

function firstSentence(text: string): string {
  const m = /^(.*?[.!?])(\s|$)/s.exec(text.trim());
  return (m?.[1] ?? text.trim()).replace(/\s+/g, ' ');
}
