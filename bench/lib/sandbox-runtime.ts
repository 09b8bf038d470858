import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * Anthropic's sandbox-runtime (`@anthropic-ai/sandbox-runtime`, a bench-only dev dependency) in library
 * mode: `SandboxManager.initialize(config)` once, then per command `wrapWithSandbox(command)` (a bubblewrap
 * command line) run through a shell, and `cleanupAfterCommand()`. On Linux it needs bubblewrap, socat and
 * ripgrep (`apt-get install -y bubblewrap socat ripgrep`).
 */
export interface SandboxRuntimePeer {
  /** Wraps `command`, runs it in `cwd` and returns its stdout; throws unless it exited 0. */
  run(command: string): Promise<{ stdout: string; wrapMs: number }>;
  /** Runs `command` wrapped and returns its exit code, stdout and stderr, whatever they are. */
  probe(command: string): Promise<{ code: number | null; stdout: string; stderr: string }>;
  version: string;
  close(): Promise<void>;
}

/** What the peer's 1 KB read runs with: no network (an empty allowlist blocks all), no write anywhere. */
export const PEER_CONFIG = {
  network: { allowedDomains: [] as string[], deniedDomains: [] as string[] },
  filesystem: { denyRead: [] as string[], allowWrite: [] as string[], denyWrite: [] as string[] },
};

interface SandboxManagerApi {
  initialize(config: typeof PEER_CONFIG): Promise<void>;
  checkDependencies(): { errors: string[]; warnings: string[] };
  isSupportedPlatform(): boolean;
  wrapWithSandbox(command: string): Promise<string>;
  cleanupAfterCommand?(): void;
  reset(): Promise<void>;
}

/** Loads and initializes the peer with its working directory `cwd`; throws, saying why, when it cannot run here. */
export async function startSandboxRuntime(cwd: string): Promise<SandboxRuntimePeer> {
  // An ES module: loaded with a real dynamic import, never through require.
  const load = new Function('s', 'return import(s)') as (s: string) => Promise<{ SandboxManager: SandboxManagerApi }>;
  const pkgDir = path.dirname(require.resolve('@anthropic-ai/sandbox-runtime/package.json'));
  const { version } = JSON.parse(fs.readFileSync(path.join(pkgDir, 'package.json'), 'utf8')) as { version: string };
  const { SandboxManager } = await load(path.join(pkgDir, 'dist', 'index.js'));
  if (!SandboxManager.isSupportedPlatform()) throw new Error(`sandbox-runtime: platform ${os.platform()} unsupported`);
  const deps = SandboxManager.checkDependencies();
  if (deps.errors.length > 0) throw new Error(`sandbox-runtime: missing dependencies: ${deps.errors.join('; ')}`);
  // It resolves `.` and scans for files it always protects from the process's working directory.
  const previous = process.cwd();
  process.chdir(cwd);
  await SandboxManager.initialize(PEER_CONFIG);
  const exec = async (command: string) => {
    const t0 = process.hrtime.bigint();
    const wrapped = await SandboxManager.wrapWithSandbox(command);
    const wrapMs = Number(process.hrtime.bigint() - t0) / 1e6;
    try {
      return { ...(await shell(wrapped, cwd)), wrapMs };
    } finally {
      SandboxManager.cleanupAfterCommand?.();
    }
  };
  return {
    version,
    async run(command) {
      const r = await exec(command);
      if (r.code !== 0) throw new Error(`sandbox-runtime: ${command}: exit ${r.code}: ${r.stderr.slice(0, 300)}`);
      return { stdout: r.stdout, wrapMs: r.wrapMs };
    },
    probe: (command) => exec(command),
    async close() {
      await SandboxManager.reset();
      process.chdir(previous);
    },
  };
}

/** `spawn(command, { shell: true })`, as the library's README runs a wrapped command. */
function shell(command: string, cwd: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, { shell: true, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
