import http from 'node:http';
import type { EngineTarget } from './raw-attach';

/**
 * `POST /containers/{id}/wait` on a connection of our own; resolves with the exit status. The engine sends
 * the response headers at once and the body when the container exits. If the engine goes away in between
 * (a daemon restart, a crash), dockerode's request never settles: docker-modem listens for the body's end
 * only, and Node drops the aborted response's error when nobody listens. The task would hang forever;
 * here a connection that closes before the body is complete rejects (`ECONNRESET`).
 */
export function rawWait(target: EngineTarget, id: string): Promise<number> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const fail = (err: Error): void => {
      if (settled) return;
      settled = true;
      reject(err);
      req.destroy();
    };
    const req = http.request({
      ...('socketPath' in target ? { socketPath: target.socketPath } : { host: target.host, port: target.port }),
      method: 'POST',
      path: `/containers/${encodeURIComponent(id)}/wait`,
      headers: { host: 'docker', 'content-length': 0 },
      agent: false,
    });
    req.on('error', fail);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      const closedEarly = (): void =>
        fail(
          Object.assign(
            new Error(`wait ${id}: the engine closed the connection before the container's exit status (ECONNRESET)`),
            { code: 'ECONNRESET' },
          ),
        );
      // A listener, so that an aborted response reports its error instead of going quiet.
      res.on('error', closedEarly);
      res.on('close', () => {
        if (!res.complete) closedEarly();
      });
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        if (res.statusCode !== 200)
          return fail(
            Object.assign(new Error(`wait ${id}: HTTP ${res.statusCode}: ${text.trim().slice(0, 500)}`), {
              statusCode: res.statusCode,
            }),
          );
        let status: unknown;
        try {
          status = (JSON.parse(text) as { StatusCode?: unknown }).StatusCode;
        } catch {
          return fail(new Error(`wait ${id}: the engine's answer is not JSON: ${text.slice(0, 200)}`));
        }
        settled = true;
        resolve(typeof status === 'number' ? status : -1);
      });
    });
    req.end();
  });
}
