import { parseArgs } from 'node:util';
import { OPTIONS, envName } from './config-schema';
import { usageError } from './errors';

/** One flag of a command (besides the shared configuration flags). */
export interface FlagSpec {
  type: 'string' | 'boolean';
  multiple?: boolean;
  short?: string;
  valueName?: string;
  description: string;
}

/** A command's shape: its own flags, whether it takes the config flags, its positionals, its help. */
export interface CommandSpec {
  /** e.g. `worker run`. */
  name: string;
  usage: string;
  summary: string;
  flags: Readonly<Record<string, FlagSpec>>;
  /** Accepts every configuration flag (`--log-level`, `--tool-image`, ...) and `--config`. */
  configFlags: boolean;
  minPositionals: number;
  maxPositionals: number;
  /** Extra help text after the flag list. */
  epilog?: string;
}

export interface ParsedCommand {
  values: Record<string, string | boolean | (string | boolean)[] | undefined>;
  positionals: string[];
  help: boolean;
}

const HELP_FLAG: FlagSpec = { type: 'boolean', short: 'h', description: 'show this help' };
const CONFIG_FLAG: FlagSpec = {
  type: 'string',
  valueName: 'FILE',
  description: 'config file (YAML or JSON); default $XDG_CONFIG_HOME/baaaht/config.yaml',
};

function allFlags(spec: CommandSpec): Record<string, FlagSpec> {
  const flags: Record<string, FlagSpec> = {};
  if (spec.configFlags) {
    flags['config'] = CONFIG_FLAG;
    for (const o of OPTIONS) {
      const repeatable = o.type === 'list' || o.type === 'image-map';
      flags[o.flag] = {
        type: o.type === 'boolean' ? 'boolean' : 'string',
        multiple: repeatable,
        valueName: o.valueName,
        description: `${o.description}${o.choices ? ` [${o.choices.join('|')}]` : ''} (default ${o.defaultText}; env ${envName(o.flag)})`,
      };
    }
  }
  Object.assign(flags, spec.flags);
  flags['help'] = HELP_FLAG;
  return flags;
}

/** Parses `argv` for a command; malformed input becomes a `USAGE` error (exit 2). */
export function parseCommand(spec: CommandSpec, argv: readonly string[]): ParsedCommand {
  const flags = allFlags(spec);
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: [...argv],
      options: Object.fromEntries(
        Object.entries(flags).map(([name, f]) => [
          name,
          { type: f.type, multiple: f.multiple ?? false, ...(f.short ? { short: f.short } : {}) },
        ]),
      ),
      allowPositionals: true,
      strict: true,
    });
  } catch (err) {
    throw usageError(`${cleanParseError((err as Error).message)} (see ${spec.name} --help)`);
  }
  const values = parsed.values as ParsedCommand['values'];
  const help = values['help'] === true;
  if (!help) {
    if (parsed.positionals.length < spec.minPositionals) throw usageError(`missing argument: usage: ${spec.usage}`);
    if (parsed.positionals.length > spec.maxPositionals) {
      throw usageError(
        `unexpected argument ${JSON.stringify(parsed.positionals[spec.maxPositionals])}: usage: ${spec.usage}`,
      );
    }
  }
  return { values, positionals: parsed.positionals, help };
}

function cleanParseError(message: string): string {
  // node's messages carry advice about '--' that only confuses here.
  return message.split('. To specify')[0]?.replace(/\.$/, '') ?? message;
}

/** The `--help` text of a command. */
export function renderHelp(spec: CommandSpec): string {
  const lines = [`Usage: ${spec.usage}`, '', spec.summary, '', 'Options:'];
  const flags = allFlags(spec);
  const labels = Object.entries(flags).map(([name, f]) => {
    const short = f.short ? `-${f.short}, ` : '    ';
    const value = f.type === 'string' ? ` ${f.valueName ?? 'VALUE'}` : '';
    return [`  ${short}--${name}${value}`, f.multiple ? `${f.description} [repeatable]` : f.description] as const;
  });
  const width = Math.min(40, Math.max(...labels.map(([l]) => l.length)) + 2);
  for (const [label, description] of labels) {
    lines.push(
      label.length >= width ? `${label}\n${' '.repeat(width)}${description}` : `${label.padEnd(width)}${description}`,
    );
  }
  if (spec.epilog) lines.push('', spec.epilog);
  return lines.join('\n') + '\n';
}

/** A string flag's value (last one wins when repeated by mistake). */
export function stringValue(values: ParsedCommand['values'], name: string): string | undefined {
  const v = values[name];
  if (Array.isArray(v)) return v.map(String).at(-1);
  return typeof v === 'string' ? v : undefined;
}

/** A repeatable flag's values. */
export function listValue(values: ParsedCommand['values'], name: string): string[] {
  const v = values[name];
  if (v === undefined) return [];
  return (Array.isArray(v) ? v : [v]).map(String);
}
