import Docker from 'dockerode';
import { engineTarget } from './docker-connection';
import type { DockerConnection } from './docker-connection';
import { createContainerClient } from './docker-container-client';
import type { ContainerClient } from './docker-container-client';
import { discoverDockerEngineSync } from './docker-discovery';
import type { DockerDiscovery, DockerDiscoveryOptions } from './docker-discovery';
import { createEngineClient } from './docker-engine-client';
import type { EngineClient } from './docker-engine-client';
import { createImageClient } from './docker-image-client';
import type { ImageClient } from './docker-image-client';
import { createVolumeClient } from './docker-volume-client';
import type { VolumeClient } from './docker-volume-client';
import { quietLogger, withMeta } from './logger';
import type { Logger } from './logger';

export type { ContainerCreateBody, ContainerState, ManagedContainer } from './docker-container-client';
export { duplexAttach } from './docker-container-client';
export type { DockerConnection } from './docker-connection';
export type { ManagedVolume, VolumeClient, VolumeCreateSpec } from './docker-volume-client';

/**
 * The handful of Docker engine calls the executor makes, flat (the executor, the reaper and the image
 * resolver take this). `createDockerClient` implements it with dockerode; unit tests implement it with a fake.
 * The volume calls are optional for fakes: without them the gVisor tier's workspace tools are refused
 * (MOUNT_PIN_UNAVAILABLE, see descriptor-mounts.ts).
 */
export interface DockerClient
  extends ContainerClient, ImageClient, Pick<EngineClient, 'runtimes'>, Partial<VolumeClient> {}

/** `createDockerClient`'s client: the flat calls, plus each resource's client and the engine it talks to. */
export interface ComposedDockerClient extends DockerClient {
  readonly containers: ContainerClient;
  readonly images: ImageClient;
  readonly volumes: VolumeClient;
  readonly engine: EngineClient;
  readonly connection: DockerConnection;
  /** How the engine was found; absent when `connection` was given. */
  readonly discovery: DockerDiscovery | undefined;
}

export interface DockerClientOptions {
  /** Read for discovery (`DOCKER_HOST`, ...). @default process.env */
  env?: NodeJS.ProcessEnv;
  /** Every call logs "doing" / "done" at debug, or the error (`component: 'docker'`). @default quietLogger */
  logger?: Logger;
  /** The engine to use, e.g. from `discoverDockerEngine` (which pings). @default discoverDockerEngineSync({ env }) */
  connection?: DockerConnection;
  /** Injected paths, stat and uid for discovery (tests). */
  discovery?: Omit<DockerDiscoveryOptions, 'env' | 'ping'>;
}

/**
 * `DOCKER_HOST`'s engine, else the first one discovery finds (see `discoverDockerEngineSync`). Kept for
 * callers that want only the connection.
 */
export function dockerConnectionFromEnv(
  env: NodeJS.ProcessEnv = process.env,
  discovery: Omit<DockerDiscoveryOptions, 'env' | 'ping'> = {},
): DockerConnection {
  return discoverDockerEngineSync({ ...discovery, env }).connection;
}

/** The dockerode-backed client: containers, images and engine clients composed, on one dockerode instance. */
export function createDockerClient(options: DockerClientOptions = {}): ComposedDockerClient {
  const discovery =
    options.connection === undefined ? discoverDockerEngineSync({ ...options.discovery, env: options.env }) : undefined;
  const connection = options.connection ?? (discovery as DockerDiscovery).connection;
  const docker = new Docker(connection);
  const logger = withMeta(options.logger ?? quietLogger, { component: 'docker' });
  const containers = createContainerClient({ docker, target: engineTarget(connection), logger });
  const images = createImageClient({ docker, logger });
  const engine = createEngineClient({ docker, logger });
  const volumes = createVolumeClient({ docker, logger });
  return {
    ...containers,
    ...images,
    ...volumes,
    runtimes: engine.runtimes,
    containers,
    images,
    volumes,
    engine,
    connection,
    discovery,
  };
}
