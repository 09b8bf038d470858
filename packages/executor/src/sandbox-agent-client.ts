import os from 'node:os';
import { PassThrough, Readable } from 'node:stream';
import type { Writable } from 'node:stream';
import { ExecutorError } from './errors';
import { quietLogger } from './logger';
import type { Logger } from './logger';
import { FrameDecoder, SANDBOX_AGENT_PROTOCOL_VERSION, encodeHostFrame, protocolError } from './sandbox-agent-protocol';
import type { AgentBytes, AgentFrame } from './sandbox-agent-protocol';

/** What the agent said about itself in `READY`. */
export interface SandboxAgentHello {
  version: number;
  pid: number;
  maxCalls: number;
  maxFrameBytes: number;
}

export interface SandboxAgentClientOptions {
  /** The agent's stdout. */
  input: Readable;
  /** The agent's stdin. */
  output: Writable;
  /** SIGTERM-to-SIGKILL grace of a non-forced `cancel()`. @default 2000 */
  cancelGraceMs?: number;
  /** @default a quiet logger */
  logger?: Logger;
}

export interface SandboxRunRequest {
  /** The program and its arguments, passed verbatim (no shell); `argv[0]` is searched in `PATH` without a `/`. */
  argv: readonly AgentBytes[];
  /** Added to (or replacing in) the agent's environment. Names must match `[A-Za-z_][A-Za-z0-9_]*`. */
  env?: Readonly<Record<string, AgentBytes>>;
  /** @default the agent's working directory */
  cwd?: string;
  /** The call's stdin; it is closed at the end of it. @default empty */
  stdin?: AgentBytes | Readable;
  /** The agent kills the call's process group after this long. @default no timeout */
  timeoutMs?: number;
}

/** How a call ended: `code` when it exited, `signal` when a signal killed it. */
export interface SandboxCallExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  cancelled: boolean;
}

/** One call. Read both streams: output is buffered until it is read. They end when the call does. */
export interface SandboxCall {
  readonly callId: number;
  readonly stdout: Readable;
  readonly stderr: Readable;
  /** The call's pid (and process group id) inside the sandbox, once it started. */
  readonly pid: number | undefined;
  /**
   * Resolves when the call's process exited. Rejects with `SANDBOX_CALL_FAILED` when it could not start
   * (`detail`: `EXEC_FAILED`...), `SANDBOX_AGENT_GONE` when the agent died first, `SANDBOX_AGENT_PROTOCOL`.
   */
  readonly exit: Promise<SandboxCallExit>;
  /** SIGTERM the call's process group, SIGKILL after the grace period; `force`: SIGKILL now. */
  cancel(force?: boolean): void;
}

/**
 * The client's life:
 * - `open`: calls are accepted and multiplexed by call id;
 * - `closing`: `close()` ended the agent's stdin; the agent kills what runs and exits;
 * - `closed`: the agent's stdout ended, failed or broke the protocol; every call has settled.
 */
export type SandboxAgentClientState = 'open' | 'closing' | 'closed';

interface Pending {
  call: MutableCall;
  resolve: (exit: SandboxCallExit) => void;
  reject: (err: ExecutorError) => void;
  detachStdin: () => void;
}
type MutableCall = { -readonly [K in keyof SandboxCall]: SandboxCall[K] } & {
  stdout: PassThrough;
  stderr: PassThrough;
};

const SIGNALS = new Map<number, NodeJS.Signals>(
  Object.entries(os.constants.signals).map(([name, n]) => [n, name as NodeJS.Signals]),
);
const ERRNOS = new Map<number, string>(Object.entries(os.constants.errno).map(([name, n]) => [n, name]));
/** Largest STDIN frame body the client sends (well under the 16 MiB frame limit). */
const STDIN_CHUNK = 1024 * 1024;

/** Runs calls through one in-sandbox agent over its stdin/stdout; knows nothing about containers. */
export class SandboxAgentClient {
  /** Resolves with the agent's `READY`; rejects if the agent goes away or speaks another version first. */
  readonly ready: Promise<SandboxAgentHello>;
  private current: SandboxAgentClientState = 'open';
  private readonly calls = new Map<number, Pending>();
  private readonly decoder = FrameDecoder.agent();
  private readonly input: Readable;
  private readonly output: Writable;
  private readonly graceMs: number;
  private readonly logger: Logger;
  private nextId = 1;
  private hello: { resolve: (h: SandboxAgentHello) => void; reject: (e: ExecutorError) => void } | undefined;
  private failure: ExecutorError | undefined;

  constructor(options: SandboxAgentClientOptions) {
    this.input = options.input;
    this.output = options.output;
    this.graceMs = options.cancelGraceMs ?? 2000;
    this.logger = options.logger ?? quietLogger;
    this.ready = new Promise((resolve, reject) => (this.hello = { resolve, reject }));
    this.ready.catch(() => undefined); // callers that never await it must not see an unhandled rejection
    this.input.on('data', (chunk: Buffer) => this.onData(chunk));
    this.input.on('end', () => this.onEnd());
    this.input.on('close', () => this.fail(gone('its stdout closed')));
    this.input.on('error', (err) => this.fail(gone(`its stdout failed: ${err.message}`, err)));
    this.output.on('error', (err) => this.fail(gone(`its stdin failed: ${err.message}`, err)));
  }

  get state(): SandboxAgentClientState {
    return this.current;
  }

  /** Calls started and not yet ended. */
  get activeCalls(): number {
    return this.calls.size;
  }

  /** Starts a call. Never throws: a refused request or a dead agent rejects `exit`. */
  run(request: SandboxRunRequest): SandboxCall {
    const callId = this.allocateId();
    const call = { callId, stdout: new PassThrough(), stderr: new PassThrough(), pid: undefined } as MutableCall;
    call.cancel = (force = false) => {
      if (this.calls.has(callId)) this.send({ type: 'cancel', callId, force, graceMs: force ? 0 : this.graceMs });
    };
    let pending: Pending | undefined;
    call.exit = new Promise<SandboxCallExit>((resolve, reject) => {
      pending = { call, resolve, reject, detachStdin: () => undefined };
    });
    const p = pending as Pending;
    let frame: Buffer;
    try {
      frame = encodeHostFrame({
        type: 'run',
        callId,
        argv: request.argv,
        env: Object.entries(request.env ?? {}),
        cwd: request.cwd ?? '',
        timeoutMs: request.timeoutMs ?? 0,
      });
    } catch (err) {
      this.settle(p, ExecutorError.fromUnknown(err));
      return call;
    }
    if (this.failure !== undefined || this.current !== 'open') {
      this.settle(p, this.failure ?? gone('the client is closing'));
      return call;
    }
    this.calls.set(callId, p);
    const stdin = request.stdin;
    if (stdin instanceof Readable) {
      this.write(frame);
      this.feedStdin(p, stdin);
    } else {
      // The whole request in one write: one syscall, and one wake-up of the engine's stdio relay per call.
      const data = stdin === undefined ? undefined : typeof stdin === 'string' ? Buffer.from(stdin) : stdin;
      this.write(
        Buffer.concat([frame, ...this.stdinFrames(callId, data), encodeHostFrame({ type: 'stdin-eof', callId })]),
      );
    }
    return call;
  }

  /** Round trip to the agent. */
  ping(): Promise<void> {
    const callId = this.allocateId();
    return new Promise<void>((resolve, reject) => {
      const call = { callId, stdout: new PassThrough(), stderr: new PassThrough() } as MutableCall;
      if (this.failure !== undefined) return reject(this.failure);
      this.calls.set(callId, { call, resolve: () => resolve(), reject, detachStdin: () => undefined });
      this.send({ type: 'ping', callId });
    });
  }

  /** Ends the agent's stdin (it kills every call and exits) and waits for its stdout to end. */
  async close(): Promise<void> {
    if (this.current === 'open') {
      this.current = 'closing';
      this.output.end();
    }
    if (this.current === 'closed' || this.input.readableEnded || this.input.destroyed) return;
    await new Promise<void>((resolve) => this.input.once('close', resolve).once('end', resolve));
  }

  private allocateId(): number {
    while (this.calls.has(this.nextId) || this.nextId === 0) this.nextId = (this.nextId + 1) >>> 0;
    const id = this.nextId;
    this.nextId = (this.nextId + 1) >>> 0;
    return id;
  }

  private send(f: Parameters<typeof encodeHostFrame>[0]): void {
    this.write(encodeHostFrame(f));
  }

  private write(frame: Buffer): boolean {
    if (this.current === 'closed' || this.output.writableEnded || this.output.destroyed) return true;
    return this.output.write(frame);
  }

  /** STDIN frames carrying `chunk` (none for an empty or absent one), at most {@link STDIN_CHUNK} bytes each. */
  private stdinFrames(callId: number, chunk: Uint8Array | undefined): Buffer[] {
    const frames: Buffer[] = [];
    for (let at = 0; chunk !== undefined && at < chunk.length; at += STDIN_CHUNK)
      frames.push(encodeHostFrame({ type: 'stdin', callId, data: chunk.subarray(at, at + STDIN_CHUNK) }));
    return frames;
  }

  /** Streams a Readable stdin as STDIN frames (pausing it while the agent's stdin is full), then STDIN-EOF. */
  private feedStdin(p: Pending, stdin: Readable): void {
    const callId = p.call.callId;
    const data = (chunk: Uint8Array): boolean => {
      let ok = true;
      for (const f of this.stdinFrames(callId, chunk)) ok = this.write(f);
      return ok;
    };
    const eof = (): void => {
      if (this.calls.has(callId)) this.send({ type: 'stdin-eof', callId });
    };
    const onData = (chunk: Buffer | string): void => {
      if (!this.calls.has(callId)) return p.detachStdin();
      if (!data(typeof chunk === 'string' ? Buffer.from(chunk) : chunk)) {
        stdin.pause();
        this.output.once('drain', () => stdin.resume());
      }
    };
    const onError = (err: Error): void => {
      this.logger.warn('sandbox call stdin failed; cancelling the call', { callId, error: err.message });
      p.call.cancel(true);
    };
    stdin.on('data', onData).once('end', eof).once('error', onError);
    p.detachStdin = () => {
      stdin.off('data', onData).off('end', eof).off('error', onError);
    };
  }

  private onData(chunk: Buffer): void {
    if (this.current === 'closed') return;
    let frames: AgentFrame[];
    try {
      frames = this.decoder.push(chunk);
    } catch (err) {
      this.fail(ExecutorError.fromUnknown(err));
      this.output.end();
      return;
    }
    for (const f of frames) this.onFrame(f);
  }

  private onFrame(f: AgentFrame): void {
    if (f.type === 'ready') {
      if (f.version !== SANDBOX_AGENT_PROTOCOL_VERSION) {
        this.fail(
          protocolError(`the agent speaks version ${f.version}, this client ${SANDBOX_AGENT_PROTOCOL_VERSION}`),
        );
        this.output.end();
        return;
      }
      this.hello?.resolve({ version: f.version, pid: f.pid, maxCalls: f.maxCalls, maxFrameBytes: f.maxFrameBytes });
      return;
    }
    if (f.type === 'error' && f.callId === 0) {
      this.fail(protocolError(`the agent rejected a frame: ${f.message}`));
      return;
    }
    const p = this.calls.get(f.callId);
    if (p === undefined) return; // a call the client already settled
    switch (f.type) {
      case 'started':
        p.call.pid = f.pid;
        break;
      case 'stdout':
      case 'stderr':
        p.call[f.type].write(f.data);
        break;
      case 'exit': {
        const exit = {
          code: f.signaled ? null : f.value,
          signal: f.signaled ? (SIGNALS.get(f.value) ?? (`SIG${f.value}` as NodeJS.Signals)) : null,
          timedOut: f.timedOut,
          cancelled: f.cancelled,
        };
        this.settle(p, exit);
        break;
      }
      case 'error': {
        const errno = f.errno === 0 ? '' : ` (${ERRNOS.get(f.errno) ?? `errno ${f.errno}`})`;
        const err = new ExecutorError('SANDBOX_CALL_FAILED', `sandbox call ${f.callId}: ${f.message}${errno}`, {
          detail: f.code,
        });
        this.settle(p, err);
        break;
      }
      case 'pong':
        this.settle(p, { code: 0, signal: null, timedOut: false, cancelled: false });
        break;
    }
  }

  private settle(p: Pending, outcome: SandboxCallExit | ExecutorError): void {
    this.calls.delete(p.call.callId);
    p.detachStdin();
    p.call.stdout.end();
    p.call.stderr.end();
    if (outcome instanceof ExecutorError) p.reject(outcome);
    else p.resolve(outcome);
  }

  private onEnd(): void {
    try {
      this.decoder.end();
    } catch (err) {
      return this.fail(ExecutorError.fromUnknown(err));
    }
    this.fail(gone('its stdout ended'));
  }

  /** The agent is unusable: every pending call and `ready` reject with `err`, and the client is closed. */
  private fail(err: ExecutorError): void {
    if (this.current === 'closed') return;
    this.current = 'closed';
    this.failure = err;
    if (this.calls.size > 0) this.logger.warn('sandbox agent lost with calls running', { calls: this.calls.size });
    this.hello?.reject(err);
    for (const p of [...this.calls.values()]) this.settle(p, err);
  }
}

const gone = (why: string, cause?: unknown): ExecutorError =>
  new ExecutorError('SANDBOX_AGENT_GONE', `the sandbox agent is gone: ${why}`, { cause });
