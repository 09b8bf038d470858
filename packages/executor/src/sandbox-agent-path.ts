import fs from 'node:fs';
import path from 'node:path';
import { ExecutorError } from './errors';

/** File name of the in-sandbox agent, built by `pnpm build` into the package's `native/build/`. */
export const SANDBOX_AGENT_BINARY = 'baaaht-sandbox-agent';

/**
 * Processes the agent itself holds in a pooled or session container while it runs a call (it forks the
 * call and stays its parent): added to the container's pids limit so the tool gets its whole limit, as in
 * a fresh container.
 */
export const SANDBOX_AGENT_PROCESSES = 1;

const BUILD_HINT = 'run `pnpm build`, which needs gcc and a static C library (apt-get install -y gcc libc6-dev)';

/**
 * Absolute path of the built in-sandbox agent (a static x86_64-linux binary, mounted read-only into session
 * containers, where uid 65534 runs it). Throws `SANDBOX_AGENT_MISSING`, naming the build command, when it
 * was not built. `pnpm pack` ships every file but `bin` entries as mode 0644, so when the binary lost its
 * executable bits this restores them (0755) once, or says how to.
 */
export function sandboxAgentPath(): string {
  // src/ (tests) and dist/ (the built package) are both siblings of native/.
  return usableAgent(path.resolve(__dirname, '..', 'native', 'build', SANDBOX_AGENT_BINARY));
}

/** `file` when it is a regular file executable by everyone (made so when it can be); else `SANDBOX_AGENT_MISSING`. */
export function usableAgent(file: string): string {
  let mode: number;
  try {
    const st = fs.statSync(file);
    if (!st.isFile()) throw new Error('not a regular file');
    mode = st.mode & 0o7777;
  } catch (err) {
    throw new ExecutorError('SANDBOX_AGENT_MISSING', `the in-sandbox agent is not built (${file}): ${BUILD_HINT}`, {
      cause: err,
    });
  }
  if ((mode & 0o555) !== 0o555) {
    try {
      fs.chmodSync(file, mode | 0o555);
    } catch (err) {
      const octal = mode.toString(8);
      throw new ExecutorError(
        'SANDBOX_AGENT_MISSING',
        `the in-sandbox agent ${file} is not executable by everyone (mode ${octal}) and cannot be fixed: chmod 755 it`,
        { cause: err },
      );
    }
  }
  return file;
}
