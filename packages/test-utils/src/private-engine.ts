import { execFile, execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/**
 * A Docker engine of a test's own: its own containerd and dockerd, every root (data, exec, pidfile,
 * sockets, config, trust key) under one temp directory, no bridge, no iptables, no IP forwarding, so it
 * coexists with the host's engine and can be stopped and restarted without touching anything else.
 * Only the pids this module spawned are ever signalled; the host's daemon never is.
 */
export type PrivateEngineErrorCode = 'NOT_ROOT' | 'NO_BINARY' | 'PATH_TOO_LONG' | 'START_FAILED' | 'STOP_FAILED';

export class PrivateEngineError extends Error {
  override name = 'PrivateEngineError';
  constructor(
    readonly code: PrivateEngineErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The programs a private engine runs (Debian: `apt-get install docker.io`, which brings the other two). */
export const ENGINE_PROGRAMS = ['dockerd', 'containerd', 'runc'] as const;

const SYSTEM_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
/** sun_path is 108 bytes; containerd adds `.ttrpc` to its socket path. */
const MAX_SOCKET_PATH = 100;

/** Where `program` is on PATH (or the system sbin/bin directories), if anywhere. */
export function findProgram(program: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const dirs = [...(env.PATH ?? '').split(':'), ...SYSTEM_PATH.split(':')].filter(Boolean);
  for (const dir of dirs) {
    const file = path.join(dir, program);
    try {
      fs.accessSync(file, fs.constants.X_OK);
      if (fs.statSync(file).isFile()) return file;
    } catch {
      // not here
    }
  }
  return undefined;
}

export interface EngineHost {
  uid: number;
  find(program: string): string | undefined;
}

const thisHost: EngineHost = { uid: process.getuid?.() ?? -1, find: (p) => findProgram(p) };

/** Why a private engine cannot be started here (not root, a program missing), or undefined when it can. */
export function privateEngineProblem(host: EngineHost = thisHost): PrivateEngineError | undefined {
  if (host.uid !== 0)
    return new PrivateEngineError('NOT_ROOT', `dockerd must run as root (this process runs as uid ${host.uid})`);
  const missing = ENGINE_PROGRAMS.filter((p) => host.find(p) === undefined);
  if (missing.length > 0)
    return new PrivateEngineError(
      'NO_BINARY',
      `${missing.join(', ')} not found on PATH or in /usr/sbin, /usr/bin, /sbin, /bin (Debian: apt-get install docker.io)`,
    );
  return undefined;
}

export interface PrivateEngineOptions {
  /** Parent of the engine's directory. @default os.tmpdir() */
  parentDir?: string;
  /** Images copied from the host engine into this one (`docker save | docker load`). @default [] */
  images?: readonly string[];
  /** Environment of the `docker save` on the host engine. @default process.env */
  hostEnv?: NodeJS.ProcessEnv;
  /** Bound on each start and each stop. @default 60000 */
  timeoutMs?: number;
}

/** What `dispose()` found still there after an orderly stop, and had to force away. */
export interface DisposeReport {
  /** Processes still running with the engine's directory in their command line (SIGKILLed). */
  processes: string[];
  /** Mount points still under the engine's directory (lazily unmounted). */
  mounts: string[];
}

export interface PrivateEngine {
  /** The one temp directory everything lives in. */
  readonly dir: string;
  /** `unix://<dir>/docker.sock`: set it as DOCKER_HOST to use this engine. */
  readonly host: string;
  /** The dockerd pid, read from this engine's own pidfile; undefined while it is stopped. */
  pid(): number | undefined;
  /** Whether this engine answers `docker info`. */
  answers(): Promise<boolean>;
  /** SIGTERMs dockerd (the pid in its pidfile, which must be the process this module spawned) and waits for its exit. */
  stop(): Promise<void>;
  /** Starts dockerd again on the same roots; resolves once it answers. */
  start(): Promise<void>;
  /** Stops dockerd and containerd, forces away anything left (reported), removes the directory. Idempotent. */
  dispose(): Promise<DisposeReport>;
  /** The last lines of the engine's logs, for failure messages. */
  logTail(lines?: number): string;
}

/** A minimal environment for the daemons: no DOCKER_* or XDG_* from the test process; temp files in `tmp`. */
function daemonEnv(tmp: string): NodeJS.ProcessEnv {
  return { PATH: `${process.env.PATH ?? ''}:${SYSTEM_PATH}`, HOME: '/root', LANG: 'C', TMPDIR: tmp };
}

function wait(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

async function until(what: string, check: () => boolean | Promise<boolean>, limitMs: number): Promise<boolean> {
  const deadline = Date.now() + limitMs;
  while (!(await check())) {
    if (Date.now() > deadline) return false;
    await wait(100);
  }
  return true;
}

function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

function tail(file: string, lines: number): string {
  try {
    return fs
      .readFileSync(file, 'utf8')
      .split('\n')
      .slice(-lines - 1)
      .join('\n');
  } catch {
    return '';
  }
}

/** `docker save images` on the host engine piped into `docker load` on `host`. */
async function copyImages(images: readonly string[], host: string, hostEnv: NodeJS.ProcessEnv): Promise<void> {
  if (images.length === 0) return;
  const save = spawn('docker', ['save', ...images], { env: hostEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  const load = spawn('docker', ['--host', host, 'load', '--quiet'], { stdio: ['pipe', 'pipe', 'pipe'] });
  save.stdout.pipe(load.stdin);
  let errors = '';
  save.stderr.on('data', (d: Buffer) => (errors += d.toString()));
  load.stderr.on('data', (d: Buffer) => (errors += d.toString()));
  const code = (c: ChildProcess): Promise<number | null> => new Promise((r) => c.on('close', (n) => r(n)));
  const [saved, loaded] = await Promise.all([code(save), code(load)]);
  if (saved !== 0 || loaded !== 0)
    throw new PrivateEngineError(
      'START_FAILED',
      `copying ${images.join(', ')} into the private engine failed (docker save ${saved}, docker load ${loaded}): ${errors.trim()}`,
    );
}

/** Mount points at or under `dir`, deepest first. */
function mountsUnder(dir: string): string[] {
  const lines = fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n');
  const points = lines
    .map((l) => l.split(' ')[4] ?? '')
    .map((p) => p.replace(/\\(\d{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))))
    .filter((p) => p === dir || p.startsWith(dir + '/'));
  return [...new Set(points)].sort((a, b) => b.length - a.length);
}

/** Processes (other than this one) whose command line mentions `dir`: only ever this engine's own. */
function processesMentioning(dir: string): Array<{ pid: number; cmd: string }> {
  const found: Array<{ pid: number; cmd: string }> = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const cmd = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').join(' ').trim();
      if (cmd.includes(dir)) found.push({ pid: Number(entry), cmd });
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

/**
 * Starts a private engine (containerd, then dockerd on its socket) and copies `images` into it. Throws a
 * `PrivateEngineError` when it cannot (see `privateEngineProblem()`), never falling back to the host's.
 */
export async function startPrivateEngine(options: PrivateEngineOptions = {}): Promise<PrivateEngine> {
  const problem = privateEngineProblem();
  if (problem) throw problem;
  const limitMs = options.timeoutMs ?? 60_000;
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(options.parentDir ?? os.tmpdir(), 'baaaht-engine-')));
  const p = (rel: string): string => path.join(dir, rel);
  const containerdSock = p('containerd/containerd.sock');
  const host = `unix://${p('docker.sock')}`;
  if (`${containerdSock}.ttrpc`.length > MAX_SOCKET_PATH) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw new PrivateEngineError(
      'PATH_TOO_LONG',
      `the engine directory ${dir} is too long for a unix socket path; set a shorter TMPDIR`,
    );
  }
  fs.mkdirSync(p('containerd'), { mode: 0o700 });
  fs.mkdirSync(p('tmp'), { mode: 0o700 });
  // dockerd attaches to a system containerd at /run/containerd/containerd.sock when one runs, and would
  // share its namespace with the host's engine: a containerd of our own keeps the two apart.
  fs.writeFileSync(
    p('containerd.toml'),
    [
      'version = 2',
      `root = ${JSON.stringify(p('containerd/root'))}`,
      `state = ${JSON.stringify(p('containerd/state'))}`,
      'disabled_plugins = ["io.containerd.grpc.v1.cri"]',
      '[grpc]',
      `  address = ${JSON.stringify(containerdSock)}`,
      '[debug]',
      '  address = ""',
      '',
    ].join('\n'),
  );
  // Instead of /etc/docker/daemon.json; its own trust key instead of /etc/docker/key.json.
  fs.writeFileSync(p('daemon.json'), JSON.stringify({ 'deprecated-key-path': p('key.json') }) + '\n');
  const dockerdArgs = [
    '--host',
    host,
    '--data-root',
    p('data'),
    '--exec-root',
    p('exec'),
    '--pidfile',
    p('docker.pid'),
    '--config-file',
    p('daemon.json'),
    '--containerd',
    containerdSock,
    '--bridge=none',
    '--iptables=false',
    '--ip6tables=false',
    '--ip-forward=false',
    '--ip-masq=false',
    '--log-level',
    'warn',
  ];
  const logs = { containerd: p('containerd.log'), dockerd: p('dockerd.log') };

  const spawnLogged = (program: string, args: string[], log: string): ChildProcess => {
    const fd = fs.openSync(log, 'a');
    try {
      const child = spawn(program, args, { env: daemonEnv(p('tmp')), cwd: dir, stdio: ['ignore', fd, fd] });
      child.on('error', () => undefined);
      child.unref();
      return child;
    } finally {
      fs.closeSync(fd);
    }
  };

  const docker = (args: string[]): Promise<string> =>
    execFileAsync('docker', ['--host', host, ...args], { timeout: 5_000, env: daemonEnv(p('tmp')) }).then(
      (r) => r.stdout,
    );
  const answers = (): Promise<boolean> =>
    docker(['info', '--format', '{{.ServerVersion}}']).then(
      () => true,
      () => false,
    );
  const logTail = (lines = 20): string =>
    `--- ${logs.containerd}\n${tail(logs.containerd, lines)}\n--- ${logs.dockerd}\n${tail(logs.dockerd, lines)}`;

  let containerd: ChildProcess | undefined;
  let dockerd: ChildProcess | undefined;

  const readPid = (): number | undefined => {
    try {
      const n = Number(fs.readFileSync(p('docker.pid'), 'utf8').trim());
      return Number.isSafeInteger(n) && n > 0 ? n : undefined;
    } catch {
      return undefined;
    }
  };

  const startDockerd = async (): Promise<void> => {
    if (dockerd && !exited(dockerd)) throw new PrivateEngineError('START_FAILED', 'the private dockerd is running');
    const child = spawnLogged('dockerd', dockerdArgs, logs.dockerd);
    dockerd = child;
    const up = await until('dockerd', async () => exited(child) || (await answers()), limitMs);
    if (!up || exited(child))
      throw new PrivateEngineError(
        'START_FAILED',
        `the private dockerd ${exited(child) ? `exited (${child.exitCode ?? child.signalCode})` : `did not answer within ${limitMs} ms`}\n${logTail()}`,
      );
  };

  const stopChild = async (child: ChildProcess | undefined, name: string, pid: number | undefined): Promise<void> => {
    if (!child || exited(child)) return;
    if (pid !== child.pid)
      throw new PrivateEngineError('STOP_FAILED', `${name}'s pidfile names ${pid}, not the process this test started`);
    child.kill('SIGTERM');
    if (!(await until(`${name} to exit`, () => exited(child), limitMs))) {
      child.kill('SIGKILL');
      await until(`${name} to exit`, () => exited(child), 10_000);
      throw new PrivateEngineError('STOP_FAILED', `the private ${name} did not exit within ${limitMs} ms of SIGTERM`);
    }
  };

  let disposed: DisposeReport | undefined;
  const engine: PrivateEngine = {
    dir,
    host,
    pid: () => (dockerd && !exited(dockerd) ? readPid() : undefined),
    answers,
    stop: () => stopChild(dockerd, 'dockerd', readPid()),
    start: startDockerd,
    async dispose() {
      if (disposed) return disposed;
      const errors: unknown[] = [];
      await stopChild(dockerd, 'dockerd', readPid()).catch((e: unknown) => errors.push(e));
      await stopChild(containerd, 'containerd', containerd?.pid).catch((e: unknown) => errors.push(e));
      const processes = processesMentioning(dir);
      for (const proc of processes) {
        try {
          process.kill(proc.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      if (processes.length > 0)
        await until('leftover processes to exit', () => processesMentioning(dir).length === 0, 10_000);
      const mounts = mountsUnder(dir);
      for (const m of mounts) {
        try {
          execFileSync('umount', ['-l', m], { stdio: 'pipe' });
        } catch (err) {
          errors.push(err);
        }
      }
      fs.rmSync(dir, { recursive: true, force: true });
      disposed = { processes: processes.map((x) => `${x.pid} ${x.cmd}`), mounts };
      if (errors.length > 0)
        throw new PrivateEngineError('STOP_FAILED', `disposing the private engine: ${errors.map(String).join('; ')}`);
      return disposed;
    },
    logTail,
  };

  try {
    const child = spawnLogged('containerd', ['--config', p('containerd.toml'), '--log-level', 'warn'], logs.containerd);
    containerd = child;
    const up = await until('containerd', () => exited(child) || fs.existsSync(containerdSock), limitMs);
    if (!up || exited(child))
      throw new PrivateEngineError('START_FAILED', `the private containerd did not start\n${logTail()}`);
    await startDockerd();
    await copyImages(options.images ?? [], host, options.hostEnv ?? process.env);
  } catch (err) {
    await engine.dispose().catch(() => undefined);
    throw err;
  }
  return engine;
}
