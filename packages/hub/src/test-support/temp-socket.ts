import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A private temp directory with a socket path inside; `cleanup()` removes it. */
export function tempSocketDir(prefix = 'baaaht-hub-'): { dir: string; address: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return {
    dir,
    address: `unix://${join(dir, 'hub.sock')}`,
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** Polls a condition on a short interval; test-only (the code under test never polls). */
export async function eventually(check: () => boolean, timeoutMs = 10000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
