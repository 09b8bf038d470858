import { LABELS } from '../labels';
import { encodeAgentFrame, FrameDecoder } from '../sandbox-agent-protocol';
import type { AgentFrame, DecodedHostFrame } from '../sandbox-agent-protocol';
import type { FakeContainer, FakeProgram } from './fake-docker';

/** One RUN the fake agent received. */
export interface FakeRun {
  containerId: string;
  callId: number;
  argv: string[];
  timeoutMs: number;
}

/**
 * A scripted in-sandbox agent for the fake Docker client: session containers (labelled
 * `org.baaaht.session=1`) answer READY, then each RUN by its argv, like `echoProgram`: `echo TEXT CODE`
 * prints TEXT and exits CODE; TEXT `hang` runs until CANCEL (then exits by SIGKILL, cancelled), `oom` dies
 * by SIGKILL and bumps the cgroup's oom_kill counter; `cat` (the OOM counter read) prints `oom_kill N`.
 * Other containers run `other`.
 */
export class FakeSessionAgents {
  readonly runs: FakeRun[] = [];
  readonly cancels: Array<{ containerId: string; callId: number; force: boolean; graceMs: number }> = [];
  private readonly oomKills = new Map<string, number>();
  private readonly hanging = new Map<string, Set<number>>();

  constructor(private readonly other: FakeProgram) {}

  readonly program: FakeProgram = (c) => {
    if (c.body.Labels[LABELS.session] !== '1') return this.other(c);
    const decoder = FrameDecoder.host();
    c.onStdin = (chunk) => {
      for (const f of decoder.push(chunk)) this.onFrame(c, f);
    };
    send(c, { type: 'ready', callId: 0, version: 1, pid: 1, maxCalls: 64, maxFrameBytes: 1 << 24 });
  };

  /** Runs the fake agent saw in one container. */
  runsIn(containerId: string): FakeRun[] {
    return this.runs.filter((r) => r.containerId === containerId);
  }

  private onFrame(c: FakeContainer, f: DecodedHostFrame): void {
    if (c.exited) return;
    if (f.type === 'cancel') {
      this.cancels.push({ containerId: c.id, callId: f.callId, force: f.force, graceMs: f.graceMs });
      if (this.hanging.get(c.id)?.delete(f.callId) === true)
        exit(c, f.callId, { signaled: true, value: 9, cancelled: true });
      return;
    }
    if (f.type !== 'run') return;
    const argv = f.argv.map((b) => b.toString('utf8'));
    this.runs.push({ containerId: c.id, callId: f.callId, argv, timeoutMs: f.timeoutMs });
    send(c, { type: 'started', callId: f.callId, pid: 100 + f.callId });
    const [program, text, code] = argv;
    switch (program === 'cat' ? 'cat' : text) {
      case 'hang': {
        const set = this.hanging.get(c.id) ?? new Set<number>();
        set.add(f.callId);
        this.hanging.set(c.id, set);
        return;
      }
      case 'oom':
        this.oomKills.set(c.id, (this.oomKills.get(c.id) ?? 0) + 1);
        return exit(c, f.callId, { signaled: true, value: 9 });
      case 'cat':
        send(c, { type: 'stdout', callId: f.callId, data: Buffer.from(`oom_kill ${this.oomKills.get(c.id) ?? 0}\n`) });
        return exit(c, f.callId, { value: 0 });
      default:
        send(c, { type: 'stdout', callId: f.callId, data: Buffer.from(text ?? '') });
        send(c, { type: 'stderr', callId: f.callId, data: Buffer.from('err') });
        return exit(c, f.callId, { value: Number(code ?? 0) });
    }
  }
}

function send(c: FakeContainer, f: AgentFrame): void {
  if (!c.exited) c.stdout(encodeAgentFrame(f));
}

function exit(c: FakeContainer, callId: number, o: { signaled?: boolean; value: number; cancelled?: boolean }): void {
  send(c, {
    type: 'exit',
    callId,
    signaled: o.signaled ?? false,
    value: o.value,
    timedOut: false,
    cancelled: o.cancelled ?? false,
  });
}
