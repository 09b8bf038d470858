import fs from 'node:fs';
import path from 'node:path';
import type { EngineTarget } from './raw-attach';

/** Where the Docker engine listens. */
export type DockerConnection =
  | { socketPath: string }
  | { host: string; port: number; protocol: 'http' }
  | { host: string; port: number; protocol: 'https'; ca?: Buffer; cert?: Buffer; key?: Buffer };

/** Reads a file whole (TLS material, the docker CLI's config); tests pass a fake. */
export type ReadFile = (file: string) => Buffer;

const readFileSync: ReadFile = (file) => fs.readFileSync(file);

/**
 * A `DOCKER_HOST`-style address (`unix://`, `tcp://`, `http://`, `https://`) as a connection. TCP is TLS when
 * the scheme is `https://` or `tls` is true, with `ca.pem`/`cert.pem`/`key.pem` from `certDir` when given.
 * Other schemes (`ssh://`, `npipe://`) are a `TypeError`.
 */
export function parseDockerHost(
  host: string,
  options: { tls?: boolean; certDir?: string | undefined; readFile?: ReadFile } = {},
): DockerConnection {
  if (host.startsWith('unix://')) return { socketPath: host.slice('unix://'.length) || '/var/run/docker.sock' };
  if (host.startsWith('tcp://') || host.startsWith('http://') || host.startsWith('https://')) {
    const tls = host.startsWith('https://') || options.tls === true;
    const url = new URL(host.replace(/^(tcp|http|https):/, tls ? 'https:' : 'http:'));
    if (!tls) return { host: url.hostname, port: Number(url.port || 2375), protocol: 'http' };
    const { certDir } = options;
    const read = options.readFile ?? readFileSync;
    const file = (name: string): Buffer | undefined =>
      certDir === undefined || certDir === '' ? undefined : read(path.join(certDir, name));
    const https: DockerConnection = { host: url.hostname, port: Number(url.port || 2376), protocol: 'https' };
    const [ca, cert, key] = [file('ca.pem'), file('cert.pem'), file('key.pem')];
    return { ...https, ...(ca && { ca }), ...(cert && { cert }), ...(key && { key }) };
  }
  throw new TypeError(`DOCKER_HOST must be unix:// or tcp:// (got '${host}')`);
}

/** The connection as an address an operator recognises: `unix:///var/run/docker.sock`, `tcp://host:2376`. */
export function connectionAddress(connection: DockerConnection): string {
  if ('socketPath' in connection) return `unix://${connection.socketPath}`;
  return `tcp://${connection.host.includes(':') ? `[${connection.host}]` : connection.host}:${connection.port}`;
}

/** Where our own raw requests (attach, wait) connect; undefined for TLS engines (dockerode handles those). */
export function engineTarget(connection: DockerConnection): EngineTarget | undefined {
  if ('socketPath' in connection) return connection;
  return connection.protocol === 'http' ? { host: connection.host, port: connection.port } : undefined;
}
