import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import path from 'node:path';
import { SandboxAgentClient } from '../sandbox-agent-client';
import { sandboxAgentPath } from '../sandbox-agent-path';

const PACKAGE = path.resolve(__dirname, '..', '..');
const SCRIPT = path.join(PACKAGE, 'scripts', 'build-native.mjs');

/** Builds the agent if its sources changed (failing loudly without gcc) and returns its path. */
export function builtSandboxAgent(): string {
  execFileSync(process.execPath, [SCRIPT], {
    env: { ...process.env, BAAAHT_REQUIRE_SANDBOX_AGENT: '1' },
    stdio: 'pipe',
  });
  return sandboxAgentPath();
}

/** Builds the frame-parser fuzz harness (ASan + UBSan) at `out`. */
export function buildFuzzHarness(out: string): void {
  execFileSync(process.execPath, [SCRIPT, '--fuzz', out], { stdio: 'pipe' });
}

/** The agent running on the host as a child process, with a client on its pipes. */
export interface HostAgent {
  child: ChildProcessWithoutNullStreams;
  client: SandboxAgentClient;
  /** Resolves with the agent's exit code (or signal name) once it exited. */
  exited: Promise<number | string>;
}

export function spawnHostAgent(binary: string, args: string[] = []): HostAgent {
  const child = spawn(binary, args, { stdio: 'pipe' });
  const exited = new Promise<number | string>((resolve) =>
    child.once('exit', (code, signal) => resolve(code ?? signal ?? -1)),
  );
  const client = new SandboxAgentClient({ input: child.stdout, output: child.stdin });
  return { child, client, exited };
}
