import { ToolSpecError } from './errors';

/** Which flags a tool's legacy `args` may use. Anything else is refused, never passed through. */
export interface LegacyFlagAllowlist {
  /** Single-letter flags without a value; they may be combined (`-rn`). */
  booleans: string;
  /** Flags that take a value: `-m` (as `-m 5` or `-m5`), `--max-time` (as `--max-time 5` or `--max-time=5`). */
  withValue?: readonly string[];
  /** Long flags without a value, e.g. `--silent`. */
  longBooleans?: readonly string[];
}

export interface ParsedLegacyArgs {
  /** Flags in order, canonical spelling (`-r`, `-m`, `--max-time`) with their value if any. */
  flags: Array<{ flag: string; value?: string }>;
  positionals: string[];
}

/**
 * A getopt-style reader for the seed's raw `TaskConfig.Args`. It only recognises what the allowlist names,
 * so a legacy caller cannot smuggle `--exec`-like options through; `--` ends the options.
 */
export function parseLegacyArgs(tool: string, args: readonly string[], allow: LegacyFlagAllowlist): ParsedLegacyArgs {
  const out: ParsedLegacyArgs = { flags: [], positionals: [] };
  const withValue = new Set(allow.withValue ?? []);
  const longBooleans = new Set(allow.longBooleans ?? []);
  const refuse = (flag: string): never => {
    throw new ToolSpecError('UNSUPPORTED_ARG', `${tool}: legacy flag '${flag}' is not supported`, { tool });
  };
  const valueFor = (flag: string, i: number): string => {
    const v = args[i];
    if (v === undefined)
      throw new ToolSpecError('UNSUPPORTED_ARG', `${tool}: legacy flag '${flag}' needs a value`, { tool });
    return v;
  };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg === '--') {
      out.positionals.push(...args.slice(i + 1));
      break;
    }
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const flag = eq === -1 ? arg : arg.slice(0, eq);
      if (longBooleans.has(flag) && eq === -1) out.flags.push({ flag });
      else if (withValue.has(flag))
        out.flags.push({ flag, value: eq === -1 ? valueFor(flag, ++i) : arg.slice(eq + 1) });
      else refuse(flag);
      continue;
    }
    if (arg.startsWith('-') && arg.length > 1) {
      for (let j = 1; j < arg.length; j++) {
        const flag = `-${arg[j]}`;
        if (withValue.has(flag)) {
          const rest = arg.slice(j + 1);
          out.flags.push({ flag, value: rest !== '' ? rest : valueFor(flag, ++i) });
          break;
        }
        if (!allow.booleans.includes(arg[j] as string)) refuse(flag);
        out.flags.push({ flag });
      }
      continue;
    }
    out.positionals.push(arg);
  }
  return out;
}

/** Parses a legacy numeric flag value; the schema validation that follows checks its bounds. */
export function legacyInt(tool: string, flag: string, value: string | undefined): number {
  if (value === undefined || !/^\d{1,9}$/.test(value)) {
    throw new ToolSpecError('UNSUPPORTED_ARG', `${tool}: legacy flag '${flag}' needs a non-negative integer`, { tool });
  }
  return Number(value);
}

export function expectPositionals(tool: string, positionals: string[], min: number, max: number): void {
  if (positionals.length < min || positionals.length > max) {
    const want = min === max ? `${min}` : `${min} to ${max}`;
    throw new ToolSpecError(
      'UNSUPPORTED_ARG',
      `${tool}: legacy args need ${want} operand(s), got ${positionals.length}`,
      { tool },
    );
  }
}
