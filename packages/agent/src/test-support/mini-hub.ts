import { unlinkSync } from 'node:fs';
import { Server, ServerCredentials, status } from '@grpc/grpc-js';
import type { ServerDuplexStream } from '@grpc/grpc-js';
import { AgentServiceService } from '@baaaht/proto';
import type { AgentServiceServer, OrchestratorMessage, WorkerMessage } from '@baaaht/proto';

export interface MiniHubOptions {
  refuseToken?: boolean;
  registers?: string[];
  /** Every message the agent sent on its Work streams, in order. */
  received?: WorkerMessage[];
  /** Answer every Heartbeat with UNAVAILABLE. */
  failHeartbeats?: boolean;
  /** Acknowledge every `finished` report at once. */
  ack?: boolean;
}

export interface MiniHub {
  server: Server;
  streams: ServerDuplexStream<WorkerMessage, OrchestratorMessage>[];
}

/** The smallest hub that welcomes a worker: enough to end an outage, push a task and take its report. */
export async function miniHub(path: string, options: MiniHubOptions = {}): Promise<MiniHub> {
  const streams: ServerDuplexStream<WorkerMessage, OrchestratorMessage>[] = [];
  const unimplemented = (_call: unknown, cb: (err: { code: number }) => void): void =>
    cb({ code: status.UNIMPLEMENTED });
  const impl: AgentServiceServer = {
    register: (call, cb) => {
      options.registers?.push(call.request.name);
      if (options.refuseToken)
        return cb({ code: status.UNAUTHENTICATED, details: 'missing or invalid bearer token' } as never);
      cb(null, {
        agentId: call.request.resumeAgentId || 'a1',
        registrationToken: 't',
        resumed: !!call.request.resumeAgentId,
        agent: undefined,
      });
    },
    heartbeat: (_call, cb) =>
      options.failHeartbeats
        ? cb({ code: status.UNAVAILABLE, details: 'heartbeats are off' } as never)
        : cb(null, { timestamp: new Date(), pendingTasks: [], reregister: false }),
    unregister: (_call, cb) => cb(null, { success: true, message: '' }),
    work: (call) => {
      streams.push(call);
      call.on('data', (m: WorkerMessage) => {
        options.received?.push(m);
        if (m.payload?.$case === 'hello')
          call.write({
            payload: { $case: 'welcome', value: { agentId: m.payload.value.agentId, expectedTaskIds: [] } },
          });
        if (m.payload?.$case === 'finished' && options.ack)
          call.write({ payload: { $case: 'ack', value: { taskId: m.payload.value.taskId } } });
      });
      call.on('error', () => undefined);
    },
    cancelTask: unimplemented,
    getTaskStatus: unimplemented,
    healthCheck: unimplemented,
    getCapabilities: unimplemented,
  };
  const server = new Server();
  server.addService(AgentServiceService, impl);
  try {
    unlinkSync(path);
  } catch {
    // no stale socket
  }
  await new Promise<void>((resolve, reject) =>
    server.bindAsync(`unix:${path}`, ServerCredentials.createInsecure(), (err) => (err ? reject(err) : resolve())),
  );
  return { server, streams };
}
