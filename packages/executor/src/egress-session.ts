import fs from 'node:fs';
import path from 'node:path';
import { EGRESS_SOCKET_NAME } from './container-config';
import { EgressProxy } from './egress-proxy';
import type { EgressDecisionEvent } from './egress-proxy';
import { ExecutorError } from './errors';
import type { Logger } from './logger';
import type { EgressDecision, EgressRequest } from './policy-enforcer';

export interface EgressSession {
  /** Host directory holding the socket; mounted at /run/baaaht. */
  dir: string;
  close(): Promise<void>;
}

/** Starts one web task's egress proxy on a socket in a fresh private directory. */
export async function startEgressSession(options: {
  root: string;
  check(request: EgressRequest): EgressDecision | Promise<EgressDecision>;
  context: { taskId: string; tool: string; sessionId?: string };
  logger: Logger;
  onDecision(event: EgressDecisionEvent): void;
}): Promise<EgressSession> {
  const base = fs.mkdtempSync(path.join(options.root, 'baaaht-egress-'));
  // base is 0700 and ours, which keeps other host users away from the socket; the inner directory is
  // what the container sees at /run/baaaht, so the tool's unprivileged uid must be able to traverse it.
  const dir = path.join(base, 'sock');
  fs.mkdirSync(dir);
  fs.chmodSync(dir, 0o755);
  let proxy: EgressProxy;
  try {
    proxy = await EgressProxy.listen({
      socketPath: path.join(dir, EGRESS_SOCKET_NAME),
      check: options.check,
      context: options.context,
      logger: options.logger,
      onDecision: (d) => options.onDecision(d),
    });
  } catch (err) {
    fs.rmSync(base, { recursive: true, force: true });
    throw new ExecutorError('EGRESS_ERROR', `could not start the egress proxy: ${String(err)}`, {
      ...options.context,
      cause: err,
    });
  }
  return {
    dir,
    close: async () => {
      await proxy.close();
      fs.rmSync(base, { recursive: true, force: true });
    },
  };
}
