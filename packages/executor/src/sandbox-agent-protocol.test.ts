import fc from 'fast-check';
import { ExecutorError } from './errors';
import { FrameDecoder, MAX_FRAME_BYTES, encodeAgentFrame, encodeHostFrame } from './sandbox-agent-protocol';
import type { AgentFrame, HostFrame } from './sandbox-agent-protocol';

/** Splits `bytes` at the given cut points (any order, any duplicates). */
function chunked(bytes: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let at = 0;
  for (const p of [...points, bytes.length]) {
    out.push(bytes.subarray(at, p));
    at = p;
  }
  return out;
}

const u32 = fc.integer({ min: 0, max: 0xffff_ffff });
const callId = fc.integer({ min: 1, max: 0xffff_ffff });
const noNul = fc.uint8Array({ maxLength: 40 }).map((a) => Buffer.from(a.map((b) => (b === 0 ? 1 : b))));
const envName = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,20}$/);

const hostFrame: fc.Arbitrary<HostFrame> = fc.oneof(
  fc.record({
    type: fc.constant('run' as const),
    callId,
    timeoutMs: u32,
    argv: fc.tuple(noNul.filter((b) => b.length > 0), fc.array(noNul, { maxLength: 6 })).map(([a, r]) => [a, ...r]),
    env: fc.array(fc.tuple(envName, noNul), { maxLength: 4 }),
    cwd: noNul,
  }),
  fc.record({ type: fc.constant('stdin' as const), callId, data: fc.uint8Array({ maxLength: 300 }).map(Buffer.from) }),
  fc.record({ type: fc.constant('stdin-eof' as const), callId }),
  fc.record({ type: fc.constant('cancel' as const), callId, force: fc.boolean(), graceMs: u32 }),
  fc.record({ type: fc.constant('ping' as const), callId: u32 }),
);

const agentFrame: fc.Arbitrary<AgentFrame> = fc.oneof(
  fc.record({ type: fc.constant('ready' as const), callId: fc.constant(0), version: u32, pid: u32, maxCalls: u32, maxFrameBytes: u32 }),
  fc.record({ type: fc.constant('started' as const), callId, pid: u32 }),
  fc.record({ type: fc.constantFrom('stdout' as const, 'stderr' as const), callId, data: fc.uint8Array({ maxLength: 300 }).map(Buffer.from) }),
  fc.record({ type: fc.constant('exit' as const), callId, signaled: fc.boolean(), value: u32, timedOut: fc.boolean(), cancelled: fc.boolean() }),
  fc.record({
    type: fc.constant('error' as const),
    callId: u32,
    code: fc.constantFrom('BAD_FRAME' as const, 'EXEC_FAILED' as const, 'TOO_MANY_CALLS' as const, 'UNKNOWN' as const),
    errno: u32,
    message: fc.string({ maxLength: 50 }),
  }),
  fc.record({ type: fc.constant('pong' as const), callId: u32 }),
);

/** A host frame as the decoder returns it (byte strings become Buffers). */
function normalised(f: HostFrame): unknown {
  if (f.type !== 'run') return f;
  const b = (v: string | Uint8Array): Buffer => Buffer.from(v);
  return { ...f, argv: f.argv.map(b), env: f.env.map(([n, v]) => [n, b(v)]), cwd: b(f.cwd) };
}

function expectProtocolError(fn: () => unknown): void {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ExecutorError);
    expect((err as ExecutorError).code).toBe('SANDBOX_AGENT_PROTOCOL');
    return;
  }
  throw new Error('expected a SANDBOX_AGENT_PROTOCOL error');
}

describe('sandbox agent frames', () => {
  it('lays a RUN out as PROTOCOL.md says', () => {
    const f = encodeHostFrame({ type: 'run', callId: 7, argv: ['ls', 'a b'], env: [['X', '1']], cwd: '/w', timeoutMs: 500 });
    const body = Buffer.concat([
      Buffer.from([0, 0, 1, 0xf4, 0, 0, 0, 2]),
      Buffer.from([0, 0, 0, 2]), Buffer.from('ls'), Buffer.from([0, 0, 0, 3]), Buffer.from('a b'),
      Buffer.from([0, 0, 0, 1]), Buffer.from([0, 0, 0, 1]), Buffer.from('X'), Buffer.from([0, 0, 0, 1]), Buffer.from('1'),
      Buffer.from([0, 0, 0, 2]), Buffer.from('/w'),
    ]);
    expect(f.readUInt32BE(0)).toBe(5 + body.length);
    expect(f.readUInt8(4)).toBe(0x01);
    expect(f.readUInt32BE(5)).toBe(7);
    expect(f.subarray(9)).toEqual(body);
  });

  it('round-trips host and agent frames through any chunking', () => {
    fc.assert(
      fc.property(fc.array(hostFrame, { maxLength: 8 }), fc.array(fc.nat(), { maxLength: 20 }), (frames, cuts) => {
        const decoder = FrameDecoder.host();
        const got = chunked(Buffer.concat(frames.map(encodeHostFrame)), cuts).flatMap((c) => decoder.push(c));
        decoder.end();
        expect(got).toEqual(frames.map(normalised));
      }),
    );
    fc.assert(
      fc.property(fc.array(agentFrame, { maxLength: 8 }), fc.array(fc.nat(), { maxLength: 20 }), (frames, cuts) => {
        const decoder = FrameDecoder.agent();
        const got = chunked(Buffer.concat(frames.map(encodeAgentFrame)), cuts).flatMap((c) => decoder.push(c));
        decoder.end();
        expect(got).toEqual(frames.map((f) => (f.type === 'stdout' || f.type === 'stderr' ? { ...f, data: Buffer.from(f.data) } : f)));
      }),
    );
  });

  it('gives malformed input a typed error, never another exception, and stays failed', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.array(agentFrame, { maxLength: 4 }).map((fs) => ({ host: false, bytes: Buffer.concat(fs.map(encodeAgentFrame)) })),
          fc.array(hostFrame, { maxLength: 4 }).map((fs) => ({ host: true, bytes: Buffer.concat(fs.map(encodeHostFrame)) })),
        ),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }),
        fc.array(fc.nat(), { maxLength: 6 }),
        fc.boolean(),
        (input, flips, cuts, truncate) => {
          let bytes = Buffer.from(input.bytes);
          for (const [at, v] of flips) if (bytes.length > 0) bytes[at % bytes.length] = v;
          if (truncate && bytes.length > 0) bytes = bytes.subarray(0, (cuts[0] ?? 0) % bytes.length);
          if (bytes.length === 0) bytes = Buffer.from([0, 0, 0]);
          const decoder: { push(c: Buffer): unknown[]; end(): void } = input.host ? FrameDecoder.host() : FrameDecoder.agent();
          try {
            for (const c of chunked(bytes, cuts)) decoder.push(c);
            decoder.end();
          } catch (err) {
            expect(err).toBeInstanceOf(ExecutorError);
            expect((err as ExecutorError).code).toBe('SANDBOX_AGENT_PROTOCOL');
            expectProtocolError(() => decoder.push(Buffer.from([0, 0, 0, 5, 0x87, 0, 0, 0, 0])));
          }
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('rejects an oversize length from its 4 bytes, before buffering a body', () => {
    const decoder = FrameDecoder.agent();
    const head = Buffer.alloc(4);
    head.writeUInt32BE(MAX_FRAME_BYTES + 1);
    expectProtocolError(() => decoder.push(head));
    expectProtocolError(() => FrameDecoder.agent().push(Buffer.from([0, 0, 0, 4])));
    const max = Buffer.alloc(9);
    max.writeUInt32BE(MAX_FRAME_BYTES);
    max.writeUInt8(0x83, 4);
    max.writeUInt32BE(1, 5);
    expect(FrameDecoder.agent().push(max)).toEqual([]); // at the maximum: waits for the body
  });

  it('refuses unknown types, wrong fixed sizes and a stream cut inside a frame', () => {
    expectProtocolError(() => FrameDecoder.agent().push(Buffer.from([0, 0, 0, 5, 0x99, 0, 0, 0, 1])));
    expectProtocolError(() => FrameDecoder.agent().push(Buffer.from([0, 0, 0, 6, 0x87, 0, 0, 0, 1, 9])));
    expectProtocolError(() => FrameDecoder.agent().push(Buffer.from([0, 0, 0, 5, 0x83, 0, 0, 0, 0])));
    const cut = FrameDecoder.agent();
    expect(cut.push(Buffer.from([0, 0, 0, 9, 0x83]))).toEqual([]);
    expectProtocolError(() => cut.end());
  });

  it('refuses a RUN the agent would refuse, naming the field', () => {
    const run = (over: Partial<Extract<HostFrame, { type: 'run' }>>): Buffer =>
      encodeHostFrame({ type: 'run', callId: 1, argv: ['x'], env: [], cwd: '', timeoutMs: 0, ...over });
    expect(() => run({ argv: [] })).toThrow(/argv needs 1/);
    expect(() => run({ argv: [''] })).toThrow(/argv\[0\] is empty/);
    expect(() => run({ argv: ['x', 'a\0b'] })).toThrow(/argv\[1\] contains a NUL/);
    expect(() => run({ env: [['1X', 'v']] })).toThrow(/env name '1X'/);
    expect(() => run({ env: [['A=B', 'v']] })).toThrow(/env name 'A=B'/);
    expect(() => run({ callId: 0 })).toThrow(/callId 0/);
    expect(() => run({ argv: ['x', Buffer.alloc(MAX_FRAME_BYTES, 0x61)] })).toThrow(/exceeds the 16 MiB/);
    expect(() => run({ cwd: 'a\0' })).toThrow(expect.objectContaining({ code: 'INVALID_REQUEST' }));
  });
});
