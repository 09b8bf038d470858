import { AgentType, RegisterRequest, SessionInfo, TaskFinished, TaskState } from '@baaaht/proto';
import type { OrchestratorMessage, WorkerMessage } from '@baaaht/proto';
import type { HubError } from '../errors';
import type { HubCore, WorkConnection } from '../hub-core';

type Payload = NonNullable<OrchestratorMessage['payload']>;
export type PayloadOf = { [P in Payload as P['$case']]: P['value'] };

/** A worker seen from the hub: registers, opens a Work stream with fake channels, records what it is sent. */
export class FakeWorker {
  readonly sent: OrchestratorMessage[] = [];
  closedWith: HubError | undefined;
  agentId = '';
  token = '';
  conn: WorkConnection | undefined;

  constructor(
    private readonly core: HubCore,
    readonly options: { tools?: string[]; slots?: number; labels?: Record<string, string>; name?: string } = {},
  ) {}

  register(resume?: { agentId: string; token: string }): boolean {
    const res = this.core.register(
      RegisterRequest.fromPartial({
        name: this.options.name ?? 'fake',
        type: AgentType.AGENT_TYPE_WORKER,
        metadata: { labels: this.options.labels ?? {} },
        capabilities: { supportedTools: this.options.tools ?? ['echo'], maxConcurrentTasks: this.options.slots ?? 2 },
        resumeAgentId: resume?.agentId ?? '',
        resumeToken: resume?.token ?? '',
      }),
    );
    this.agentId = res.agentId;
    this.token = res.registrationToken;
    return res.resumed;
  }

  connect(
    running: string[] = [],
    token = this.token,
    options: { closedOnClose?: boolean; sessions?: Partial<SessionInfo>[] } = {},
  ): void {
    this.closedWith = undefined;
    this.conn = this.core.openWork({
      send: (m) => this.sent.push(m),
      close: (error) => {
        this.closedWith = error;
        // As a gRPC stream may: report the stream closed from inside close().
        if (options.closedOnClose === true) this.conn?.closed();
      },
    });
    this.send({
      payload: {
        $case: 'hello',
        value: {
          agentId: this.agentId,
          token,
          maxSlots: this.options.slots ?? 2,
          freeSlots: this.options.slots ?? 2,
          runningTaskIds: running,
          draining: false,
          sessions: (options.sessions ?? []).map(sessionInfo),
        },
      },
    });
  }

  send(message: WorkerMessage): void {
    this.conn?.message(message);
  }

  /** Reports the sandbox sessions this worker holds (a full list, as SessionsUpdate is). */
  reportSessions(sessions: Partial<SessionInfo>[]): void {
    this.send({ payload: { $case: 'sessions', value: { sessions: sessions.map(sessionInfo) } } });
  }

  disconnect(): void {
    this.conn?.closed();
    this.conn = undefined;
  }

  of<K extends keyof PayloadOf>(kind: K): PayloadOf[K][] {
    const out: PayloadOf[K][] = [];
    for (const m of this.sent) if (m.payload?.$case === kind) out.push(m.payload.value as PayloadOf[K]);
    return out;
  }

  assigned(): string[] {
    return this.of('assign').map((a) => a.taskId);
  }

  finish(taskId: string, text = 'ok', state = TaskState.TASK_STATE_COMPLETED): void {
    this.send({
      payload: {
        $case: 'finished',
        value: TaskFinished.fromPartial({ taskId, state, stdout: Buffer.from(text), durationMs: 1 }),
      },
    });
  }
}

const sessionInfo = (partial: Partial<SessionInfo>): SessionInfo => SessionInfo.fromPartial(partial);
