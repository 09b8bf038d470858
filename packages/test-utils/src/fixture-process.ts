import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { basename, join } from 'node:path';
import { createInterface } from 'node:readline';

const REPO = join(__dirname, '..', '..', '..');

/** A fixture running under tsx in its own process, with its JSON stdout lines collected. */
export interface FixtureProcess {
  child: ChildProcess;
  lines: Record<string, unknown>[];
  /** Resolves with the first line (already seen or future) matching `pred`. */
  waitFor(pred: (line: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/**
 * Runs the TypeScript file `file` (an absolute path) under tsx from the repository root, with the root
 * tsconfig, so `@baaaht/*` imports resolve to the packages' sources (no build needed).
 */
export function spawnFixture(file: string, args: string[]): FixtureProcess {
  // node directly (not `pnpm exec`), so SIGKILL hits the process that holds the sockets.
  const child = spawn(process.execPath, ['--import', 'tsx', file, ...args], {
    cwd: REPO,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NODE_OPTIONS: '', TSX_TSCONFIG_PATH: join(REPO, 'tsconfig.json') },
  });
  const lines: Record<string, unknown>[] = [];
  const listeners = new Set<() => void>();
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
    try {
      lines.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      return;
    }
    for (const l of [...listeners]) l();
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    child,
    lines,
    waitFor(pred, timeoutMs = 20000) {
      return new Promise((resolve, reject) => {
        const check = (): boolean => {
          const hit = lines.find(pred);
          if (!hit) return false;
          cleanup();
          resolve(hit);
          return true;
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(
            new Error(
              `fixture ${basename(file)}: no matching line within ${timeoutMs} ms; stderr: ${stderr.slice(-2000)}`,
            ),
          );
        }, timeoutMs);
        const onExit = (): void => {
          cleanup();
          reject(new Error(`fixture ${basename(file)} exited; stderr: ${stderr.slice(-2000)}`));
        };
        const cleanup = (): void => {
          clearTimeout(timer);
          listeners.delete(check);
          child.off('exit', onExit);
        };
        listeners.add(check);
        child.once('exit', onExit);
        check();
      });
    },
    async kill(signal = 'SIGKILL') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}
