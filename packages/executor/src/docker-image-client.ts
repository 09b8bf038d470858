import type Docker from 'dockerode';
import { loggedCall } from './docker-call-log';
import { dockerStatus } from './errors';
import type { Logger } from './logger';

/** The image calls the executor makes. Each logs its own debug/error lines (`component: 'docker'`). */
export interface ImageClient {
  imageExists(image: string): Promise<boolean>;
  /**
   * The image's id (`sha256:...`), or undefined when it is not present. Optional for fakes: without it the
   * warm pool keys containers by image name only.
   */
  imageId?(image: string): Promise<string | undefined>;
  /** Pulls an image; rejects when the registry refuses or `signal` aborts. */
  pullImage(image: string, signal: AbortSignal): Promise<void>;
}

/** The dockerode calls the image client makes (tests pass a fake of this shape). */
export type DockerodeImages = Pick<Docker, 'getImage' | 'pull'> & {
  modem: Pick<Docker['modem'], 'followProgress'>;
};

export function createImageClient(options: { docker: DockerodeImages; logger: Logger }): ImageClient {
  const { docker, logger } = options;
  return {
    imageExists: (image) =>
      loggedCall(
        logger,
        { doing: 'inspecting image', done: 'inspected image', failed: 'failed to inspect image' },
        { image },
        async () => {
          try {
            await docker.getImage(image).inspect();
            return true;
          } catch (err) {
            if (dockerStatus(err) === 404) return false;
            throw err;
          }
        },
        (present) => ({ present }),
      ),
    imageId: (image) =>
      loggedCall(
        logger,
        { doing: 'inspecting image', done: 'inspected image', failed: 'failed to inspect image' },
        { image },
        async () => {
          try {
            return String((await docker.getImage(image).inspect()).Id);
          } catch (err) {
            if (dockerStatus(err) === 404) return undefined;
            throw err;
          }
        },
        (id) => ({ present: id !== undefined }),
      ),
    pullImage: (image, signal) =>
      loggedCall(
        logger,
        { doing: 'pulling image', done: 'pulled image', failed: 'failed to pull image' },
        { image },
        async () => {
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
      ),
  };
}
