import fs from 'node:fs';
import path from 'node:path';
import { WorkerCliError, configError } from './errors';
import { loadYaml } from './lazy-modules';

/** A parsed config file: its path and its top-level mapping. */
export interface ConfigFile {
  path: string;
  values: Record<string, unknown>;
}

/**
 * The config file to read: `explicit` (from `--config` / `WORKER_CONFIG`), else
 * `$XDG_CONFIG_HOME/baaaht/config.yaml`, else `~/.config/baaaht/config.yaml`.
 */
export function configFilePath(
  explicit: string | undefined,
  env: NodeJS.ProcessEnv,
  homedir: string,
): { path: string; explicit: boolean } {
  if (explicit !== undefined) return { path: explicit, explicit: true };
  const xdg = env['XDG_CONFIG_HOME'];
  const base = xdg !== undefined && xdg !== '' ? xdg : path.join(env['HOME'] || homedir, '.config');
  return { path: path.join(base, 'baaaht', 'config.yaml'), explicit: false };
}

/**
 * Reads a YAML or JSON config file. A missing default file is fine (`undefined`);
 * a missing explicit one, or one that does not parse to a mapping, is an error.
 */
export function readConfigFile(file: string, explicit: boolean, source: string): ConfigFile | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && !explicit) return undefined;
    if (code === 'ENOENT')
      throw new WorkerCliError('CONFIG_NOT_FOUND', `config file ${file} does not exist`, { source });
    throw configError(source, `cannot read config file ${file}: ${(err as Error).message}`);
  }
  const name = path.basename(file);
  let values: unknown;
  try {
    values = file.endsWith('.json') ? JSON.parse(text) : loadYaml().parse(text);
  } catch (err) {
    throw configError(name, `does not parse: ${firstLine((err as Error).message)}`);
  }
  if (values === null || values === undefined) return { path: file, values: {} };
  if (typeof values !== 'object' || Array.isArray(values))
    throw configError(name, 'expected a mapping of option names to values');
  return { path: file, values: values as Record<string, unknown> };
}

function firstLine(text: string): string {
  return text.split('\n')[0] ?? text;
}
