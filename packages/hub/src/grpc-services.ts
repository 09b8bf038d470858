import { timingSafeEqual } from 'node:crypto';
import { status } from '@grpc/grpc-js';
import type { Metadata, ServerDuplexStream, ServerUnaryCall, ServerWritableStream, sendUnaryData } from '@grpc/grpc-js';
import { AgentCapabilities, PROTOCOL_VERSION, Status, TaskState } from '@baaaht/proto';
import type {
  AgentServiceServer,
  OrchestratorMessage,
  TaskEvent,
  TaskServiceServer,
  WorkerMessage,
} from '@baaaht/proto';
import { HubError, invalidField } from './errors';
import { toGrpcStatus } from './grpc-status';
import type { HubCore } from './hub-core';
import type { Logger } from './logger';
import { fromAssignment, traceHeaders } from './submission';

export interface ServiceContext {
  core: HubCore;
  logger: Logger;
  bearerToken: string | undefined;
  version: string;
  knownTools: string[] | undefined;
}

function authorized(expected: string | undefined, metadata: Metadata): boolean {
  if (expected === undefined) return true;
  const given = metadata.get('authorization')[0];
  if (typeof given !== 'string') return false;
  const a = Buffer.from(`Bearer ${expected}`);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}

const unauthenticated = (): HubError => new HubError('UNAUTHENTICATED', 'missing or invalid bearer token');

/**
 * Runs a unary handler (synchronous, or resolving later), mapping anything thrown or rejected to a status
 * so no call can take the hub down.
 */
function unary<Req, Res>(ctx: ServiceContext, name: string, fn: (req: Req, metadata: Metadata) => Res | Promise<Res>) {
  return (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>): void => {
    const fail = (err: unknown): void => {
      const mapped = toGrpcStatus(err);
      if (mapped.code === status.INTERNAL)
        ctx.logger.error(`${name} failed`, { component: 'hub', error: mapped.details });
      callback(mapped);
    };
    try {
      if (!authorized(ctx.bearerToken, call.metadata)) throw unauthenticated();
      const res = fn(call.request, call.metadata);
      if (res instanceof Promise) res.then((value) => callback(null, value), fail);
      else callback(null, res);
    } catch (err) {
      fail(err);
    }
  };
}

export function agentService(ctx: ServiceContext): AgentServiceServer {
  const { core } = ctx;
  return {
    register: unary(ctx, 'Register', (req) => core.register(req)),
    unregister: unary(ctx, 'Unregister', (req) => {
      const ok = core.unregister(req.agentId, req.token);
      return { success: ok, message: ok ? 'unregistered' : 'unknown agent' };
    }),
    heartbeat: unary(ctx, 'Heartbeat', (req) => core.heartbeat(req)),
    cancelTask: unary(ctx, 'CancelTask', (req) => {
      if (!req.taskId) throw invalidField('task_id', 'is required');
      return core.cancel(req.taskId, req.force, req.reason || undefined);
    }),
    getTaskStatus: unary(ctx, 'GetTaskStatus', (req) => {
      if (!req.taskId) throw invalidField('task_id', 'is required');
      const task = core.getTask(req.taskId);
      if (!task) throw new HubError('TASK_NOT_FOUND', `task not found: ${req.taskId}`, { taskId: req.taskId });
      return { task };
    }),
    healthCheck: unary(ctx, 'HealthCheck', () => ({
      status: Status.STATUS_RUNNING,
      version: ctx.version,
      subsystems: ['registry', 'dispatch', 'store'],
    })),
    getCapabilities: unary(ctx, 'GetCapabilities', () => ({
      capabilities: AgentCapabilities.fromPartial({
        supportedTools: ctx.knownTools ?? [],
        supportsStreaming: true,
        supportsCancellation: true,
        supportedProtocols: [PROTOCOL_VERSION],
      }),
    })),
    work: (call: ServerDuplexStream<WorkerMessage, OrchestratorMessage>) => {
      if (!authorized(ctx.bearerToken, call.metadata)) {
        call.emit('error', toGrpcStatus(unauthenticated()));
        return;
      }
      let open = true;
      const connection = core.openWork({
        send(message) {
          if (open && !call.writableEnded) call.write(message);
        },
        close(error) {
          if (!open) return;
          open = false;
          if (error) call.emit('error', toGrpcStatus(error));
          else call.end();
          connection.closed();
        },
      });
      const closed = (): void => {
        if (!open) return;
        open = false;
        connection.closed();
        if (!call.writableEnded) call.end();
      };
      call.on('data', (message: WorkerMessage) => {
        try {
          connection.message(message);
        } catch (err) {
          ctx.logger.error('work stream handler failed', { component: 'hub', error: (err as Error).message });
        }
      });
      call.on('end', closed);
      call.on('cancelled', closed);
      call.on('close', closed);
      call.on('error', (err: Error) => {
        ctx.logger.debug('work stream error', { component: 'hub', error: err.message });
        closed();
      });
    },
  };
}

export function taskService(ctx: ServiceContext): TaskServiceServer {
  const { core } = ctx;
  return {
    submitTask: unary(ctx, 'SubmitTask', (req, metadata) =>
      core.submit(fromAssignment(req.task, req.selector, traceHeaders(metadata))),
    ),
    listWorkers: unary(ctx, 'ListWorkers', (req) => core.listWorkersPage(req.pageSize, req.pageToken)),
    listTasks: unary(ctx, 'ListTasks', (req) =>
      core.listTasksPage(req.pageSize, req.pageToken, { states: req.states, tool: req.tool, worker: req.worker }),
    ),
    listSessions: unary(ctx, 'ListSessions', (req) =>
      core.listSessionsPage(req.pageSize, req.pageToken, { worker: req.worker }),
    ),
    closeSession: unary(ctx, 'CloseSession', (req) => core.closeSession(req.sessionId, req.reason || undefined)),
    watchTask: (call: ServerWritableStream<{ taskId: string }, TaskEvent>) => {
      try {
        if (!authorized(ctx.bearerToken, call.metadata)) throw unauthenticated();
        const { taskId } = call.request;
        if (!taskId) throw invalidField('task_id', 'is required');
        const task = core.getTask(taskId);
        if (!task) throw new HubError('TASK_NOT_FOUND', `task not found: ${taskId}`, { taskId });
        if (task.finished) {
          call.write({ taskId, payload: { $case: 'finished', value: task.finished } });
          call.end();
          return;
        }
        const unsubscribe = core.subscribe(taskId, (event) => {
          if (call.writableEnded) return;
          call.write(event);
          if (event.payload?.$case === 'finished') {
            unsubscribe();
            call.end();
          }
        });
        const stop = (): void => unsubscribe();
        call.on('cancelled', stop);
        call.on('close', stop);
        call.on('error', stop);
        if (task.state === TaskState.TASK_STATE_ASSIGNED || task.state === TaskState.TASK_STATE_RUNNING) {
          call.write({
            taskId,
            payload: { $case: 'assigned', value: { agentId: task.agentId, attempt: task.attempts } },
          });
        }
      } catch (err) {
        call.emit('error', toGrpcStatus(err));
      }
    },
  };
}
