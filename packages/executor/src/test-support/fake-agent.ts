import { SANDBOX_AGENT_TARGET } from '../pool-container-config';
import { encodeAgentFrame, FrameDecoder } from '../sandbox-agent-protocol';
import type { FakeContainer, FakeProgram } from './fake-docker';

/** What the fake agent's one call does, from its argv and stdin. */
export type FakeCall = (argv: string[], stdin: Buffer) => { stdout?: string; stderr?: string; exitCode?: number };

/** The argv a pooled container runs: the agent, maybe behind the mount gate. */
export function isAgentContainer(c: FakeContainer): boolean {
  return c.body.Cmd.includes(SANDBOX_AGENT_TARGET);
}

/**
 * A FakeDocker program that behaves like `baaaht-sandbox-agent --once` in a pooled container: READY on start,
 * then one RUN (with its STDIN frames up to STDIN_EOF) answered with STARTED, STDOUT, STDERR and EXIT, after
 * which the container exits with the call's status. Other containers run `fallback`.
 */
export function fakeAgentProgram(call: FakeCall, fallback: FakeProgram): FakeProgram {
  return (c) => {
    if (!isAgentContainer(c)) return fallback(c);
    const decoder = FrameDecoder.host();
    let run: { callId: number; argv: string[] } | undefined;
    const stdin: Buffer[] = [];
    c.stdout(encodeAgentFrame({ type: 'ready', callId: 0, version: 1, pid: 7, maxCalls: 64, maxFrameBytes: 1 << 24 }));
    c.onStdin = (chunk) => {
      for (const f of decoder.push(chunk)) {
        if (f.type === 'run') run = { callId: f.callId, argv: f.argv.map((a) => a.toString('utf8')) };
        else if (f.type === 'stdin') stdin.push(Buffer.from(f.data));
        else if (f.type === 'stdin-eof' && run !== undefined) {
          const { callId, argv } = run;
          const r = call(argv, Buffer.concat(stdin));
          c.stdout(encodeAgentFrame({ type: 'started', callId, pid: 8 }));
          if (r.stdout) c.stdout(encodeAgentFrame({ type: 'stdout', callId, data: Buffer.from(r.stdout) }));
          if (r.stderr) c.stdout(encodeAgentFrame({ type: 'stderr', callId, data: Buffer.from(r.stderr) }));
          c.stdout(
            encodeAgentFrame({
              type: 'exit',
              callId,
              signaled: false,
              value: r.exitCode ?? 0,
              timedOut: false,
              cancelled: false,
            }),
          );
          queueMicrotask(() => c.exit(r.exitCode ?? 0));
        }
      }
    };
  };
}
