import { PassThrough, Writable } from 'node:stream';
import { SandboxAgentClient } from './sandbox-agent-client';
import { FrameDecoder, encodeAgentFrame } from './sandbox-agent-protocol';
import type { AgentFrame, DecodedHostFrame } from './sandbox-agent-protocol';

/** A client on plain streams, with a scripted agent: `agent(frame)` sends, `sent()` is what the client wrote. */
function fixture(): {
  client: SandboxAgentClient;
  agent: (f: AgentFrame) => void;
  out: PassThrough;
  sent: () => DecodedHostFrame[];
} {
  const toClient = new PassThrough();
  const fromClient = new PassThrough();
  const decoder = FrameDecoder.host();
  const frames: DecodedHostFrame[] = [];
  fromClient.on('data', (c: Buffer) => frames.push(...decoder.push(c)));
  const client = new SandboxAgentClient({ input: toClient, output: fromClient });
  return { client, agent: (f) => toClient.write(encodeAgentFrame(f)), out: toClient, sent: () => frames };
}
const tick = (): Promise<void> => new Promise((r) => setImmediate(r));
const exited = { signaled: false, timedOut: false, cancelled: false } as const;

describe('SandboxAgentClient', () => {
  it('multiplexes calls by id: output and exits go to their own call, in any interleaving', async () => {
    const { client, agent, sent } = fixture();
    agent({ type: 'ready', callId: 0, version: 1, pid: 1, maxCalls: 64, maxFrameBytes: 1 << 24 });
    await expect(client.ready).resolves.toMatchObject({ pid: 1 });
    const a = client.run({ argv: ['a'], env: { K: 'v' }, timeoutMs: 50 });
    const b = client.run({ argv: ['b'], stdin: 'in' });
    await tick();
    expect(sent().map((f) => [f.type, f.callId])).toEqual([
      ['run', a.callId],
      ['stdin-eof', a.callId],
      ['run', b.callId],
      ['stdin', b.callId],
      ['stdin-eof', b.callId],
    ]);
    agent({ type: 'started', callId: b.callId, pid: 20 });
    agent({ type: 'stdout', callId: b.callId, data: Buffer.from('B1') });
    agent({ type: 'started', callId: a.callId, pid: 10 });
    agent({ type: 'stderr', callId: a.callId, data: Buffer.from('A-err') });
    agent({ type: 'stdout', callId: b.callId, data: Buffer.from('B2') });
    agent({ type: 'exit', callId: b.callId, ...exited, value: 0 });
    agent({ type: 'exit', callId: a.callId, ...exited, signaled: true, value: 9, timedOut: true });
    await expect(b.exit).resolves.toEqual({ code: 0, signal: null, timedOut: false, cancelled: false });
    await expect(a.exit).resolves.toEqual({ code: null, signal: 'SIGKILL', timedOut: true, cancelled: false });
    expect(Buffer.concat(await b.stdout.toArray()).toString()).toBe('B1B2');
    expect(Buffer.concat(await a.stderr.toArray()).toString()).toBe('A-err');
    expect([a.pid, b.pid]).toEqual([10, 20]);
    a.cancel(); // ended: nothing is sent
    await tick();
    expect(sent().filter((f) => f.type === 'cancel')).toEqual([]);
  });

  it('writes a call with a string or byte stdin (or none) as one chunk: RUN, STDIN frames, STDIN-EOF', async () => {
    const writes: Buffer[] = [];
    const output = new Writable({
      write(chunk: Buffer, _enc, done) {
        writes.push(chunk);
        done();
      },
    });
    const client = new SandboxAgentClient({ input: new PassThrough(), output });
    client.run({ argv: ['a'] });
    client.run({ argv: ['b'], stdin: 'in' });
    client.run({ argv: ['c'], stdin: Buffer.alloc(0) });
    await tick();
    expect(writes).toHaveLength(3);
    const decoded = writes.map((w) =>
      FrameDecoder.host()
        .push(w)
        .map((f) => f.type),
    );
    expect(decoded).toEqual([
      ['run', 'stdin-eof'],
      ['run', 'stdin', 'stdin-eof'],
      ['run', 'stdin-eof'],
    ]);
  });

  it('sends CANCEL with the grace period, or forced', async () => {
    const { client, sent } = fixture();
    const call = client.run({ argv: ['x'] });
    call.cancel();
    call.cancel(true);
    await tick();
    expect(sent().filter((f) => f.type === 'cancel')).toEqual([
      { type: 'cancel', callId: call.callId, force: false, graceMs: 2000 },
      { type: 'cancel', callId: call.callId, force: true, graceMs: 0 },
    ]);
  });

  it('maps a call ERROR to SANDBOX_CALL_FAILED with the agent code and errno name', async () => {
    const { client, agent } = fixture();
    const call = client.run({ argv: ['nope'] });
    agent({ type: 'error', callId: call.callId, code: 'EXEC_FAILED', errno: 2, message: 'exec failed' });
    await expect(call.exit).rejects.toMatchObject({
      code: 'SANDBOX_CALL_FAILED',
      detail: 'EXEC_FAILED',
      message: `sandbox call ${call.callId}: exec failed (ENOENT)`,
    });
  });

  it('rejects every pending call with SANDBOX_AGENT_GONE when the agent stdout ends', async () => {
    const { client, out } = fixture();
    const calls = [client.run({ argv: ['a'] }), client.run({ argv: ['b'] })];
    const ping = client.ping();
    out.end();
    for (const c of calls) await expect(c.exit).rejects.toMatchObject({ code: 'SANDBOX_AGENT_GONE' });
    await expect(ping).rejects.toMatchObject({ code: 'SANDBOX_AGENT_GONE' });
    await expect(client.ready).rejects.toMatchObject({ code: 'SANDBOX_AGENT_GONE' });
    expect(client.state).toBe('closed');
    expect(client.activeCalls).toBe(0);
  });

  it('fails everything with SANDBOX_AGENT_PROTOCOL on garbage, a cut frame, a fatal ERROR or another version', async () => {
    const garbage = fixture();
    const g = garbage.client.run({ argv: ['a'] });
    garbage.out.write(Buffer.from([0xff, 0xff, 0xff, 0xff]));
    await expect(g.exit).rejects.toMatchObject({ code: 'SANDBOX_AGENT_PROTOCOL', message: /exceeds the 16 MiB/ });

    const cut = fixture();
    const c = cut.client.run({ argv: ['a'] });
    cut.out.end(Buffer.from([0, 0, 0, 9, 0x83]));
    await expect(c.exit).rejects.toMatchObject({ code: 'SANDBOX_AGENT_PROTOCOL', message: /ended inside a frame/ });

    const fatal = fixture();
    const f = fatal.client.run({ argv: ['a'] });
    fatal.agent({ type: 'error', callId: 0, code: 'BAD_FRAME', errno: 0, message: 'unknown frame type' });
    await expect(f.exit).rejects.toMatchObject({ message: /rejected a frame: unknown frame type/ });

    const v2 = fixture();
    v2.agent({ type: 'ready', callId: 0, version: 2, pid: 1, maxCalls: 1, maxFrameBytes: 1 });
    await expect(v2.client.ready).rejects.toMatchObject({ code: 'SANDBOX_AGENT_PROTOCOL', message: /version 2/ });
  });

  it('rejects an invalid request through exit, never by throwing', async () => {
    const { client } = fixture();
    const call = client.run({ argv: ['x'], env: { 'BAD-NAME': 'v' } });
    await expect(call.exit).rejects.toMatchObject({ code: 'INVALID_REQUEST', message: /env name 'BAD-NAME'/ });
    expect(call.stdout.readableEnded || (await call.stdout.toArray()).length === 0).toBe(true);
  });
});
