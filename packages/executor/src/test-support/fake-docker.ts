import { Duplex } from 'node:stream';
import { duplexAttach } from '../docker-client';
import type { ContainerCreateBody, ContainerState, DockerClient, ManagedContainer } from '../docker-client';
import type { AttachDataHandler, AttachStream } from '../raw-attach';

/** One frame of Docker's multiplexed stream. */
export function frame(stream: 1 | 2, payload: string | Buffer): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload) : payload;
  const header = Buffer.alloc(8);
  header[0] = stream;
  header.writeUInt32BE(body.length, 4);
  return Buffer.concat([header, body]);
}

export class FakeContainer {
  readonly stdin: Buffer[] = [];
  stdinEnded = false;
  started = false;
  exited = false;
  exitCode = 0;
  oomKilled = false;
  removed = false;
  readonly signals: string[] = [];
  /** Sees each stdin write as it arrives (a fake in-sandbox agent reads its frames here). */
  onStdin: ((chunk: Buffer) => void) | undefined;
  private exitWaiters: Array<(code: number) => void> = [];
  readonly stream: Duplex;

  constructor(
    readonly id: string,
    readonly body: ContainerCreateBody,
  ) {
    this.stream = new Duplex({
      read() {},
      write: (chunk: Buffer, _enc, cb) => {
        this.stdin.push(chunk);
        this.onStdin?.(chunk);
        cb();
      },
      final: (cb) => {
        this.stdinEnded = true;
        cb();
      },
    });
  }

  stdout(data: string | Buffer): void {
    this.stream.push(frame(1, data));
  }

  stderr(data: string | Buffer): void {
    this.stream.push(frame(2, data));
  }

  exit(code: number, oom = false): void {
    if (this.exited) return;
    this.exited = true;
    this.exitCode = code;
    this.oomKilled = oom;
    this.stream.push(null);
    for (const w of this.exitWaiters) w(code);
    this.exitWaiters = [];
  }

  waitExit(): Promise<number> {
    return this.exited ? Promise.resolve(this.exitCode) : new Promise((r) => this.exitWaiters.push(r));
  }
}

/** What a fake container does when started. Default: exit 0 at once. */
export type FakeProgram = (c: FakeContainer) => void;

/**
 * An in-memory DockerClient: records every call, runs a scripted program per container, and
 * reacts to kill like the engine (SIGKILL always stops; SIGTERM stops unless the program ignores it).
 */
export class FakeDocker implements DockerClient {
  runtimesList = ['runc', 'io.containerd.runc.v2'];
  images = new Set<string>();
  pullable = new Set<string>();
  readonly pulls: string[] = [];
  readonly containers: FakeContainer[] = [];
  readonly calls: string[] = [];
  program: FakeProgram = (c) => c.exit(0);
  ignoreSigterm = false;
  /** When set, createContainer waits for it (to test cancel during creation). */
  createGate: Promise<void> | undefined;
  extraListed: ManagedContainer[] = [];
  /** `imageId()` answers: an image's id is `sha256:<name>` unless set here. */
  readonly imageIds = new Map<string, string>();
  private seq = 0;

  async runtimes(): Promise<string[]> {
    this.calls.push('runtimes');
    return this.runtimesList;
  }

  async imageExists(image: string): Promise<boolean> {
    this.calls.push(`imageExists ${image}`);
    return this.images.has(image);
  }

  async imageId(image: string): Promise<string | undefined> {
    this.calls.push(`imageId ${image}`);
    if (!this.images.has(image)) return undefined;
    return this.imageIds.get(image) ?? `sha256:${image}`;
  }

  async pullImage(image: string, signal: AbortSignal): Promise<void> {
    this.calls.push(`pull ${image}`);
    this.pulls.push(image);
    if (signal.aborted) throw new Error('aborted');
    if (!this.pullable.has(image))
      throw Object.assign(new Error(`pull access denied for ${image}`), { statusCode: 404 });
    this.images.add(image);
  }

  async createContainer(body: ContainerCreateBody): Promise<string> {
    this.calls.push('create');
    if (this.createGate !== undefined) await this.createGate;
    const id = `fake${String(++this.seq).padStart(60, '0')}`;
    this.containers.push(new FakeContainer(id, body));
    return id;
  }

  get(id: string): FakeContainer {
    const c = this.containers.find((x) => x.id === id);
    if (c === undefined) throw Object.assign(new Error(`no such container ${id}`), { statusCode: 404 });
    return c;
  }

  async attachContainer(id: string, options: { stdin: boolean; onData: AttachDataHandler }): Promise<AttachStream> {
    this.calls.push('attach');
    return duplexAttach(this.get(id).stream, options.onData);
  }

  async startContainer(id: string): Promise<void> {
    this.calls.push('start');
    const c = this.get(id);
    c.started = true;
    queueMicrotask(() => this.program(c));
  }

  async waitContainer(id: string): Promise<number> {
    return this.get(id).waitExit();
  }

  async inspectContainer(id: string): Promise<ContainerState> {
    const c = this.get(id);
    return { running: c.started && !c.exited, exitCode: c.exitCode, oomKilled: c.oomKilled };
  }

  async killContainer(id: string, signal: 'SIGTERM' | 'SIGKILL'): Promise<void> {
    this.calls.push(`kill ${signal}`);
    const c = this.containers.find((x) => x.id === id);
    if (c === undefined || c.removed) return;
    c.signals.push(signal);
    if (!c.started || c.exited) return;
    if (signal === 'SIGKILL') c.exit(137);
    else if (!this.ignoreSigterm) c.exit(143);
  }

  async removeContainer(id: string): Promise<void> {
    this.calls.push('remove');
    const c = this.containers.find((x) => x.id === id);
    if (c === undefined) return;
    if (!c.exited) c.exit(137);
    c.removed = true;
  }

  async listContainers(): Promise<ManagedContainer[]> {
    const mine = this.containers
      .filter((c) => !c.removed)
      .map((c) => ({ id: c.id, labels: c.body.Labels, state: c.exited ? 'exited' : 'running' }));
    return [...mine, ...this.extraListed];
  }

  /** Containers not yet removed. */
  live(): FakeContainer[] {
    return this.containers.filter((c) => !c.removed);
  }
}
