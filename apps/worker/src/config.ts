import os from 'node:os';
import path from 'node:path';
import {
  InvalidValue,
  OPTIONS,
  defaultWorkerConfig,
  envName,
  optionForKey,
  parseOptionValue,
  snakeKey,
} from './config-schema';
import type { OptionSpec, WorkerConfig } from './config-schema';
import { configFilePath, readConfigFile } from './config-file';
import { configError } from './errors';
import { applyOfflineImages } from './offline-images';

/** Raw flag values as `util.parseArgs` returns them, keyed by flag name. */
export type FlagValues = Readonly<Record<string, string | boolean | (string | boolean)[] | undefined>>;

export interface ResolveWorkerConfigOptions {
  /** Parsed command-line flags (kebab-case names). @default {} */
  flags?: FlagValues;
  /** @default process.env */
  env?: NodeJS.ProcessEnv;
  /** Fills the default worker name. @default os.hostname() */
  hostname?: string;
  /** Where `~/.config` is when `HOME` is unset. @default os.homedir() */
  homedir?: string;
}

/** The resolved configuration and where each value came from (`default`, `--flag`, `WORKER_X`, `file: key`). */
export interface ResolvedWorkerConfig {
  config: WorkerConfig;
  sources: Record<keyof WorkerConfig, string>;
  /** The config file that was read, if any. */
  configFile: string | undefined;
}

/**
 * Resolves the worker configuration: flags > environment (`WORKER_*`, then
 * `ORCHESTRATOR_URL`) > config file > defaults. Throws `WorkerCliError`
 * (`CONFIG_INVALID` / `CONFIG_NOT_FOUND`) naming the source of the first bad value.
 * `offline_images` then fills the tool images and pull policy it implies (see offline-images.ts).
 */
export function resolveWorkerConfig(options: ResolveWorkerConfigOptions = {}): ResolvedWorkerConfig {
  const flags = options.flags ?? {};
  const env = options.env ?? process.env;
  const config = defaultWorkerConfig(options.hostname ?? os.hostname(), env) as unknown as Record<string, unknown>;
  const sources = Object.fromEntries(OPTIONS.map((o) => [o.field, 'default'])) as Record<keyof WorkerConfig, string>;

  const set = (option: OptionSpec, raw: unknown, source: string): void => {
    try {
      config[option.field] = parseOptionValue(option, raw);
    } catch (err) {
      if (err instanceof InvalidValue) throw configError(source, err.message);
      throw err;
    }
    sources[option.field] = source;
  };

  // Lowest precedence first, so each later source overwrites.
  const explicitConfig = stringFlag(flags['config']) ?? nonEmptyEnv(env, 'WORKER_CONFIG');
  const explicitSource = stringFlag(flags['config']) !== undefined ? '--config' : 'WORKER_CONFIG';
  const where = configFilePath(explicitConfig, env, options.homedir ?? os.homedir());
  const file = readConfigFile(where.path, where.explicit, explicitSource);
  if (file !== undefined) {
    const name = path.basename(file.path);
    const seen = new Map<string, string>();
    for (const [key, raw] of Object.entries(file.values)) {
      const option = optionForKey(key);
      if (option === undefined)
        throw configError(`${name}: ${key}`, `unknown key (known: ${OPTIONS.map((o) => snakeKey(o.flag)).join(', ')})`);
      const previous = seen.get(option.flag);
      if (previous !== undefined) throw configError(`${name}: ${key}`, `duplicates ${previous}`);
      seen.set(option.flag, key);
      set(option, raw, `${name}: ${key}`);
    }
  }

  const orchestratorUrl = nonEmptyEnv(env, 'ORCHESTRATOR_URL');
  const addrOption = OPTIONS.find((o) => o.field === 'orchestratorAddr') as OptionSpec;
  if (orchestratorUrl !== undefined) set(addrOption, orchestratorUrl, 'ORCHESTRATOR_URL');
  for (const option of OPTIONS) {
    const value = nonEmptyEnv(env, envName(option.flag));
    if (value !== undefined) set(option, value, envName(option.flag));
  }

  for (const option of OPTIONS) {
    const value = flags[option.flag];
    if (option.negatable === true && flags[`no-${option.flag}`] === true) {
      if (value === true) throw configError(`--no-${option.flag}`, `contradicts --${option.flag}`);
      set(option, false, `--no-${option.flag}`);
      continue;
    }
    if (value === undefined || (Array.isArray(value) && value.length === 0)) continue;
    set(option, value, `--${option.flag}`);
  }

  return applyOfflineImages({ config: config as unknown as WorkerConfig, sources, configFile: file?.path }, env);
}

function stringFlag(value: FlagValues[string]): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function nonEmptyEnv(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const v = env[name];
  return v === undefined || v === '' ? undefined : v;
}
