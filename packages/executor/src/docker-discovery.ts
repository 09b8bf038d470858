import fs from 'node:fs';
import path from 'node:path';
import { connectionAddress, parseDockerHost } from './docker-connection';
import type { DockerConnection, ReadFile } from './docker-connection';
import { currentDockerContext } from './docker-context';
import { pingEngine } from './docker-ping';
import type { DockerPing } from './docker-ping';

/** The discovery strategies, in the order they are tried. */
export const DOCKER_STRATEGIES = ['docker-host-env', 'docker-context', 'default-socket', 'rootless', 'podman'] as const;
export type DockerStrategy = (typeof DOCKER_STRATEGIES)[number];

/**
 * - `found`: the endpoint exists (a socket, or a TCP address) and was not pinged (or, when chosen anyway, did not answer).
 * - `answered`: it answered `GET /_ping`.
 * - `skipped`: not used; `reason` says why.
 */
export type DockerCandidateStatus = 'found' | 'answered' | 'skipped';

export interface DockerCandidate {
  strategy: DockerStrategy;
  /** The endpoint (`unix:///...`, `tcp://...`); absent when the strategy had none (`DOCKER_HOST` unset). */
  host?: string;
  status: DockerCandidateStatus;
  reason: string;
}

/** Which engine discovery chose, by which strategy and why, and every candidate with its status. */
export interface DockerDiscovery {
  strategy: DockerStrategy;
  host: string;
  connection: DockerConnection;
  reason: string;
  candidates: DockerCandidate[];
}

/** The fixed paths discovery looks at; tests point them into a temp dir. */
export interface DockerSystemPaths {
  /** @default '/var/run/docker.sock' */
  defaultSocket: string;
  /** Holds `<uid>/docker.sock` and `<uid>/podman/podman.sock` when `XDG_RUNTIME_DIR` is unset. @default '/run/user' */
  runUserDir: string;
  /** Rootful Podman's Docker-compatible socket. @default '/run/podman/podman.sock' */
  podmanSocket: string;
}

export interface DockerDiscoveryOptions {
  /** Read for `DOCKER_HOST`, `DOCKER_TLS_VERIFY`, `DOCKER_CERT_PATH`, `DOCKER_CONTEXT`, `DOCKER_CONFIG`, `HOME`, `XDG_RUNTIME_DIR`. @default process.env */
  env?: NodeJS.ProcessEnv;
  /** Throws when the path does not exist. @default fs.statSync */
  stat?: (file: string) => { isSocket(): boolean };
  /** @default fs.readFileSync */
  readFile?: ReadFile;
  /** Names `/run/user/<uid>` when `XDG_RUNTIME_DIR` is unset. @default process.getuid() */
  uid?: number | undefined;
  paths?: Partial<DockerSystemPaths>;
  /** Whether an endpoint answers (async discovery only). @default `GET /_ping` with a 3 s timeout */
  ping?: DockerPing;
}

export const DEFAULT_DOCKER_PATHS: Readonly<DockerSystemPaths> = Object.freeze({
  defaultSocket: '/var/run/docker.sock',
  runUserDir: '/run/user',
  podmanSocket: '/run/podman/podman.sock',
});

/** One strategy's endpoint: `skip` says why it does not apply; `final` means no fallback past it. */
interface Proposal {
  strategy: DockerStrategy;
  host?: string;
  connection?: DockerConnection;
  reason: string;
  skip?: string;
  final?: true;
}

function statReason(stat: NonNullable<DockerDiscoveryOptions['stat']>, file: string): string | undefined {
  try {
    return stat(file).isSocket() ? undefined : 'exists but is not a socket';
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return code === 'ENOENT' || code === 'ENOTDIR' ? 'does not exist' : `cannot stat: ${(err as Error).message}`;
  }
}

function proposals(options: DockerDiscoveryOptions): Proposal[] {
  const env = options.env ?? process.env;
  const stat = options.stat ?? fs.statSync;
  const readFile = options.readFile ?? ((file: string) => fs.readFileSync(file));
  const paths = { ...DEFAULT_DOCKER_PATHS, ...options.paths };
  const uid = 'uid' in options ? options.uid : process.getuid?.();
  const socket = (strategy: DockerStrategy, file: string, what: string): Proposal => {
    const skip = statReason(stat, file);
    return { strategy, host: `unix://${file}`, connection: { socketPath: file }, reason: what, ...(skip && { skip }) };
  };
  const list: Proposal[] = [];

  const dockerHost = env['DOCKER_HOST'];
  if (dockerHost) {
    const tlsVerify = env['DOCKER_TLS_VERIFY'];
    const connection = parseDockerHost(dockerHost, {
      tls: tlsVerify !== undefined && tlsVerify !== '',
      certDir: env['DOCKER_CERT_PATH'],
      readFile,
    });
    const host = connectionAddress(connection);
    list.push({ strategy: 'docker-host-env', host, connection, reason: 'DOCKER_HOST is set', final: true });
  } else list.push({ strategy: 'docker-host-env', reason: '', skip: 'DOCKER_HOST is unset' });

  const context = currentDockerContext(env, readFile);
  if (!context.found) list.push({ strategy: 'docker-context', reason: '', skip: context.reason });
  else if ('socketPath' in context.connection)
    list.push(socket('docker-context', context.connection.socketPath, `docker context '${context.name}'`));
  else {
    const host = connectionAddress(context.connection);
    list.push({
      strategy: 'docker-context',
      host,
      connection: context.connection,
      reason: `docker context '${context.name}'`,
    });
  }

  list.push(socket('default-socket', paths.defaultSocket, 'the default socket'));

  const xdg = env['XDG_RUNTIME_DIR'];
  const runtimeDir = xdg ? xdg : uid === undefined ? undefined : path.join(paths.runUserDir, String(uid));
  const where = xdg ? 'XDG_RUNTIME_DIR' : runtimeDir;
  if (runtimeDir === undefined) {
    const skip = 'XDG_RUNTIME_DIR is unset and the uid is unknown';
    list.push({ strategy: 'rootless', reason: '', skip }, { strategy: 'podman', reason: '', skip });
  } else {
    list.push(socket('rootless', path.join(runtimeDir, 'docker.sock'), `rootless Docker's socket in ${where}`));
    list.push(socket('podman', path.join(runtimeDir, 'podman', 'podman.sock'), `rootless Podman's socket in ${where}`));
  }
  list.push(socket('podman', paths.podmanSocket, "rootful Podman's socket"));
  return list;
}

function conclude(
  list: readonly Proposal[],
  chosen: number,
  pinged: ReadonlyMap<number, string | undefined>,
  fallbackDefault: string,
): DockerDiscovery {
  const candidates = list.map((p, i): DockerCandidate => {
    const base = { strategy: p.strategy, ...(p.host !== undefined && { host: p.host }) };
    if (p.skip !== undefined) return { ...base, status: 'skipped', reason: p.skip };
    const failure = pinged.get(i);
    const answered = pinged.has(i) && failure === undefined;
    if (i === chosen) {
      const ping = !pinged.has(i) ? '' : answered ? '; answers GET /_ping' : `; does not answer GET /_ping: ${failure}`;
      return { ...base, status: answered ? 'answered' : 'found', reason: `${p.reason}${ping}` };
    }
    if (failure !== undefined) return { ...base, status: 'skipped', reason: `does not answer GET /_ping: ${failure}` };
    return { ...base, status: 'skipped', reason: `found, but ${list[chosen]?.strategy ?? '?'} comes first` };
  });
  const pick = list[chosen];
  if (pick?.connection === undefined || pick.host === undefined) {
    return {
      strategy: 'default-socket',
      host: `unix://${fallbackDefault}`,
      connection: { socketPath: fallbackDefault },
      reason: 'no candidate applies; trying the default socket',
      candidates,
    };
  }
  const failure = pinged.get(chosen);
  const found = candidates[chosen]?.reason ?? pick.reason;
  const reason =
    failure === undefined || pick.final ? found : `${found} (no candidate answers: using the first one found)`;
  return { strategy: pick.strategy, host: pick.host, connection: pick.connection, reason, candidates };
}

/**
 * The engine to use, by the first strategy that applies (see the README's "Finding the Docker engine"):
 * `DOCKER_HOST` (final: never falls back past an engine the operator named), the docker CLI's current
 * context, `/var/run/docker.sock`, rootless Docker (`$XDG_RUNTIME_DIR/docker.sock`), Podman. A socket applies
 * when it exists and is a socket; nothing is pinged (`discoverDockerEngine` pings). A bad `DOCKER_HOST` is a
 * `TypeError`.
 */
export function discoverDockerEngineSync(options: DockerDiscoveryOptions = {}): DockerDiscovery {
  const list = proposals(options);
  const chosen = list.findIndex((p) => p.skip === undefined);
  return conclude(list, chosen, new Map(), { ...DEFAULT_DOCKER_PATHS, ...options.paths }.defaultSocket);
}

/**
 * As `discoverDockerEngineSync`, but each candidate that applies must also answer `ping`, in order; the first
 * that answers is chosen. When none answers, the first one found is (so errors name it), or `DOCKER_HOST`
 * when set, answering or not.
 */
export async function discoverDockerEngine(options: DockerDiscoveryOptions = {}): Promise<DockerDiscovery> {
  const list = proposals(options);
  const ping = options.ping ?? ((c: DockerConnection) => pingEngine(c));
  const pinged = new Map<number, string | undefined>();
  let chosen = -1;
  for (const [i, p] of list.entries()) {
    if (p.skip !== undefined || p.connection === undefined) continue;
    try {
      await ping(p.connection);
      pinged.set(i, undefined);
      chosen = i;
      break;
    } catch (err) {
      pinged.set(i, err instanceof Error ? err.message : String(err));
      if (p.final) {
        chosen = i;
        break;
      }
    }
  }
  if (chosen < 0) chosen = list.findIndex((p) => p.skip === undefined);
  return conclude(list, chosen, pinged, { ...DEFAULT_DOCKER_PATHS, ...options.paths }.defaultSocket);
}
