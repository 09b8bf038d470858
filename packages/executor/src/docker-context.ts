import { createHash } from 'node:crypto';
import path from 'node:path';
import { parseDockerHost } from './docker-connection';
import type { DockerConnection, ReadFile } from './docker-connection';

/** The docker CLI's current context, resolved to its engine, or why there is none to use. */
export type DockerContextLookup =
  { found: true; name: string; host: string; connection: DockerConnection } | { found: false; reason: string };

function errorText(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'ENOENT' ? 'does not exist' : err instanceof Error ? err.message : String(err);
}

function readJson(file: string, readFile: ReadFile): unknown {
  return JSON.parse(readFile(file).toString('utf8')) as unknown;
}

function optionalFile(file: string, readFile: ReadFile): Buffer | undefined {
  try {
    return readFile(file);
  } catch {
    return undefined;
  }
}

/**
 * What `docker context use` selected: `DOCKER_CONTEXT`, else `currentContext` in `config.json` of
 * `DOCKER_CONFIG` (default `$HOME/.docker`), whose endpoint lives in `contexts/meta/<sha256 of the name>/meta.json`
 * (`Endpoints.docker.Host`) and TLS material in `contexts/tls/<sha256>/docker/`. Reads nothing outside `env`'s
 * directories, so a test points `HOME` at a fixture.
 */
export function currentDockerContext(env: NodeJS.ProcessEnv, readFile: ReadFile): DockerContextLookup {
  const home = env['HOME'];
  const configDir = env['DOCKER_CONFIG'] || (home ? path.join(home, '.docker') : undefined);
  if (configDir === undefined) return { found: false, reason: 'neither DOCKER_CONFIG nor HOME is set' };
  let name = env['DOCKER_CONTEXT'];
  if (!name) {
    const configFile = path.join(configDir, 'config.json');
    let config: unknown;
    try {
      config = readJson(configFile, readFile);
    } catch (err) {
      return { found: false, reason: `${configFile}: ${errorText(err)}` };
    }
    const current = (config as { currentContext?: unknown } | null)?.currentContext;
    if (typeof current !== 'string' || current === '')
      return { found: false, reason: `no currentContext in ${configFile}` };
    name = current;
  }
  if (name === 'default') return { found: false, reason: "the current context is 'default' (no context endpoint)" };
  const digest = createHash('sha256').update(name).digest('hex');
  const metaFile = path.join(configDir, 'contexts', 'meta', digest, 'meta.json');
  let host: unknown;
  try {
    host = (readJson(metaFile, readFile) as { Endpoints?: { docker?: { Host?: unknown } } } | null)?.Endpoints?.docker
      ?.Host;
  } catch (err) {
    return { found: false, reason: `context '${name}': ${metaFile}: ${errorText(err)}` };
  }
  if (typeof host !== 'string' || host === '')
    return { found: false, reason: `context '${name}' has no Endpoints.docker.Host in ${metaFile}` };
  let connection: DockerConnection;
  try {
    connection = parseDockerHost(host);
  } catch {
    return { found: false, reason: `context '${name}' points at ${host}: only unix:// and tcp:// are supported` };
  }
  if (!('socketPath' in connection)) {
    const tlsDir = path.join(configDir, 'contexts', 'tls', digest, 'docker');
    const [ca, cert, key] = ['ca.pem', 'cert.pem', 'key.pem'].map((f) => optionalFile(path.join(tlsDir, f), readFile));
    if (ca || cert || key)
      connection = {
        host: connection.host,
        port: connection.port,
        protocol: 'https',
        ...(ca && { ca }),
        ...(cert && { cert }),
        ...(key && { key }),
      };
  }
  return { found: true, name, host, connection };
}
