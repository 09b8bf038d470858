import { parseArgs } from 'node:util';
import { OPTIONS, envName } from './config-schema';
import { didYouMean } from './did-you-mean';
import { writeOut } from './cli-io';
import { usageError } from './errors';
import type { WorkerCliError } from './errors';
import { DEFAULT_WIDTH, terminalWidth, wrapBlock, wrapLine } from './text-wrap';

/** One flag of a command (besides the shared configuration flags). */
export interface FlagSpec {
  type: 'string' | 'boolean';
  multiple?: boolean;
  short?: string;
  valueName?: string;
  description: string;
  /** The values the flag accepts, shown in help and offered by shell completion. @default none (free text) */
  choices?: readonly string[];
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
  /** One line for the parent's command list. @default the summary's first sentence */
  brief?: string;
  /**
   * Subcommands by name. They make the parent's "Commands:" list, its "did you mean" for a
   * mistyped command and its shell completion, so a command registered here appears in all three.
   * @default none
   */
  commands?: Readonly<Record<string, CommandSpec>>;
  /** What shell completion offers for positionals (tool names, `check`, shell names). @default files */
  positionalChoices?: () => readonly string[];
}

export interface ParsedCommand {
  values: Record<string, string | boolean | (string | boolean)[] | undefined>;
  positionals: string[];
  help: boolean;
}

/** Where a flag comes from: the command's own table, or the shared daemon/configuration table. */
export interface ResolvedFlag extends FlagSpec {
  name: string;
  group: 'command' | 'daemon';
}

const HELP_FLAG: FlagSpec = { type: 'boolean', short: 'h', description: 'show this help' };
const CONFIG_FLAG: FlagSpec = {
  type: 'string',
  valueName: 'FILE',
  description: 'config file (YAML or JSON); default $XDG_CONFIG_HOME/baaaht/config.yaml',
};

/** Every flag a command accepts, its own first (help last), then `--config` and the option table. */
export function commandFlags(spec: CommandSpec): ResolvedFlag[] {
  const own: ResolvedFlag[] = Object.entries(spec.flags).map(([name, f]) => ({ ...f, name, group: 'command' }));
  own.push({ ...HELP_FLAG, name: 'help', group: 'command' });
  if (!spec.configFlags) return own;
  const daemon: ResolvedFlag[] = [{ ...CONFIG_FLAG, name: 'config', group: 'daemon' }];
  for (const o of OPTIONS) {
    if (spec.flags[o.flag] !== undefined) continue;
    daemon.push({
      name: o.flag,
      group: 'daemon',
      type: o.type === 'boolean' ? 'boolean' : 'string',
      multiple: o.type === 'list' || o.type === 'image-map' || o.type === 'label-map',
      valueName: o.valueName,
      description: `${o.description} (default ${o.defaultText}; env ${envName(o.flag)})`,
      ...(o.choices ? { choices: o.choices } : {}),
    });
    if (o.negatable === true)
      daemon.push({
        name: `no-${o.flag}`,
        group: 'daemon',
        type: 'boolean',
        valueName: '',
        description: `turn off --${o.flag}`,
      });
  }
  return [...own, ...daemon];
}

/** Parses `argv` for a command; malformed input becomes a `USAGE` error (exit 2). */
export function parseCommand(spec: CommandSpec, argv: readonly string[]): ParsedCommand {
  const flags = commandFlags(spec);
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: [...argv],
      options: Object.fromEntries(
        flags.map((f) => [
          f.name,
          { type: f.type, multiple: f.multiple ?? false, ...(f.short ? { short: f.short } : {}) },
        ]),
      ),
      allowPositionals: true,
      strict: true,
    });
  } catch (err) {
    throw usageError(`${parseErrorMessage(err, flags)} (see ${spec.name} --help)`);
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

/** node's parseArgs messages, rewritten: an unknown flag names the nearest one this command has. */
function parseErrorMessage(err: unknown, flags: readonly ResolvedFlag[]): string {
  // Not `instanceof Error`: node's errors may come from another realm (jest's sandbox).
  const raw = (err as { message?: unknown } | null)?.message;
  const message = typeof raw === 'string' ? raw : String(err);
  const unknown = /^Unknown option '(-{1,2})([^'=]+)/.exec(message);
  if (unknown) {
    const [, dashes = '--', name = ''] = unknown;
    // A one-letter flag is one edit from every other one: only long flags get a suggestion.
    const hint =
      dashes === '--'
        ? didYouMean(
            name,
            flags.map((f) => f.name),
            (c) => `--${c}`,
          )
        : '';
    return `unknown option ${dashes}${name}${hint}`;
  }
  // A value that starts with a dash (`--argv -l`): node's three lines, as one.
  const ambiguous = /argument is ambiguous[\s\S]*use '(--[^=']+)=-XYZ'/.exec(message);
  if (ambiguous) {
    const [, flag = ''] = ambiguous;
    return `${flag} needs a value; one starting with a dash goes as ${flag}=-VALUE`;
  }
  // node's other messages carry advice about '--' that only confuses here.
  return message.split('. To specify')[0]?.replace(/\.$/, '') ?? message;
}

/** `unknown command "x"; did you mean y? (see worker --help)` as a usage error. */
export function unknownCommand(parent: CommandSpec, name: string): WorkerCliError {
  const names = Object.keys(parent.commands ?? {});
  return usageError(`unknown command ${JSON.stringify(name)}${didYouMean(name, names)} (see ${parent.name} --help)`);
}

export interface RenderHelpOptions {
  /** Columns to wrap at (`terminalWidth(io.stdout)`). @default 80 */
  width?: number;
}

/**
 * The `--help` text of a command: usage, summary, its subcommands, its own options, then
 * the daemon options it shares with `worker` under their own heading. Wrapped to `width`.
 */
export function renderHelp(spec: CommandSpec, options: RenderHelpOptions = {}): string {
  const width = options.width ?? DEFAULT_WIDTH;
  const out = [wrapBlock(`Usage: ${spec.usage}`, width), '', wrapBlock(spec.summary, width)];
  const commands = Object.entries(spec.commands ?? {});
  if (commands.length > 0) {
    out.push('', 'Commands:');
    const rows = commands.map(
      ([name, c]) => [`  ${commandLabel(name, c)}`, c.brief ?? firstSentence(c.summary)] as const,
    );
    out.push(...table(rows, width));
  }
  const flags = commandFlags(spec);
  const own = flags.filter((f) => f.group === 'command');
  const daemon = flags.filter((f) => f.group === 'daemon');
  out.push('', 'Options:', ...table(own.map(flagRow), width));
  if (daemon.length > 0) {
    const heading = spec.commands
      ? 'Daemon options (also env WORKER_<OPTION> or config-file keys):'
      : 'Daemon options (as for `worker`; also env WORKER_<OPTION> or config-file keys):';
    out.push('', ...wrapLine(heading, width, 2), ...table(daemon.map(flagRow), width));
  }
  if (spec.epilog) out.push('', wrapBlock(spec.epilog, width));
  return out.join('\n') + '\n';
}

/** Writes a command's help to `stream`, wrapped to its width when it is a terminal. */
export function printHelp(
  spec: CommandSpec,
  stream: NodeJS.WritableStream & { isTTY?: boolean; columns?: number },
): Promise<void> {
  return writeOut(stream, renderHelp(spec, { width: terminalWidth(stream) }));
}

function flagRow(f: ResolvedFlag): readonly [string, string] {
  const short = f.short ? `-${f.short}, ` : '    ';
  const value = f.type === 'string' ? ` ${f.valueName ?? 'VALUE'}` : '';
  const choices = f.choices ? ` [${f.choices.join('|')}]` : '';
  return [`  ${short}--${f.name}${value}`, `${f.description}${choices}${f.multiple ? ' [repeatable]' : ''}`];
}

/** `run <tool>` from `worker run <tool> [--mount DIR]...`: the name and its positional words. */
function commandLabel(name: string, c: CommandSpec): string {
  const words = c.usage.split('\n')[0]?.split(/\s+/) ?? [];
  const at = words.indexOf(name);
  const rest: string[] = [];
  for (const w of at >= 0 ? words.slice(at + 1) : []) {
    if (w.startsWith('-') || w.startsWith('[')) break;
    rest.push(w);
  }
  return [name, ...rest].join(' ');
}

function firstSentence(text: string): string {
  const m = /^(.*?[.!?])(\s|$)/s.exec(text.trim());
  return (m?.[1] ?? text.trim()).replace(/\s+/g, ' ');
}

/** Two columns: labels, then descriptions wrapped in their own column (or under a label too long for it). */
function table(rows: ReadonlyArray<readonly [string, string]>, width: number): string[] {
  const column = Math.min(Math.max(0, ...rows.map(([l]) => l.length)) + 2, Math.floor(width * 0.45));
  const lines: string[] = [];
  for (const [label, description] of rows) {
    const wrapped = wrapLine(description, Math.max(20, width - column), 0).map((l) => ' '.repeat(column) + l);
    if (label.length + 2 > column) lines.push(label, ...wrapped);
    else lines.push(label.padEnd(column) + (wrapped[0] ?? '').slice(column), ...wrapped.slice(1));
  }
  return lines;
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
