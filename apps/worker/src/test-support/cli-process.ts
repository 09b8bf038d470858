/**
 * Spawns the real CLIs from source (node + tsx loader, sibling packages from
 * their sources through the root tsconfig's paths), so a test run never needs
 * a stale build and signals reach the CLI process itself.
 */
import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export const REPO_ROOT = path.resolve(__dirname, '..', '..', '..', '..');
const TSX_LOADER = `file://${path.join(REPO_ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs')}`;
const ENTRY = {
  worker: path.join(REPO_ROOT, 'apps/worker/src/cli.ts'),
  orchestrator: path.join(REPO_ROOT, 'apps/worker/src/orchestrator-cli.ts'),
};

export type Program = keyof typeof ENTRY;

/**
 * A clean environment: no WORKER_* (nor OTEL_*) leaking in from the developer's shell, a HOME without a config file.
 * The HOME is made under os.tmpdir(), which in a jest run is the run's own directory (test-utils
 * `jest/run-scope.js`), removed with everything in it by the global teardown.
 */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (
      k.startsWith('WORKER_') ||
      k.startsWith('OTEL_') ||
      k === 'ORCHESTRATOR_URL' ||
      k === 'XDG_CONFIG_HOME' ||
      k.startsWith('JEST') ||
      k === 'NODE_OPTIONS'
    )
      continue;
    env[k] = v;
  }
  env['HOME'] = fs.mkdtempSync(path.join(os.tmpdir(), 'baaaht-home-'));
  env['TSX_TSCONFIG_PATH'] = path.join(REPO_ROOT, 'tsconfig.json');
  return { ...env, ...extra };
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliProcess {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves when `pattern` shows up on stdout or stderr. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  exited: Promise<CliResult>;
  /** SIGKILL if still running (test teardown). */
  kill(): Promise<void>;
  /**
   * SIGTERM, then SIGKILL if it is still running after `graceMs`: a worker drains and removes its warm
   * pool's waiting containers (a SIGKILLed one leaves them for the next worker's reaper).
   */
  stop(graceMs?: number): Promise<void>;
}

/** The command line that runs a CLI from source, for spawners other than `startCli` (an MCP client's stdio transport). */
export function cliCommand(program: Program, args: readonly string[]): { command: string; args: string[] } {
  return { command: process.execPath, args: ['--import', TSX_LOADER, ENTRY[program], ...args] };
}

export function startCli(
  program: Program,
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string } = {},
): CliProcess {
  const line = cliCommand(program, args);
  const child = spawn(line.command, line.args, {
    env: options.env ?? cleanEnv(),
    cwd: options.cwd ?? REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  const waiters = new Set<() => void>();
  child.stdout?.on('data', (d: Buffer) => {
    out += d.toString();
    for (const w of waiters) w();
  });
  child.stderr?.on('data', (d: Buffer) => {
    err += d.toString();
    for (const w of waiters) w();
  });
  const exited = new Promise<CliResult>((resolve) => {
    child.on('close', (code, signal) => {
      for (const w of waiters) w();
      resolve({ code, signal, stdout: out, stderr: err });
    });
  });
  let done = false;
  void exited.then(() => {
    done = true;
  });
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    waitFor(pattern, timeoutMs = 60_000) {
      return new Promise((resolve, reject) => {
        const check = (): void => {
          const m = out.match(pattern) ?? err.match(pattern);
          if (m) {
            cleanup();
            resolve(m);
          } else if (done) {
            cleanup();
            reject(new Error(`process exited before ${pattern} appeared\nstdout:\n${out}\nstderr:\n${err}`));
          }
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`timed out waiting for ${pattern}\nstdout:\n${out}\nstderr:\n${err}`));
        }, timeoutMs);
        const cleanup = (): void => {
          clearTimeout(timer);
          waiters.delete(check);
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
    async stop(graceMs = 30_000) {
      if (done) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Runs a CLI to completion. */
export function runCli(
  program: Program,
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string } = {},
): Promise<CliResult> {
  return startCli(program, args, options).exited;
}

/** A free TCP port on 127.0.0.1 (bound then released). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** A short unix socket path (sun_path is limited to ~107 bytes). */
export function tempSocketPath(name: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bw-'));
  return path.join(dir, `${name}.sock`);
}

/**
 * Containers (running or not) left by workers whose id starts with `workerIdPrefix` (and carrying every one
 * of `labels`, e.g. `org.baaaht.tool`). Scoped by worker id, not the global managed label, because other
 * suites' containers may legitimately be running in parallel.
 */
export function leftoverContainers(workerIdPrefix: string, labels: Readonly<Record<string, string>> = {}): string[] {
  const filters = Object.entries(labels).flatMap(([k, v]) => ['--filter', `label=${k}=${v}`]);
  const out = execFileSync(
    'docker',
    [
      'ps',
      '-a',
      '--filter',
      'label=org.baaaht.managed',
      ...filters,
      '--format',
      '{{.ID}} {{.Label "org.baaaht.worker-id"}}',
    ],
    {
      encoding: 'utf8',
    },
  );
  return out
    .split('\n')
    .filter(Boolean)
    .filter((line) => (line.split(' ')[1] ?? '').startsWith(workerIdPrefix));
}

/** Polls `predicate` every 50 ms until it holds; throws after `timeoutMs`. */
export async function waitUntil(predicate: () => boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
