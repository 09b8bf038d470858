import type Docker from 'dockerode';
import { loggedCall } from './docker-call-log';
import { dockerStatus } from './errors';
import type { Logger } from './logger';

/** A volume the executor created, as listed. */
export interface ManagedVolume {
  name: string;
  labels: Record<string, string>;
}

/** What `POST /volumes/create` is given: always the `local` driver. */
export interface VolumeCreateSpec {
  name: string;
  labels: Record<string, string>;
  /** The local driver's options (`type`, `o`, `device`). */
  driverOpts: Record<string, string>;
}

/**
 * The volume calls the executor makes (the gVisor tier's descriptor mounts, see descriptor-mounts.ts). Each
 * logs its own debug/error lines (`component: 'docker'`).
 */
export interface VolumeClient {
  createVolume(spec: VolumeCreateSpec): Promise<void>;
  /** Removes; a volume that is already gone is not an error. Rejects (409) while a container uses it. */
  removeVolume(name: string): Promise<void>;
  /** Volumes with `label` (`key=value`). */
  listVolumes(label: string): Promise<ManagedVolume[]>;
}

/** The dockerode calls the volume client makes (tests pass a fake of this shape). */
export type DockerodeVolumes = Pick<Docker, 'createVolume' | 'getVolume' | 'listVolumes'>;

export function createVolumeClient(options: { docker: DockerodeVolumes; logger: Logger }): VolumeClient {
  const { docker, logger } = options;
  return {
    createVolume: async (spec) => {
      await loggedCall(
        logger,
        { doing: 'creating volume', done: 'created volume', failed: 'failed to create volume' },
        { volume: spec.name },
        () =>
          docker.createVolume({ Name: spec.name, Driver: 'local', DriverOpts: spec.driverOpts, Labels: spec.labels }),
      );
    },
    removeVolume: async (name) => {
      await loggedCall(
        logger,
        { doing: 'removing volume', done: 'removed volume', failed: 'failed to remove volume' },
        { volume: name },
        async () => {
          try {
            await docker.getVolume(name).remove();
          } catch (err) {
            if (dockerStatus(err) !== 404) throw err;
          }
        },
      );
    },
    listVolumes: (label) =>
      loggedCall(
        logger,
        { doing: 'listing volumes', done: 'listed volumes', failed: 'failed to list volumes' },
        { label },
        async () => {
          const list = (await docker.listVolumes({ filters: { label: [label] } })) as {
            Volumes?: Array<{ Name: string; Labels?: Record<string, string> | null }> | null;
          };
          return (list.Volumes ?? []).map((v) => ({ name: v.Name, labels: v.Labels ?? {} }));
        },
        (list) => ({ count: list.length }),
      ),
  };
}
