import type { HeartbeatResponse } from '@baaaht/proto';
import type { AgentConnection } from './agent-connection';
import type { Clock } from './clock';
import { rpcError } from './errors';
import type { Logger } from './logger';
import type { MetricCounter } from './metric-meter';
import { ProcessUsageSampler } from './resource-usage';

/** What each heartbeat says about the agent's work. */
export interface HeartbeatStatus {
  activeTasks: string[];
  freeSlots: number;
  draining: boolean;
}

export interface HeartbeatOptions {
  clock: Clock;
  intervalMs: number;
  logger: Logger;
  connection: Pick<AgentConnection, 'current' | 'callOptions' | 'forgetSession'>;
  status(): HeartbeatStatus;
  /** Runs before each beat while connected (the agent re-reports its sessions if they changed). @default none */
  beforeBeat?(): void;
  failures: MetricCounter;
}

/**
 * Sends a Heartbeat every `intervalMs` while connected and registered, from `start(signal)` until
 * the signal aborts (the agent's final state). A `reregister` answer drops the session, so the next
 * connection registers afresh. A failed beat is logged and counted; the next one is still scheduled.
 */
export class Heartbeat {
  private readonly usage = new ProcessUsageSampler();
  private timer: unknown;
  private lastAnswered: number | undefined;

  constructor(private readonly options: HeartbeatOptions) {}

  /** Epoch ms (on the clock) of the last heartbeat the hub answered. */
  get lastAt(): number | undefined {
    return this.lastAnswered;
  }

  start(signal: AbortSignal): void {
    signal.addEventListener('abort', () => {
      if (this.timer !== undefined) this.options.clock.clearTimeout(this.timer);
    });
    this.schedule(signal);
  }

  private schedule(signal: AbortSignal): void {
    if (signal.aborted) return;
    this.timer = this.options.clock.setTimeout(() => {
      void this.beat(signal).finally(() => this.schedule(signal));
    }, this.options.intervalMs);
  }

  private async beat(signal: AbortSignal): Promise<void> {
    const live = this.options.connection.current();
    if (!live || signal.aborted) return;
    const { client, session } = live;
    this.options.beforeBeat?.();
    const status = this.options.status();
    try {
      const res = await new Promise<HeartbeatResponse>((resolve, reject) => {
        client.heartbeat(
          {
            agentId: session.agentId,
            resources: this.usage.sample(),
            activeTasks: status.activeTasks,
            freeSlots: status.freeSlots,
            draining: status.draining,
            // The registration token proves this heartbeat is ours; the agent id alone is public.
            token: session.token,
          },
          ...this.options.connection.callOptions(),
          (err, response) => (err ? reject(rpcError('RPC_FAILED', 'heartbeat', err)) : resolve(response)),
        );
      });
      this.lastAnswered = this.options.clock.now();
      if (res.reregister) this.options.connection.forgetSession(session);
    } catch (err) {
      this.options.failures.add(1);
      this.options.logger.debug('heartbeat failed', { component: 'agent', error: (err as Error).message });
    }
  }
}
