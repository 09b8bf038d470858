import { PassThrough } from 'node:stream';
import type { DockerodeContainers } from '../docker-container-client';
import type { DockerodeEngine } from '../docker-engine-client';
import type { DockerodeImages } from '../docker-image-client';

/** The dockerode calls the clients make, by name. */
export type DockerodeCall =
  | 'createContainer'
  | 'attach'
  | 'start'
  | 'wait'
  | 'inspect'
  | 'kill'
  | 'remove'
  | 'listContainers'
  | 'inspectImage'
  | 'pull'
  | 'ping'
  | 'version'
  | 'info';

export const FAKE_CONTAINER_ID = 'c0ffee0123456789abcdef0123456789abcdef0123456789abcdef0123456789';

/**
 * A dockerode-shaped object for the resource clients' unit tests: every call answers like the engine, or
 * rejects with the error set in `failing` (the same object, so a test can check it is rethrown as is).
 */
export class FakeDockerode {
  readonly failing = new Map<DockerodeCall, unknown>();
  readonly calls: DockerodeCall[] = [];

  private async answer<T>(call: DockerodeCall, value: T): Promise<T> {
    this.calls.push(call);
    if (this.failing.has(call)) throw this.failing.get(call);
    return value;
  }

  readonly api = {
    createContainer: () => this.answer('createContainer', { id: FAKE_CONTAINER_ID }),
    getContainer: () => ({
      attach: () => this.answer('attach', new PassThrough()),
      start: () => this.answer('start', undefined),
      wait: () => this.answer('wait', { StatusCode: 3 }),
      inspect: () => this.answer('inspect', { State: { Running: false, ExitCode: 3, OOMKilled: true } }),
      kill: () => this.answer('kill', undefined),
      remove: () => this.answer('remove', undefined),
    }),
    listContainers: () =>
      this.answer('listContainers', [
        { Id: FAKE_CONTAINER_ID, Labels: { 'org.baaaht.worker-id': 'w' }, State: 'exited' },
      ]),
    getImage: () => ({ inspect: () => this.answer('inspectImage', {}) }),
    pull: () => this.answer('pull', new PassThrough()),
    modem: { followProgress: (_stream: unknown, done: (err: Error | null) => void) => done(null) },
    ping: () => this.answer('ping', 'OK'),
    version: () => this.answer('version', { Version: '27.1.0', ApiVersion: '1.46' }),
    info: () => this.answer('info', { Runtimes: { runc: {}, runsc: {} } }),
  } as unknown as DockerodeContainers & DockerodeImages & DockerodeEngine;
}

/** An error shaped like dockerode's for an engine status. */
export function engineError(statusCode: number, message = `HTTP ${statusCode}`): Error {
  return Object.assign(new Error(message), { statusCode });
}
