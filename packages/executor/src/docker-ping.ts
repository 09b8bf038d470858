import http from 'node:http';
import https from 'node:https';
import type { DockerConnection } from './docker-connection';

/** Resolves when the engine at `connection` answers; rejects with why not. Discovery takes a fake in tests. */
export type DockerPing = (connection: DockerConnection) => Promise<void>;

const PING_TIMEOUT_MS = 3_000;

/**
 * `GET /_ping` (the Engine API's liveness call, answered by Docker and Podman alike) on a connection of its
 * own: 200 is an answer; another status, a refused connection or silence for `timeoutMs` is not.
 */
export function pingEngine(connection: DockerConnection, timeoutMs = PING_TIMEOUT_MS): Promise<void> {
  return new Promise((resolve, reject) => {
    const common = { method: 'GET', path: '/_ping', headers: { host: 'docker' }, agent: false, timeout: timeoutMs };
    const req =
      'socketPath' in connection
        ? http.request({ ...common, socketPath: connection.socketPath })
        : connection.protocol === 'http'
          ? http.request({ ...common, host: connection.host, port: connection.port })
          : https.request({
              ...common,
              host: connection.host,
              port: connection.port,
              ...(connection.ca && { ca: connection.ca }),
              ...(connection.cert && { cert: connection.cert }),
              ...(connection.key && { key: connection.key }),
            });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.on('response', (res) => {
      res.resume();
      if (res.statusCode === 200) resolve();
      else reject(new Error(`GET /_ping answered HTTP ${res.statusCode ?? '?'}`));
    });
    req.end();
  });
}
