import type Docker from 'dockerode';
import { loggedCall } from './docker-call-log';
import type { Logger } from './logger';

/** What `docker version` reports about the engine. */
export interface EngineVersion {
  version: string;
  apiVersion: string;
}

/** Calls about the engine itself. Each logs its own debug/error lines (`component: 'docker'`). */
export interface EngineClient {
  /** Resolves when the engine answers `GET /_ping`. */
  ping(): Promise<void>;
  version(): Promise<EngineVersion>;
  /** Names of the OCI runtimes the engine has registered (`docker info` Runtimes). */
  runtimes(): Promise<string[]>;
}

/** The dockerode calls the engine client makes (tests pass a fake of this shape). */
export type DockerodeEngine = Pick<Docker, 'ping' | 'version' | 'info'>;

export function createEngineClient(options: { docker: DockerodeEngine; logger: Logger }): EngineClient {
  const { docker, logger } = options;
  return {
    ping: async () => {
      await loggedCall(
        logger,
        { doing: 'pinging engine', done: 'engine answered', failed: 'engine did not answer' },
        {},
        () => docker.ping(),
      );
    },
    version: () =>
      loggedCall(
        logger,
        { doing: 'reading engine version', done: 'read engine version', failed: 'failed to read engine version' },
        {},
        async () => {
          const v = await docker.version();
          return { version: v.Version, apiVersion: v.ApiVersion };
        },
        (v) => ({ ...v }),
      ),
    runtimes: () =>
      loggedCall(
        logger,
        { doing: 'reading engine info', done: 'read engine info', failed: 'failed to read engine info' },
        {},
        async () => {
          const info = (await docker.info()) as { Runtimes?: Record<string, unknown> };
          return Object.keys(info.Runtimes ?? {});
        },
        (runtimes) => ({ runtimes }),
      ),
  };
}
