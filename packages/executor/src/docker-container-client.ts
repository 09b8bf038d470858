import type Docker from 'dockerode';
import type { Duplex } from 'node:stream';
import { loggedCall } from './docker-call-log';
import { dockerStatus } from './errors';
import { shortId } from './logger';
import type { Logger } from './logger';
import { rawAttach } from './raw-attach';
import type { AttachDataHandler, AttachStream, EngineTarget } from './raw-attach';
import { rawWait } from './raw-wait';

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
    /** Binds, and named volumes (the gVisor tier's descriptor mounts; never copied into from the image). */
    Mounts: Array<
      | { Type: 'bind'; Source: string; Target: string; ReadOnly: boolean }
      | { Type: 'volume'; Source: string; Target: string; ReadOnly: boolean; VolumeOptions: { NoCopy: true } }
    >;
    Tmpfs: Record<string, string>;
    ReadonlyRootfs: boolean;
    CapDrop: string[];
    CapAdd: string[];
    SecurityOpt: string[];
    Privileged: false;
    Init: boolean;
    PidsLimit: number;
    /** Resource limits of the container's processes; `nproc` only under gVisor (see runtime-profile.ts). */
    Ulimits?: Array<{ Name: string; Soft: number; Hard: number }>;
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

/** The container calls the executor makes. Each logs its own debug/error lines (`component: 'docker'`). */
export interface ContainerClient {
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

/** The dockerode calls the container client makes (tests pass a fake of this shape). */
export type DockerodeContainers = Pick<Docker, 'createContainer' | 'getContainer' | 'listContainers'>;

/** Ignores the statuses that mean "nothing to do" (already stopped, already gone); resolves with the one ignored. */
async function tolerate(call: Promise<unknown>, statuses: number[]): Promise<number | undefined> {
  try {
    await call;
    return undefined;
  } catch (err) {
    const status = dockerStatus(err);
    if (status === undefined || !statuses.includes(status)) throw err;
    return status;
  }
}

const tolerated = (status: number | undefined): Record<string, unknown> =>
  status === undefined ? {} : { tolerated: status };

/** Adapts a stream-based attach to `AttachStream`. */
export function duplexAttach(stream: Duplex, onData: AttachDataHandler): AttachStream {
  const ended = new Promise<void>((resolve) => {
    stream.on('end', resolve);
    stream.on('close', resolve);
    stream.on('error', () => resolve());
  });
  stream.on('data', (chunk: Buffer) => onData(chunk));
  return {
    endStdin: (data) => void stream.end(data),
    write: (data) => void stream.write(data),
    ended,
    destroy: () => void stream.destroy(),
    stdin: stream,
  };
}

/**
 * Containers through dockerode, except attach and wait, which use our own connection to `target` when there is
 * one (plain socket or TCP): see `rawAttach` and `rawWait` for why.
 */
export function createContainerClient(options: {
  docker: DockerodeContainers;
  target: EngineTarget | undefined;
  logger: Logger;
}): ContainerClient {
  const { docker, target, logger } = options;
  const ids = (id: string): Record<string, unknown> => ({ containerId: shortId(id) });
  return {
    createContainer: (body) =>
      loggedCall(
        logger,
        { doing: 'creating container', done: 'created container', failed: 'failed to create container' },
        { image: body.Image, name: body.name },
        async () => (await docker.createContainer(body as unknown as Docker.ContainerCreateOptions)).id,
        (id) => ({ containerId: shortId(id) }),
      ),
    attachContainer: (id, { stdin, onData }) =>
      loggedCall(
        logger,
        { doing: 'attaching to container', done: 'attached to container', failed: 'failed to attach to container' },
        ids(id),
        async () => {
          if (target !== undefined) return rawAttach(target, id, { stdin, onData });
          // TLS engines: dockerode's attach (allocates per read, which only costs memory headroom).
          const stream = (await docker
            .getContainer(id)
            .attach({ stream: true, stdout: true, stderr: true, stdin, hijack: true })) as unknown as Duplex;
          return duplexAttach(stream, onData);
        },
      ),
    startContainer: async (id) => {
      await loggedCall(
        logger,
        { doing: 'starting container', done: 'started container', failed: 'failed to start container' },
        ids(id),
        () => tolerate(docker.getContainer(id).start(), [304]),
        tolerated,
      );
    },
    waitContainer: (id) =>
      loggedCall(
        logger,
        { doing: 'waiting for container', done: 'container exited', failed: 'failed to wait for container' },
        ids(id),
        async () => {
          // Our own request: it fails when the engine goes away mid-wait, where dockerode's would hang.
          if (target !== undefined) return rawWait(target, id);
          const res = (await docker.getContainer(id).wait()) as { StatusCode?: number };
          return res.StatusCode ?? -1;
        },
        (exitCode) => ({ exitCode }),
      ),
    inspectContainer: (id) =>
      loggedCall(
        logger,
        { doing: 'inspecting container', done: 'inspected container', failed: 'failed to inspect container' },
        ids(id),
        async () => {
          const info = await docker.getContainer(id).inspect();
          return { running: info.State.Running, exitCode: info.State.ExitCode, oomKilled: info.State.OOMKilled };
        },
        (state) => ({ ...state }),
      ),
    killContainer: async (id, signal) => {
      await loggedCall(
        logger,
        { doing: 'signalling container', done: 'signalled container', failed: 'failed to signal container' },
        { ...ids(id), signal },
        () => tolerate(docker.getContainer(id).kill({ signal }), [404, 409]),
        tolerated,
      );
    },
    removeContainer: async (id) => {
      await loggedCall(
        logger,
        { doing: 'removing container', done: 'removed container', failed: 'failed to remove container' },
        ids(id),
        // 409: removal already in progress (e.g. the reaper and the task raced); the other caller finishes it.
        () => tolerate(docker.getContainer(id).remove({ force: true, v: true }), [404, 409]),
        tolerated,
      );
    },
    listContainers: (label) =>
      loggedCall(
        logger,
        { doing: 'listing containers', done: 'listed containers', failed: 'failed to list containers' },
        { label },
        async () => {
          const list = await docker.listContainers({ all: true, filters: { label: [label] } });
          return list.map((c) => ({ id: c.Id, labels: c.Labels ?? {}, state: c.State }));
        },
        (list) => ({ count: list.length }),
      ),
  };
}
