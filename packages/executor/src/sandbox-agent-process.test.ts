import fs from 'node:fs';
import { PassThrough } from 'node:stream';
import type { Readable } from 'node:stream';
import { encodeAgentFrame } from './sandbox-agent-protocol';
import type { SandboxCall } from './sandbox-agent-client';
import { builtSandboxAgent, spawnHostAgent } from './test-support/sandbox-agent-binary';
import type { HostAgent } from './test-support/sandbox-agent-binary';

// The built agent run directly on the host with pipes (no Docker): what it does with argv, stdin, output,
// exit statuses, failures, timeouts, cancellation and the host going away.
const bytes = async (s: Readable): Promise<Buffer> => Buffer.concat(await s.toArray());
const text = async (s: Readable): Promise<string> => (await bytes(s)).toString('utf8');

/** Whether a process is still alive (a zombie waiting to be reaped counts as gone). */
function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}
async function until(what: string, cond: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
/** A call that starts `sleep 1000` in the background, prints its pid and waits for it. */
const TREE = ['sh', '-c', 'sleep 1000 & echo $!; wait'];
async function firstLinePid(call: SandboxCall): Promise<number> {
  let seen = '';
  for await (const chunk of call.stdout) {
    seen += String(chunk);
    if (seen.includes('\n')) return Number(seen.split('\n')[0]);
  }
  throw new Error(`no pid printed (${seen})`);
}

describe('the sandbox agent on the host', () => {
  let binary: string;
  const agents: HostAgent[] = [];
  const agent = (args: string[] = []): HostAgent => {
    const a = spawnHostAgent(binary, args);
    agents.push(a);
    return a;
  };
  beforeAll(() => {
    binary = builtSandboxAgent();
  });
  afterEach(async () => {
    for (const a of agents.splice(0)) {
      a.child.kill('SIGKILL');
      await a.exited;
    }
  });

  it('says READY, then passes argv verbatim: spaces, quotes, newlines, globs and any non-NUL byte', async () => {
    const { client } = agent();
    expect(await client.ready).toMatchObject({ version: 1, maxCalls: 64, maxFrameBytes: 16 * 1024 * 1024 });
    const every = Buffer.from(Array.from({ length: 255 }, (_, i) => i + 1));
    const args = ['a b', '"double"', "it's", 'line1\nline2', '$HOME', '*', '\\', '', ';|&'];
    const call = client.run({ argv: ['printf', '%s\\0', ...args, every] });
    const out = await bytes(call.stdout);
    expect(await call.exit).toEqual({ code: 0, signal: null, timedOut: false, cancelled: false });
    expect(out).toEqual(Buffer.concat([...args, every].map((a) => Buffer.concat([Buffer.from(a), Buffer.from([0])]))));
  });

  it('passes stdin through (a string, and a stream of 3 MB the child reads slowly), env and cwd', async () => {
    const { client } = agent();
    const cat = client.run({ argv: ['cat'], stdin: 'hello\n' });
    expect(await text(cat.stdout)).toBe('hello\n');
    const big = Buffer.alloc(3 * 1024 * 1024, 'x');
    const stdin = new PassThrough();
    const slow = client.run({ argv: ['sh', '-c', 'sleep 0.2; wc -c'], stdin });
    stdin.write(big.subarray(0, 1000));
    stdin.end(big.subarray(1000));
    expect((await text(slow.stdout)).trim()).toBe(String(big.length));
    const env = client.run({ argv: ['sh', '-c', 'echo "$GREETING"; pwd'], env: { GREETING: 'hi there' }, cwd: '/tmp' });
    expect(await text(env.stdout)).toBe('hi there\n/tmp\n');
    await Promise.all([cat.exit, slow.exit, env.exit]);
  });

  it('reports exit codes, death by signal, and a child with nothing but stdin, stdout and stderr open', async () => {
    const { client } = agent();
    await expect(client.run({ argv: ['sh', '-c', 'exit 7'] }).exit).resolves.toMatchObject({ code: 7, signal: null });
    await expect(client.run({ argv: ['sh', '-c', 'kill -TERM $$'] }).exit).resolves.toMatchObject({
      code: null,
      signal: 'SIGTERM',
    });
    const fds = client.run({ argv: ['sh', '-c', 'ls /proc/$$/fd; cat /proc/$$/stat'] });
    const [list, stat] = (await text(fds.stdout)).split(/\n(?=\d+ \()/);
    expect(list?.split('\n').filter(Boolean)).toEqual(['0', '1', '2']);
    const [pid, , , , pgrp, session] = (stat ?? '').split(' ');
    expect([pgrp, session]).toEqual([pid, pid]); // its own process group and session
  });

  it('turns exec and chdir failures into typed errors (ENOENT), without a shell fallback', async () => {
    const { client } = agent();
    await expect(client.run({ argv: ['no-such-program-baaaht'] }).exit).rejects.toMatchObject({
      code: 'SANDBOX_CALL_FAILED',
      detail: 'EXEC_FAILED',
      message: expect.stringContaining('ENOENT'),
    });
    await expect(client.run({ argv: ['true'], cwd: '/no/such/dir' }).exit).rejects.toMatchObject({
      detail: 'CHDIR_FAILED',
    });
    await expect(client.run({ argv: ['echo $HOME'] }).exit).rejects.toMatchObject({ detail: 'EXEC_FAILED' });
    await expect(client.run({ argv: ['true'] }).exit).resolves.toMatchObject({ code: 0 });
  });

  it('passes bytes that look like frames as data: tool output cannot fake a frame', async () => {
    const { client } = agent();
    const fake = Buffer.concat([
      encodeAgentFrame({ type: 'exit', callId: 1, signaled: false, value: 0, timedOut: false, cancelled: false }),
      encodeAgentFrame({ type: 'stdout', callId: 2, data: Buffer.from('injected') }),
      encodeAgentFrame({ type: 'error', callId: 0, code: 'BAD_FRAME', errno: 0, message: 'x' }),
    ]);
    const call = client.run({ argv: ['sh', '-c', 'cat; exit 3'], stdin: fake });
    expect(call.callId).toBe(1);
    expect(await bytes(call.stdout)).toEqual(fake);
    await expect(call.exit).resolves.toMatchObject({ code: 3 });
  });

  it('streams 10 MB of output intact', async () => {
    const { client } = agent();
    const call = client.run({ argv: ['sh', '-c', 'head -c 10485760 /dev/zero | tr "\\0" "a"; echo done >&2'] });
    const [out, err] = await Promise.all([bytes(call.stdout), text(call.stderr)]);
    expect(out.length).toBe(10 * 1024 * 1024);
    expect(out.every((b) => b === 0x61)).toBe(true);
    expect(err).toBe('done\n');
    await expect(call.exit).resolves.toMatchObject({ code: 0 });
  });

  it('runs 64 calls at once and refuses the 65th', async () => {
    const { client } = agent();
    const calls = Array.from({ length: 64 }, () => client.run({ argv: ['sleep', '30'] }));
    await until('64 running sleeps', () => calls.every((c) => c.pid !== undefined && alive(c.pid)));
    await expect(client.run({ argv: ['true'] }).exit).rejects.toMatchObject({ detail: 'TOO_MANY_CALLS' });
    for (const c of calls) c.cancel(true);
    const exits = await Promise.all(calls.map((c) => c.exit));
    expect(exits.every((e) => e.cancelled && e.signal === 'SIGKILL')).toBe(true);
    await expect(client.run({ argv: ['true'] }).exit).resolves.toMatchObject({ code: 0 });
  });

  it('on timeout kills the whole process group: the call and its grandchild', async () => {
    const { client } = agent();
    const call = client.run({ argv: TREE, timeoutMs: 300 });
    const grandchild = await firstLinePid(call);
    const leader = call.pid as number;
    expect(alive(grandchild) && alive(leader)).toBe(true);
    await expect(call.exit).resolves.toEqual({ code: null, signal: 'SIGKILL', timedOut: true, cancelled: false });
    await until('the grandchild to be gone', () => !alive(grandchild) && !alive(leader));
  });

  it('on CANCEL kills the whole process group, forced or after SIGTERM', async () => {
    const { client } = agent();
    for (const force of [true, false]) {
      const call = client.run({ argv: TREE });
      const grandchild = await firstLinePid(call);
      call.cancel(force);
      const exit = await call.exit;
      expect(exit).toMatchObject({ cancelled: true, timedOut: false, signal: force ? 'SIGKILL' : 'SIGTERM' });
      await until('the grandchild to be gone', () => !alive(grandchild));
    }
  });

  it('when the host closes stdin, kills everything and exits 0; pending calls reject', async () => {
    const a = agent();
    const call = a.client.run({ argv: TREE });
    const grandchild = await firstLinePid(call);
    await a.client.close();
    await expect(call.exit).rejects.toMatchObject({ code: 'SANDBOX_AGENT_GONE' });
    expect(await a.exited).toBe(0);
    await until('the grandchild to be gone', () => !alive(grandchild));
    expect(a.client.state).toBe('closed');
    await expect(a.client.run({ argv: ['true'] }).exit).rejects.toMatchObject({ code: 'SANDBOX_AGENT_GONE' });
  });

  it('exits 2 on a malformed frame, failing pending calls with a protocol error', async () => {
    const a = agent();
    const call = a.client.run({ argv: ['sleep', '30'] });
    await until('the call to start', () => call.pid !== undefined);
    a.child.stdin.write(Buffer.from([0, 0, 0, 5, 0x7f, 0, 0, 0, 1]));
    await expect(call.exit).rejects.toMatchObject({
      code: 'SANDBOX_AGENT_PROTOCOL',
      message: expect.stringContaining('unknown frame type'),
    });
    expect(await a.exited).toBe(2);
    await until('the sleep to be gone', () => !alive(call.pid as number));
  });

  it('--once runs exactly one call and exits with its status', async () => {
    const ok = agent(['--once']);
    const call = ok.client.run({ argv: ['sh', '-c', 'echo once; exit 3'] });
    expect(await text(call.stdout)).toBe('once\n');
    await expect(call.exit).resolves.toMatchObject({ code: 3 });
    expect(await ok.exited).toBe(3);
    const missing = agent(['--once']);
    await expect(missing.client.run({ argv: ['no-such-program-baaaht'] }).exit).rejects.toMatchObject({
      detail: 'EXEC_FAILED',
    });
    expect(await missing.exited).toBe(127);
  });

  it('answers PING and ignores frames for calls that already ended', async () => {
    const { client, child } = agent();
    const call = client.run({ argv: ['true'] });
    await call.exit;
    child.stdin.write(Buffer.from([0, 0, 0, 5, 0x03, 0, 0, 0, call.callId])); // STDIN_EOF for an ended call
    await expect(client.ping()).resolves.toBeUndefined();
  });
});
