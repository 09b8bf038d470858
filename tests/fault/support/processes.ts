/**
 * Child processes for the fault suite: the real `orchestrator` and `worker`
 * CLIs run from source (node + the tsx loader, like bin/* with
 * BAAAHT_FROM_SOURCE), so the pid we signal and sample in /proc is the CLI
 * itself, not a wrapper, and a stale dist never hides a fix.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cleanEnv as workerCleanEnv } from '../../../apps/worker/src/test-support/cli-process';

export const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');
const TSX_LOADER = `file://${path.join(REPO_ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs')}`;
const ENTRY = {
  worker: path.join(REPO_ROOT, 'apps/worker/src/cli.ts'),
  orchestrator: path.join(REPO_ROOT, 'apps/worker/src/orchestrator-cli.ts'),
} as const;

export type Program = keyof typeof ENTRY;

/** Every child started through this module, so a failing test can still kill them all in afterAll. */
const live = new Set<CliProcess>();

/** A fresh temp directory under the OS temp dir (removed by `removeTempDirs`). */
const tempDirs: string[] = [];
export function tempDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `bf-${prefix}-`));
  tempDirs.push(dir);
  return dir;
}

export function removeTempDirs(): void {
  for (const d of tempDirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
}

/** The worker app's clean environment (no WORKER_* / JEST leaking in, a fresh HOME), its HOME removed with our temp dirs. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = workerCleanEnv(extra);
  if (env['HOME']) tempDirs.push(env['HOME']);
  return env;
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface LogLine {
  msg: string;
  [key: string]: unknown;
}

export interface CliProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  stdout(): string;
  stderr(): string;
  /** JSON log lines printed on stdout so far (`--log-format json`). */
  logs(): LogLine[];
  /** Resolves when `pattern` shows up on stdout or stderr; rejects if the process exits first. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  readonly exited: Promise<CliResult>;
  running(): boolean;
  /** SIGKILL if still running; resolves once it is gone. */
  kill(): Promise<void>;
}

/** Keeps at most this much of each stream in memory: a 2,000-task run must not grow the test process. */
const MAX_KEPT = 8 * 1024 * 1024;

export interface StartOptions {
  env?: NodeJS.ProcessEnv;
  /**
   * Run inside this network namespace (`ip netns exec NAME node ...`; the fleet suite's hosts). `ip` execs
   * node in place, so the pid is still the CLI's own. @default the test's own namespace
   */
  netns?: string;
}

export function startCli(program: Program, args: readonly string[], options: StartOptions = {}): CliProcess {
  return startNodeScript(program, ENTRY[program], args, options);
}

/** Any TypeScript entry of the repository run like the CLIs (node + the tsx loader); `program` names it in errors. */
export function startNodeScript(
  program: string,
  entry: string,
  args: readonly string[],
  options: StartOptions = {},
): CliProcess {
  const argv = [process.execPath, '--import', TSX_LOADER, entry, ...args];
  const [command, ...rest] = options.netns === undefined ? argv : ['ip', 'netns', 'exec', options.netns, ...argv];
  const child = spawn(command as string, rest, {
    env: options.env ?? cleanEnv(),
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (child.pid === undefined) throw new Error(`could not spawn ${program}`);
  let out = '';
  let err = '';
  let done = false;
  const waiters = new Set<() => void>();
  const keep = (buf: string, d: Buffer): string => {
    const next = buf + d.toString();
    return next.length > MAX_KEPT ? next.slice(next.length - MAX_KEPT) : next;
  };
  child.stdout?.on('data', (d: Buffer) => {
    out = keep(out, d);
    for (const w of waiters) w();
  });
  child.stderr?.on('data', (d: Buffer) => {
    err = keep(err, d);
    for (const w of waiters) w();
  });
  const exited = new Promise<CliResult>((resolve) => {
    child.on('close', (code, signal) => {
      done = true;
      for (const w of waiters) w();
      resolve({ code, signal, stdout: out, stderr: err });
    });
  });
  const proc: CliProcess = {
    child,
    pid: child.pid,
    stdout: () => out,
    stderr: () => err,
    logs: () =>
      out
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .flatMap((l) => {
          try {
            return [JSON.parse(l) as LogLine];
          } catch {
            return [];
          }
        }),
    exited,
    running: () => !done,
    waitFor(pattern, timeoutMs = 60_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          cleanup();
          reject(
            new Error(
              `${program}: timed out waiting for ${pattern}\nstdout tail:\n${out.slice(-4000)}\nstderr tail:\n${err.slice(-4000)}`,
            ),
          );
        }, timeoutMs);
        const cleanup = (): void => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        const check = (): void => {
          const m = out.match(pattern) ?? err.match(pattern);
          if (m) {
            cleanup();
            resolve(m);
          } else if (done) {
            cleanup();
            reject(
              new Error(
                `${program} exited before ${pattern} appeared\nstdout tail:\n${out.slice(-4000)}\nstderr tail:\n${err.slice(-4000)}`,
              ),
            );
          }
        };
        waiters.add(check);
        check();
      });
    },
    async kill() {
      if (!done) {
        child.kill('SIGKILL');
        await exited;
      }
    },
  };
  live.add(proc);
  void exited.then(() => live.delete(proc));
  return proc;
}

/** Runs a CLI to completion. */
export function runCli(program: Program, args: readonly string[], options: StartOptions = {}): Promise<CliResult> {
  return startCli(program, args, options).exited;
}

/** SIGTERM (a worker drains and removes its warm pool), then SIGKILL if it still runs after `graceMs`. */
export async function stopGracefully(proc: CliProcess, graceMs = 30_000): Promise<void> {
  if (!proc.running()) return;
  proc.child.kill('SIGTERM');
  const timer = setTimeout(() => proc.child.kill('SIGKILL'), graceMs);
  await proc.exited;
  clearTimeout(timer);
}

/** SIGKILLs every child this module started that is still running (afterAll / finally). */
export async function killAllChildren(): Promise<void> {
  await Promise.all([...live].map((p) => p.kill()));
}

export function liveChildren(): number {
  return live.size;
}

/** A short unix socket path (sun_path is limited to ~107 bytes). */
export function tempSocketPath(name: string): string {
  return path.join(tempDir('sock'), `${name}.sock`);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `predicate` every 50 ms until it holds; fails naming `what` after `timeoutMs`. */
export async function waitUntil(
  what: string,
  predicate: () => boolean | Promise<boolean>,
  timeoutMs = 60_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/** Open file descriptors and resident memory of a live process, from /proc. */
export function procSample(pid: number): { fds: number; rssBytes: number } {
  const fds = fs.readdirSync(`/proc/${pid}/fd`).length;
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1] ?? NaN);
  return { fds, rssBytes: kb * 1024 };
}
