import { ExecutorError } from './errors';

/**
 * The frame codec of the in-sandbox agent (`native/sandbox-agent/PROTOCOL.md`): a u32 big-endian length, a
 * type byte, a u32 call id, then the type's fields. Both directions are encoded and decoded here, so the
 * client and the tests share one definition of the format.
 */

export const SANDBOX_AGENT_PROTOCOL_VERSION = 1;
/** Largest `length` field: everything after it (type + call id + body). */
export const MAX_FRAME_BYTES = 16 * 1024 * 1024;
/** Limits the agent enforces on a `RUN`. */
export const MAX_ARGS = 4096;
export const MAX_ENV = 1024;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,254}$/;
const HEADER = 9;

const HOST_TYPES = { run: 0x01, stdin: 0x02, 'stdin-eof': 0x03, cancel: 0x04, ping: 0x05 } as const;
const AGENT_TYPES = { ready: 0x81, started: 0x82, stdout: 0x83, stderr: 0x84, exit: 0x85, error: 0x86, pong: 0x87 };

/** The agent's `ERROR` codes, by number. */
export const AGENT_ERROR_CODES = [
  'BAD_FRAME',
  'BAD_REQUEST',
  'TOO_MANY_CALLS',
  'SPAWN_FAILED',
  'CHDIR_FAILED',
  'EXEC_FAILED',
] as const;
export type AgentErrorCode = (typeof AGENT_ERROR_CODES)[number] | 'UNKNOWN';

/** Bytes as the agent passes them: a string is UTF-8. No NUL anywhere. */
export type AgentBytes = string | Uint8Array;

/** Frames the host sends. */
export type HostFrame =
  | {
      type: 'run';
      callId: number;
      argv: readonly AgentBytes[];
      env: ReadonlyArray<readonly [string, AgentBytes]>;
      cwd: AgentBytes;
      timeoutMs: number;
    }
  | { type: 'stdin'; callId: number; data: Uint8Array }
  | { type: 'stdin-eof'; callId: number }
  | { type: 'cancel'; callId: number; force: boolean; graceMs: number }
  | { type: 'ping'; callId: number };

/** Frames the agent sends. */
export type AgentFrame =
  | { type: 'ready'; callId: number; version: number; pid: number; maxCalls: number; maxFrameBytes: number }
  | { type: 'started'; callId: number; pid: number }
  | { type: 'stdout' | 'stderr'; callId: number; data: Buffer }
  | { type: 'exit'; callId: number; signaled: boolean; value: number; timedOut: boolean; cancelled: boolean }
  | { type: 'error'; callId: number; code: AgentErrorCode; errno: number; message: string }
  | { type: 'pong'; callId: number };

/** A decoded `RUN`, byte strings as Buffers. */
export type DecodedRun = { type: 'run'; callId: number; argv: Buffer[]; env: Array<[string, Buffer]>; cwd: Buffer };
export type DecodedHostFrame = Exclude<HostFrame, { type: 'run' }> | (DecodedRun & { timeoutMs: number });

/** A `SANDBOX_AGENT_PROTOCOL` error: the byte stream cannot be trusted any further. */
export const protocolError = (message: string): ExecutorError =>
  new ExecutorError('SANDBOX_AGENT_PROTOCOL', `sandbox agent protocol: ${message}`);
const invalid = (message: string): ExecutorError => new ExecutorError('INVALID_REQUEST', message);

const u32 = (v: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(v);
  return b;
};
const isU32 = (v: number): boolean => Number.isInteger(v) && v >= 0 && v <= 0xffff_ffff;

function frame(type: number, callId: number, body: readonly Buffer[]): Buffer {
  if (!isU32(callId)) throw invalid(`callId ${callId} is not a u32`);
  const len = body.reduce((n, b) => n + b.length, 5);
  if (len > MAX_FRAME_BYTES) throw invalid(`frame of ${len} bytes exceeds the 16 MiB maximum`);
  const head = Buffer.alloc(HEADER);
  head.writeUInt32BE(len, 0);
  head.writeUInt8(type, 4);
  head.writeUInt32BE(callId, 5);
  return Buffer.concat([head, ...body]);
}

function str(what: string, value: AgentBytes): Buffer[] {
  const b = typeof value === 'string' ? Buffer.from(value, 'utf8') : Buffer.from(value);
  if (b.includes(0)) throw invalid(`${what} contains a NUL byte`);
  return [u32(b.length), b];
}

/** Encodes a host frame; a `RUN` the agent would refuse is rejected here (`INVALID_REQUEST`, naming the field). */
export function encodeHostFrame(f: HostFrame): Buffer {
  switch (f.type) {
    case 'run': {
      if (f.callId === 0) throw invalid('callId 0 is reserved');
      if (f.argv.length === 0 || f.argv.length > MAX_ARGS) throw invalid(`argv needs 1 to ${MAX_ARGS} entries`);
      if (f.argv[0]?.length === 0) throw invalid('argv[0] is empty');
      if (f.env.length > MAX_ENV) throw invalid(`env has more than ${MAX_ENV} entries`);
      if (!isU32(f.timeoutMs)) throw invalid(`timeoutMs ${f.timeoutMs} is not a u32`);
      const body = [u32(f.timeoutMs), u32(f.argv.length), ...f.argv.flatMap((a, i) => str(`argv[${i}]`, a))];
      body.push(u32(f.env.length));
      for (const [name, value] of f.env) {
        if (!ENV_NAME.test(name)) throw invalid(`env name '${name}' is not [A-Za-z_][A-Za-z0-9_]*`);
        body.push(...str(`env ${name}`, name), ...str(`env ${name}`, value));
      }
      body.push(...str('cwd', f.cwd));
      return frame(HOST_TYPES.run, f.callId, body);
    }
    case 'stdin':
      return frame(HOST_TYPES.stdin, f.callId, [Buffer.from(f.data.buffer, f.data.byteOffset, f.data.byteLength)]);
    case 'cancel': {
      if (!isU32(f.graceMs)) throw invalid(`graceMs ${f.graceMs} is not a u32`);
      return frame(HOST_TYPES.cancel, f.callId, [Buffer.from([f.force ? 1 : 0]), u32(f.graceMs)]);
    }
    default:
      return frame(HOST_TYPES[f.type], f.callId, []);
  }
}

/** Encodes an agent frame (the agent is C; this is for tests and fakes). */
export function encodeAgentFrame(f: AgentFrame): Buffer {
  switch (f.type) {
    case 'ready':
      return frame(AGENT_TYPES.ready, f.callId, [u32(f.version), u32(f.pid), u32(f.maxCalls), u32(f.maxFrameBytes)]);
    case 'started':
      return frame(AGENT_TYPES.started, f.callId, [u32(f.pid)]);
    case 'stdout':
    case 'stderr':
      return frame(AGENT_TYPES[f.type], f.callId, [f.data]);
    case 'exit': {
      const flags = (f.timedOut ? 1 : 0) | (f.cancelled ? 2 : 0);
      return frame(AGENT_TYPES.exit, f.callId, [Buffer.from([f.signaled ? 1 : 0]), u32(f.value), Buffer.from([flags])]);
    }
    case 'error': {
      const code = AGENT_ERROR_CODES.indexOf(f.code as (typeof AGENT_ERROR_CODES)[number]) + 1;
      return frame(AGENT_TYPES.error, f.callId, [u32(code), u32(f.errno), Buffer.from(f.message, 'utf8')]);
    }
    case 'pong':
      return frame(AGENT_TYPES.pong, f.callId, []);
  }
}

/** A bounded reader over one frame's body; running past its end is a protocol error. */
class Body {
  private at = 0;
  constructor(
    private readonly b: Buffer,
    private readonly what: string,
  ) {}
  u8(): number {
    return this.take(1).readUInt8(0);
  }
  u32(): number {
    return this.take(4).readUInt32BE(0);
  }
  str(field: string): Buffer {
    const s = this.take(this.u32());
    if (s.includes(0)) throw protocolError(`${this.what} ${field} contains a NUL byte`);
    return s;
  }
  rest(): Buffer {
    return this.take(this.b.length - this.at);
  }
  take(n: number): Buffer {
    if (n > this.b.length - this.at) throw protocolError(`${this.what} body is truncated`);
    this.at += n;
    return this.b.subarray(this.at - n, this.at);
  }
  done(): void {
    if (this.at !== this.b.length) throw protocolError(`${this.what} body has ${this.b.length - this.at} extra bytes`);
  }
}

function decodeAgent(type: number, callId: number, b: Body): AgentFrame {
  const needsCall = (name: string): void => {
    if (callId === 0) throw protocolError(`${name} with call id 0`);
  };
  let f: AgentFrame;
  switch (type) {
    case AGENT_TYPES.ready:
      f = { type: 'ready', callId, version: b.u32(), pid: b.u32(), maxCalls: b.u32(), maxFrameBytes: b.u32() };
      break;
    case AGENT_TYPES.started:
      needsCall('STARTED');
      f = { type: 'started', callId, pid: b.u32() };
      break;
    case AGENT_TYPES.stdout:
    case AGENT_TYPES.stderr:
      needsCall('output');
      f = { type: type === AGENT_TYPES.stdout ? 'stdout' : 'stderr', callId, data: b.rest() };
      break;
    case AGENT_TYPES.exit: {
      needsCall('EXIT');
      const signaled = b.u8();
      const value = b.u32();
      const flags = b.u8();
      if (signaled > 1 || flags > 3) throw protocolError('EXIT has unknown flags');
      f = { type: 'exit', callId, signaled: signaled === 1, value, timedOut: (flags & 1) !== 0, cancelled: (flags & 2) !== 0 };
      break;
    }
    case AGENT_TYPES.error: {
      const code = AGENT_ERROR_CODES[b.u32() - 1] ?? 'UNKNOWN';
      f = { type: 'error', callId, code, errno: b.u32(), message: b.rest().toString('utf8') };
      break;
    }
    case AGENT_TYPES.pong:
      f = { type: 'pong', callId };
      break;
    default:
      throw protocolError(`unknown agent frame type 0x${type.toString(16)}`);
  }
  b.done();
  return f;
}

function decodeHost(type: number, callId: number, b: Body): DecodedHostFrame {
  if (callId === 0 && type !== HOST_TYPES.ping) throw protocolError('host frame with call id 0');
  let f: DecodedHostFrame;
  switch (type) {
    case HOST_TYPES.run: {
      const timeoutMs = b.u32();
      const argv = Array.from({ length: count(b.u32(), MAX_ARGS, 'argc', 1) }, (_, i) => b.str(`argv[${i}]`));
      if (argv[0]?.length === 0) throw protocolError('RUN argv[0] is empty');
      const env = Array.from({ length: count(b.u32(), MAX_ENV, 'envc', 0) }, (): [string, Buffer] => {
        const name = b.str('env name').toString('latin1');
        if (!ENV_NAME.test(name)) throw protocolError(`RUN env name '${name}' is invalid`);
        return [name, b.str('env value')];
      });
      f = { type: 'run', callId, timeoutMs, argv, env, cwd: b.str('cwd') };
      break;
    }
    case HOST_TYPES.stdin:
      f = { type: 'stdin', callId, data: b.rest() };
      break;
    case HOST_TYPES.cancel:
      f = { type: 'cancel', callId, force: b.u8() !== 0, graceMs: b.u32() };
      break;
    case HOST_TYPES['stdin-eof']:
      f = { type: 'stdin-eof', callId };
      break;
    case HOST_TYPES.ping:
      f = { type: 'ping', callId };
      break;
    default:
      throw protocolError(`unknown host frame type 0x${type.toString(16)}`);
  }
  b.done();
  return f;
}

function count(n: number, max: number, what: string, min: number): number {
  if (n < min || n > max) throw protocolError(`RUN ${what} ${n} is out of range`);
  return n;
}

/**
 * A streaming decoder: `push()` any chunking of the byte stream, get the complete frames. A malformed or
 * oversize frame throws `SANDBOX_AGENT_PROTOCOL` (the length is checked before its body is buffered) and
 * poisons the decoder: every later `push()` throws the same error. `end()` throws if a frame is cut short.
 */
export class FrameDecoder<F extends AgentFrame | DecodedHostFrame> {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private need: number | undefined;
  private failed: ExecutorError | undefined;

  private constructor(private readonly decode: (type: number, callId: number, body: Body) => F) {}

  /** Decodes what the agent sends (the client's side). */
  static agent(): FrameDecoder<AgentFrame> {
    return new FrameDecoder(decodeAgent);
  }

  /** Decodes what the host sends (the agent's side, for tests). */
  static host(): FrameDecoder<DecodedHostFrame> {
    return new FrameDecoder(decodeHost);
  }

  push(chunk: Uint8Array): F[] {
    if (this.failed) throw this.failed;
    if (chunk.length > 0) {
      this.chunks.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
      this.buffered += chunk.length;
    }
    const out: F[] = [];
    try {
      for (;;) {
        if (this.need === undefined) {
          if (this.buffered < 4) break;
          const len = this.peek(4).readUInt32BE(0);
          if (len < 5) throw protocolError(`frame length ${len} is shorter than its type and call id`);
          if (len > MAX_FRAME_BYTES) throw protocolError(`frame length ${len} exceeds the 16 MiB maximum`);
          this.need = 4 + len;
        }
        if (this.buffered < this.need) break;
        const bytes = this.peek(this.need);
        this.consume(this.need);
        this.need = undefined;
        const name = `frame type 0x${bytes.readUInt8(4).toString(16)}`;
        out.push(this.decode(bytes.readUInt8(4), bytes.readUInt32BE(5), new Body(bytes.subarray(HEADER), name)));
      }
    } catch (err) {
      this.failed = err instanceof ExecutorError ? err : protocolError(String(err));
      throw this.failed;
    }
    return out;
  }

  /** The stream ended: throws if it stopped inside a frame. */
  end(): void {
    if (this.failed) throw this.failed;
    if (this.buffered > 0) {
      this.failed = protocolError(`the stream ended inside a frame (${this.buffered} bytes left over)`);
      throw this.failed;
    }
  }

  /** The first `n` buffered bytes as one Buffer (joining chunks only when a frame spans them). */
  private peek(n: number): Buffer {
    const first = this.chunks[0] as Buffer;
    if (first.length >= n) return first.subarray(0, n);
    const joined = Buffer.concat(this.chunks, this.buffered);
    this.chunks = [joined];
    return joined.subarray(0, n);
  }

  private consume(n: number): void {
    const first = this.chunks[0] as Buffer;
    this.buffered -= n;
    if (first.length === n) this.chunks.shift();
    else this.chunks[0] = first.subarray(n); // peek(n) left the whole frame in chunks[0]
  }
}
