import type { CommandSpec } from '../args';
import type { CliIo } from '../cli-io';
import { writeOut } from '../cli-io';
import type { ResolvedWorkerConfig } from '../config';
import { OPTIONS } from '../config-schema';
import { formatDuration } from '../durations';

export const configCommand: CommandSpec = {
  name: 'worker config',
  brief: 'print the effective configuration and where each value came from',
  usage: 'worker config [options] [--json]',
  summary:
    'Prints the effective configuration and where each value came from (flag, environment, config file, default).',
  flags: { json: { type: 'boolean', description: 'print {config, sources, configFile} as JSON' } },
  configFlags: true,
  minPositionals: 0,
  maxPositionals: 0,
};

const SECRET_FIELDS = new Set(['authToken']);

export async function runConfigCommand(resolved: ResolvedWorkerConfig, json: boolean, io: CliIo): Promise<number> {
  const config: Record<string, unknown> = { ...resolved.config };
  for (const field of SECRET_FIELDS) if (config[field] !== undefined) config[field] = '<redacted>';
  if (json) {
    await writeOut(
      io.stdout,
      JSON.stringify({ config, sources: resolved.sources, configFile: resolved.configFile ?? null }, null, 2) + '\n',
    );
    return 0;
  }
  const rows = OPTIONS.map(
    (o) =>
      [
        o.flag,
        o.type === 'duration' ? formatDuration(config[o.field] as number) : render(config[o.field]),
        resolved.sources[o.field],
      ] as const,
  );
  const w0 = Math.max(...rows.map((r) => r[0].length));
  const w1 = Math.min(48, Math.max(...rows.map((r) => r[1].length)));
  const lines = [
    `config file: ${resolved.configFile ?? '(none)'}`,
    ...rows.map(([k, v, s]) => `${k.padEnd(w0)}  ${v.padEnd(w1)}  (${s})`),
  ];
  await writeOut(io.stdout, lines.join('\n') + '\n');
  return 0;
}

function render(value: unknown): string {
  if (value === undefined) return '-';
  if (typeof value === 'string') return value;
  return JSON.stringify(value);
}
