/**
 * Restarting the local Docker daemon the way an operator would: find the
 * running dockerd, remember its argv and environment, SIGTERM it, wait for it
 * to exit, start it again with the same argv (detached, output to a log file),
 * and wait until `docker info` answers.
 */
import { execFile, execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

export interface DockerdProcess {
  pid: number;
  argv: string[];
  env: NodeJS.ProcessEnv;
  cwd: string;
}

function readNulList(file: string): string[] {
  return fs.readFileSync(file, 'utf8').split('\0').filter(Boolean);
}

export function findDockerd(): DockerdProcess {
  const pids = execFileSync('pidof', ['dockerd'], { encoding: 'utf8' }).trim().split(/\s+/).filter(Boolean);
  if (pids.length !== 1) throw new Error(`expected one dockerd, found pids [${pids.join(', ')}]`);
  const pid = Number(pids[0]);
  const env: NodeJS.ProcessEnv = {};
  for (const kv of readNulList(`/proc/${pid}/environ`)) {
    const at = kv.indexOf('=');
    if (at > 0) env[kv.slice(0, at)] = kv.slice(at + 1);
  }
  return { pid, argv: readNulList(`/proc/${pid}/cmdline`), env, cwd: fs.readlinkSync(`/proc/${pid}/cwd`) };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export async function dockerAnswers(): Promise<boolean> {
  try {
    await execFileAsync('docker', ['info', '--format', '{{.ServerVersion}}'], { timeout: 5_000 });
    return true;
  } catch {
    return false;
  }
}

async function until(what: string, check: () => boolean | Promise<boolean>, limitMs: number): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${limitMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** SIGTERM and wait for the exit (dockerd stops its containers first: up to their stop timeout). */
export async function stopDockerd(d: DockerdProcess, limitMs = 60_000): Promise<void> {
  process.kill(d.pid, 'SIGTERM');
  await until(`dockerd ${d.pid} to exit`, () => !alive(d.pid), limitMs);
}

/** Starts dockerd with the remembered argv, detached from the test process; resolves once `docker info` answers. */
export async function startDockerd(d: DockerdProcess, logFile: string, limitMs = 60_000): Promise<number> {
  const [cmd, ...args] = d.argv;
  if (!cmd) throw new Error('dockerd argv is empty');
  const fd = fs.openSync(logFile, 'a');
  try {
    const child = spawn(cmd, args, { env: d.env, cwd: d.cwd, detached: true, stdio: ['ignore', fd, fd] });
    child.unref();
    if (child.pid === undefined) throw new Error('could not spawn dockerd');
    await until('docker info to answer', dockerAnswers, limitMs);
    return child.pid;
  } finally {
    fs.closeSync(fd);
  }
}

/** Makes sure a daemon is up again (test teardown): starts one if none is running. */
export async function ensureDockerd(d: DockerdProcess, logFile: string): Promise<void> {
  if (await dockerAnswers()) return;
  let running = false;
  try {
    running = execFileSync('pidof', ['dockerd'], { encoding: 'utf8' }).trim() !== '';
  } catch {
    running = false;
  }
  if (running) await until('docker info to answer', dockerAnswers, 60_000);
  else await startDockerd(d, logFile);
}
