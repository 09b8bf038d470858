import fs from 'node:fs';
import path from 'node:path';
import Docker from 'dockerode';
import type { Duplex } from 'node:stream';
import { dockerStatus } from './errors';
import { rawAttach } from './raw-attach';
import { rawWait } from './raw-wait';
import type { AttachDataHandler, AttachStream, EngineTarget } from './raw-attach';

/** The subset of Docker's container-create body the executor uses (Engine API `POST /containers/create`). */
export interface ContainerCreateBody {
  name: string;
  Image: string;
  Cmd: string[];
  Entrypoint: string[] | null;
  Env: string[];
  User: string;
  WorkingDir: string;
  Labels: Record<string, string>;
  AttachStdin: boolean;
  AttachStdout: boolean;
  AttachStderr: boolean;
  OpenStdin: boolean;
  StdinOnce: boolean;
  Tty: false;
  NetworkDisabled: boolean;
  HostConfig: {
    Mounts: Array<{ Type: 'bind'; Source: string; Target: string; ReadOnly: boolean }>;
    Tmpfs: Record<string, string>;
    ReadonlyRootfs: boolean;
    CapDrop: string[];
    CapAdd: string[];
    SecurityOpt: string[];
    Privileged: false;
    Init: boolean;
    PidsLimit: number;
    Memory: number;
    MemorySwap: number;
    CpuPeriod: number;
    CpuQuota: number;
    NetworkMode: string;
    LogConfig: { Type: string; Config: Record<string, string> };
    AutoRemove: false;
    Runtime?: string;
    IpcMode: string;
  };
}

export interface ContainerState {
  running: boolean;
  exitCode: number;
  oomKilled: boolean;
}

export interface ManagedContainer {
  id: string;
  labels: Record<string, string>;
  /** `created`, `running`, `exited`, ... */
  state: string;
}

/**
 * The handful of Docker engine calls the executor makes. `createDockerClient` implements it with
 * dockerode; unit tests implement it with a fake.
 */
export interface DockerClient {
  /** Names of the OCI runtimes the engine has registered (`docker info` Runtimes). */
  runtimes(): Promise<string[]>;
  imageExists(image: string): Promise<boolean>;
  /** Pulls an image; rejects when the registry refuses or `signal` aborts. */
  pullImage(image: string, signal: AbortSignal): Promise<void>;
  createContainer(body: ContainerCreateBody): Promise<string>;
  /**
   * Attaches to a created (not yet started) container. `onData` gets the multiplexed output as it arrives
   * (its buffer may be reused after the call returns).
   */
  attachContainer(id: string, options: { stdin: boolean; onData: AttachDataHandler }): Promise<AttachStream>;
  startContainer(id: string): Promise<void>;
  /** Resolves with the exit status once the container stops. */
  waitContainer(id: string): Promise<number>;
  inspectContainer(id: string): Promise<ContainerState>;
  /** Sends a signal; a container that is already gone or stopped is not an error. */
  killContainer(id: string, signal: 'SIGTERM' | 'SIGKILL'): Promise<void>;
  /** Force-removes; a container that is already gone is not an error. */
  removeContainer(id: string): Promise<void>;
  /** All containers (any state) with `label` (`key=value`). */
  listContainers(label: string): Promise<ManagedContainer[]>;
}

/** Where the Docker engine listens. */
export type DockerConnection =
  | { socketPath: string }
  | { host: string; port: number; protocol: 'http' }
  | { host: string; port: number; protocol: 'https'; ca?: Buffer; cert?: Buffer; key?: Buffer };

/**
 * The engine from `DOCKER_HOST` (`unix://`, `tcp://`; TLS when `DOCKER_TLS_VERIFY` is set, with
 * `ca.pem`/`cert.pem`/`key.pem` from `DOCKER_CERT_PATH`), else the default socket.
 */
export function dockerConnectionFromEnv(env: NodeJS.ProcessEnv = process.env): DockerConnection {
  const host = env.DOCKER_HOST;
  if (host === undefined || host === '') return { socketPath: '/var/run/docker.sock' };
  if (host.startsWith('unix://')) return { socketPath: host.slice('unix://'.length) || '/var/run/docker.sock' };
  if (host.startsWith('tcp://') || host.startsWith('http://') || host.startsWith('https://')) {
    const tls = host.startsWith('https://') || (env.DOCKER_TLS_VERIFY !== undefined && env.DOCKER_TLS_VERIFY !== '');
    const url = new URL(host.replace(/^(tcp|http|https):/, tls ? 'https:' : 'http:'));
    if (!tls) return { host: url.hostname, port: Number(url.port || 2375), protocol: 'http' };
    const certs = env.DOCKER_CERT_PATH;
    const read = (name: string): Buffer | undefined =>
      certs === undefined || certs === '' ? undefined : fs.readFileSync(path.join(certs, name));
    const https: DockerConnection = { host: url.hostname, port: Number(url.port || 2376), protocol: 'https' };
    const [ca, cert, key] = [read('ca.pem'), read('cert.pem'), read('key.pem')];
    return { ...https, ...(ca && { ca }), ...(cert && { cert }), ...(key && { key }) };
  }
  throw new TypeError(`DOCKER_HOST must be unix:// or tcp:// (got '${host}')`);
}

/** Ignores the statuses that mean "nothing to do" (already stopped, already gone). */
async function tolerate(call: Promise<unknown>, statuses: number[]): Promise<void> {
  try {
    await call;
  } catch (err) {
    const status = dockerStatus(err);
    if (status === undefined || !statuses.includes(status)) throw err;
  }
}

/** Adapts a stream-based attach to `AttachStream`. */
export function duplexAttach(stream: Duplex, onData: AttachDataHandler): AttachStream {
  const ended = new Promise<void>((resolve) => {
    stream.on('end', resolve);
    stream.on('close', resolve);
    stream.on('error', () => resolve());
  });
  stream.on('data', (chunk: Buffer) => onData(chunk));
  return { endStdin: (data) => void stream.end(data), ended, destroy: () => void stream.destroy() };
}

/** The dockerode-backed client for the engine named by `env` (see `dockerConnectionFromEnv`). */
export function createDockerClient(options: { env?: NodeJS.ProcessEnv } = {}): DockerClient {
  const connection = dockerConnectionFromEnv(options.env);
  const docker = new Docker(connection);
  const target: EngineTarget | undefined =
    'socketPath' in connection
      ? connection
      : connection.protocol === 'http'
        ? { host: connection.host, port: connection.port }
        : undefined;
  return {
    async runtimes() {
      const info = (await docker.info()) as { Runtimes?: Record<string, unknown> };
      return Object.keys(info.Runtimes ?? {});
    },
    async imageExists(image) {
      try {
        await docker.getImage(image).inspect();
        return true;
      } catch (err) {
        if (dockerStatus(err) === 404) return false;
        throw err;
      }
    },
    async pullImage(image, signal) {
      const stream = (await docker.pull(image, { abortSignal: signal })) as NodeJS.ReadableStream;
      await new Promise<void>((resolve, reject) => {
        const onAbort = (): void => {
          (stream as unknown as { destroy?: () => void }).destroy?.();
          reject(new Error(`pull of ${image} aborted`));
        };
        signal.addEventListener('abort', onAbort, { once: true });
        docker.modem.followProgress(stream, (err: Error | null) => {
          signal.removeEventListener('abort', onAbort);
          if (err) reject(err);
          else resolve();
        });
      });
    },
    async createContainer(body) {
      const container = await docker.createContainer(body as unknown as Docker.ContainerCreateOptions);
      return container.id;
    },
    async attachContainer(id, { stdin, onData }) {
      if (target !== undefined) return rawAttach(target, id, { stdin, onData });
      // TLS engines: dockerode's attach (allocates per read, which only costs memory headroom).
      const stream = (await docker
        .getContainer(id)
        .attach({ stream: true, stdout: true, stderr: true, stdin, hijack: true })) as unknown as Duplex;
      return duplexAttach(stream, onData);
    },
    async startContainer(id) {
      await tolerate(docker.getContainer(id).start(), [304]);
    },
    async waitContainer(id) {
      // Our own request: it fails when the engine goes away mid-wait, where dockerode's would hang.
      if (target !== undefined) return rawWait(target, id);
      const res = (await docker.getContainer(id).wait()) as { StatusCode?: number };
      return res.StatusCode ?? -1;
    },
    async inspectContainer(id) {
      const info = await docker.getContainer(id).inspect();
      return { running: info.State.Running, exitCode: info.State.ExitCode, oomKilled: info.State.OOMKilled };
    },
    async killContainer(id, signal) {
      await tolerate(docker.getContainer(id).kill({ signal }), [404, 409]);
    },
    async removeContainer(id) {
      // 409: removal already in progress (e.g. the reaper and the task raced); the other caller finishes it.
      await tolerate(docker.getContainer(id).remove({ force: true, v: true }), [404, 409]);
    },
    async listContainers(label) {
      const list = await docker.listContainers({ all: true, filters: { label: [label] } });
      return list.map((c) => ({ id: c.Id, labels: c.Labels ?? {}, state: c.State }));
    },
  };
}
