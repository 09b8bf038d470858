import fs from 'node:fs';
import path from 'node:path';
import { ExecutorError } from './errors';

/** File name of the in-sandbox agent, built by `pnpm build` into the package's `native/build/`. */
export const SANDBOX_AGENT_BINARY = 'baaaht-sandbox-agent';

/**
 * Absolute path of the built in-sandbox agent (a static x86_64-linux binary, mounted read-only into session
 * containers). Throws `SANDBOX_AGENT_MISSING`, naming the build command, when it was not built.
 */
export function sandboxAgentPath(): string {
  // src/ (tests) and dist/ (the built package) are both siblings of native/.
  const file = path.resolve(__dirname, '..', 'native', 'build', SANDBOX_AGENT_BINARY);
  try {
    fs.accessSync(file, fs.constants.X_OK);
  } catch (err) {
    throw new ExecutorError(
      'SANDBOX_AGENT_MISSING',
      `the in-sandbox agent is not built (${file}): run \`pnpm build\`, which needs gcc and a static C library (apt-get install -y gcc libc6-dev)`,
      { cause: err },
    );
  }
  return file;
}
