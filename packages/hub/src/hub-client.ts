import { readFileSync } from 'node:fs';
import { credentials, Metadata } from '@grpc/grpc-js';
import type { ChannelCredentials, ServiceError } from '@grpc/grpc-js';
import { AgentServiceClient, DEFAULT_MAX_MESSAGE_BYTES, TaskServiceClient } from '@baaaht/proto';
import type {
  Agent,
  CancelTaskResponse,
  CloseSessionResponse,
  ListSessionsResponse,
  ListTasksResponse,
  ListWorkersResponse,
  SessionInfo,
  SubmitTaskResponse,
  Task,
  TaskEvent,
  TaskFinished,
  TaskState,
} from '@baaaht/proto';
import { HubError } from './errors';
import { fromGrpcError } from './grpc-status';
import { parseListenAddress } from './listen-address';
import { toAssignment } from './submission';
import { activeTraceContext } from './tracing';
import type { SubmitTaskInput } from './submission';

export interface HubClientOptions {
  /** Sent as `authorization: Bearer <token>`. @default undefined */
  bearerToken?: string;
  /** TLS towards a TCP hub. @default undefined (plaintext) */
  tls?: {
    ca?: string | Buffer;
    caFile?: string;
    cert?: string | Buffer;
    certFile?: string;
    key?: string | Buffer;
    keyFile?: string;
    serverName?: string;
  };
  /** Deadline of each unary call. @default 10000 */
  rpcTimeoutMs?: number;
  /** @default 104857600 (100 MB) */
  maxMessageBytes?: number;
}

/** Which tasks `tasks()` and `tasksPage()` list; empty values match everything. */
export interface ListTasksOptions {
  /** Only tasks in one of these states. @default every state */
  states?: TaskState[];
  /** Only tasks of this tool. @default every tool */
  tool?: string;
  /** Only tasks held or finished by this worker: its agent id or its registered name. @default every worker */
  worker?: string;
}

/** A small typed client for submitting, watching and fetching tasks; used by the dev orchestrator CLI. */
export interface HubClient {
  submit(input: SubmitTaskInput): Promise<{ taskId: string; created: boolean; state: SubmitTaskResponse['state'] }>;
  /** Streams the task's events until `finished` (replayed if the task already finished). */
  watch(taskId: string): AsyncIterable<TaskEvent>;
  /** Watches until the task finishes and returns its result. */
  wait(taskId: string): Promise<TaskFinished>;
  cancel(taskId: string, options?: { force?: boolean; reason?: string }): Promise<CancelTaskResponse>;
  status(taskId: string): Promise<Task>;
  /** Every worker, following ListWorkers pages. */
  workers(): Promise<Agent[]>;
  /** One ListWorkers page; pass `nextPageToken` back for the next (empty on the last page). */
  workersPage(options?: {
    pageSize?: number;
    pageToken?: string;
  }): Promise<{ workers: Agent[]; nextPageToken: string }>;
  /**
   * Tasks newest first, following ListTasks pages until `limit` (listed tasks carry no output or
   * parameters: `status()` has them).
   */
  tasks(options?: ListTasksOptions & { /** @default 50 */ limit?: number }): Promise<Task[]>;
  /** One ListTasks page; pass `nextPageToken` back for the next (empty on the last page). */
  tasksPage(
    options?: ListTasksOptions & { pageSize?: number; pageToken?: string },
  ): Promise<{ tasks: Task[]; nextPageToken: string }>;
  /** Every sandbox session the hub knows (optionally of one worker: agent id or name), following ListSessions pages. */
  sessions(options?: { worker?: string }): Promise<SessionInfo[]>;
  /** One ListSessions page; pass `nextPageToken` back for the next (empty on the last page). */
  sessionsPage(options?: {
    worker?: string;
    pageSize?: number;
    pageToken?: string;
  }): Promise<{ sessions: SessionInfo[]; nextPageToken: string }>;
  /** Asks the hub to close a session on the worker holding it (see `Hub.closeSession`). */
  closeSession(sessionId: string, options?: { reason?: string }): Promise<CloseSessionResponse>;
  close(): void;
}

function read(inline: string | Buffer | undefined, file: string | undefined): Buffer | null {
  if (inline !== undefined) return Buffer.isBuffer(inline) ? inline : Buffer.from(inline);
  return file === undefined ? null : readFileSync(file);
}

export function createHubClient(address: string, options: HubClientOptions = {}): HubClient {
  const parsed = parseListenAddress(address);
  const target = parsed.kind === 'unix' ? `unix://${parsed.path}` : parsed.bindTarget;
  const tls = options.tls;
  const creds: ChannelCredentials =
    tls && parsed.kind === 'tcp'
      ? credentials.createSsl(read(tls.ca, tls.caFile), read(tls.key, tls.keyFile), read(tls.cert, tls.certFile))
      : credentials.createInsecure();
  const max = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  const channelOptions: Record<string, string | number> = {
    'grpc.max_receive_message_length': max,
    'grpc.max_send_message_length': max,
  };
  if (tls?.serverName) channelOptions['grpc.ssl_target_name_override'] = tls.serverName;
  const agents = new AgentServiceClient(target, creds, channelOptions);
  const tasks = new TaskServiceClient(target, creds, channelOptions);
  const rpcTimeoutMs = options.rpcTimeoutMs ?? 10000;
  const metadata = (): Metadata => {
    const md = new Metadata();
    if (options.bearerToken) md.set('authorization', `Bearer ${options.bearerToken}`);
    return md;
  };
  const call = <T>(
    taskId: string | undefined,
    invoke: (md: Metadata, opts: { deadline: number }, cb: (err: ServiceError | null, res: T) => void) => void,
  ): Promise<T> =>
    new Promise((resolve, reject) =>
      invoke(metadata(), { deadline: Date.now() + rpcTimeoutMs }, (err, res) =>
        err ? reject(fromGrpcError(err, taskId === undefined ? {} : { taskId })) : resolve(res),
      ),
    );

  const watch = (taskId: string): AsyncIterable<TaskEvent> => ({
    async *[Symbol.asyncIterator]() {
      const stream = tasks.watchTask({ taskId }, metadata());
      try {
        for await (const event of stream as AsyncIterable<TaskEvent>) {
          yield event;
          if (event.payload?.$case === 'finished') return;
        }
      } catch (err) {
        throw fromGrpcError(err as ServiceError, { taskId });
      } finally {
        stream.cancel();
      }
    },
  });

  const workersPage = (opts: { pageSize?: number; pageToken?: string } = {}) =>
    call<ListWorkersResponse>(undefined, (md, o, cb) =>
      tasks.listWorkers({ pageSize: opts.pageSize ?? 0, pageToken: opts.pageToken ?? '' }, md, o, cb),
    );

  const tasksPage = (opts: ListTasksOptions & { pageSize?: number; pageToken?: string } = {}) =>
    call<ListTasksResponse>(undefined, (md, o, cb) =>
      tasks.listTasks(
        {
          pageSize: opts.pageSize ?? 0,
          pageToken: opts.pageToken ?? '',
          states: opts.states ?? [],
          tool: opts.tool ?? '',
          worker: opts.worker ?? '',
        },
        md,
        o,
        cb,
      ),
    );

  const sessionsPage = (opts: { worker?: string; pageSize?: number; pageToken?: string } = {}) =>
    call<ListSessionsResponse>(undefined, (md, o, cb) =>
      tasks.listSessions(
        { pageSize: opts.pageSize ?? 0, pageToken: opts.pageToken ?? '', worker: opts.worker ?? '' },
        md,
        o,
        cb,
      ),
    );

  return {
    async submit(input) {
      // Validate locally first so a bad field fails with the same message without a round trip. A traced
      // caller's active span becomes the parent of the hub's submit span.
      const traced = input.traceContext === undefined ? { ...input, traceContext: activeTraceContext() } : input;
      const { assignment, selector } = toAssignment(traced, undefined);
      const res = await call<SubmitTaskResponse>(assignment.taskId, (md, o, cb) =>
        tasks.submitTask({ task: assignment, selector }, md, o, cb),
      );
      return { taskId: res.taskId, created: res.created, state: res.state };
    },
    watch,
    async wait(taskId) {
      for await (const event of watch(taskId)) {
        if (event.payload?.$case === 'finished') return event.payload.value;
      }
      throw new HubError('RPC_FAILED', `watch of ${taskId} ended without a result`, { taskId });
    },
    cancel(taskId, opts = {}) {
      return call<CancelTaskResponse>(taskId, (md, o, cb) =>
        agents.cancelTask({ taskId, force: opts.force ?? false, reason: opts.reason ?? '' }, md, o, cb),
      );
    },
    async status(taskId) {
      const res = await call<{ task: Task | undefined }>(taskId, (md, o, cb) =>
        agents.getTaskStatus({ taskId }, md, o, cb),
      );
      if (!res.task) throw new HubError('TASK_NOT_FOUND', `task not found: ${taskId}`, { taskId });
      return res.task;
    },
    workersPage,
    async workers() {
      const all: Agent[] = [];
      let pageToken = '';
      do {
        const page = await workersPage({ pageToken });
        all.push(...page.workers);
        // A token that does not move on would loop forever; the hub's never does, but do not trust it.
        if (page.nextPageToken === pageToken || page.workers.length === 0) break;
        pageToken = page.nextPageToken;
      } while (pageToken !== '');
      return all;
    },
    tasksPage,
    async tasks(opts = {}) {
      const { limit = 50, ...filter } = opts;
      if (!Number.isInteger(limit) || limit <= 0) throw new TypeError(`limit must be a positive integer, got ${limit}`);
      const all: Task[] = [];
      let pageToken = '';
      do {
        const page = await tasksPage({ ...filter, pageSize: Math.min(limit - all.length, 100), pageToken });
        all.push(...page.tasks);
        if (page.nextPageToken === pageToken || page.tasks.length === 0) break;
        pageToken = page.nextPageToken;
      } while (pageToken !== '' && all.length < limit);
      return all.slice(0, limit);
    },
    sessionsPage,
    async sessions(opts = {}) {
      const all: SessionInfo[] = [];
      let pageToken = '';
      do {
        const page = await sessionsPage({ ...opts, pageToken });
        all.push(...page.sessions);
        if (page.nextPageToken === pageToken || page.sessions.length === 0) break;
        pageToken = page.nextPageToken;
      } while (pageToken !== '');
      return all;
    },
    closeSession(sessionId, opts = {}) {
      return call<CloseSessionResponse>(undefined, (md, o, cb) =>
        tasks.closeSession({ sessionId, reason: opts.reason ?? '' }, md, o, cb),
      );
    },
    close() {
      agents.close();
      tasks.close();
    },
  };
}
