import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';

/**
 * The environment variable holding this test run's id. The jest global setup sets it when it is missing
 * (`jest/run-scope.js`); `scripts/run-tests.mjs` and `.ci/run` set it once for all their jest runs.
 */
export const TEST_RUN_ENV = 'BAAAHT_TEST_RUN_ID';

const RUN_ID = /^[a-z0-9]{6,32}$/;

/** A fresh run id: `r` and 8 hex digits, unlikely to occur in any other worker's name. */
export function newTestRunId(): string {
  return `r${randomBytes(4).toString('hex')}`;
}

/**
 * This test run's id (`BAAAHT_TEST_RUN_ID`). Without one (a test file run outside jest's global setup),
 * a process-wide id is made up and exported, so spawned children share it.
 */
export function testRunId(env: NodeJS.ProcessEnv = process.env): string {
  const id = env[TEST_RUN_ENV];
  if (id !== undefined && id !== '') {
    if (!RUN_ID.test(id))
      throw new TypeError(`${TEST_RUN_ENV} must be 6-32 lowercase letters and digits (got '${id}')`);
    return id;
  }
  const made = newTestRunId();
  env[TEST_RUN_ENV] = made;
  return made;
}

/**
 * A worker name (the `org.baaaht.worker-id` label of its containers) for a test: `<name>-<run id>-<pid>`.
 * Every worker a test starts carries the run id, so leak checks count only this run's containers and
 * never another worker's on the same engine.
 */
export function runScopedName(name: string, env: NodeJS.ProcessEnv = process.env): string {
  return `${name}-${testRunId(env)}-${process.pid}`;
}

/** One executor-managed container on the engine. */
export interface ManagedContainer {
  id: string;
  workerId: string;
  state: string;
}

/** Every executor-managed container on the engine (`dockerHost`: a `unix://` or `tcp://` address; @default DOCKER_HOST). */
export function managedContainers(dockerHost?: string): ManagedContainer[] {
  const out = execFileSync(
    'docker',
    [
      ...(dockerHost === undefined ? [] : ['--host', dockerHost]),
      'ps',
      '-a',
      '--filter',
      'label=org.baaaht.managed',
      '--format',
      '{{.ID}}\t{{.Label "org.baaaht.worker-id"}}\t{{.State}}',
    ],
    { encoding: 'utf8' },
  );
  return out
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [id = '', workerId = '', state = ''] = line.split('\t');
      return { id, workerId, state };
    });
}

/** The managed containers of this test run's workers (their worker id carries the run id), as `id worker-id state`. */
export function runContainers(runId: string = testRunId(), dockerHost?: string): string[] {
  return managedContainers(dockerHost)
    .filter((c) => c.workerId.includes(runId))
    .map((c) => `${c.id} ${c.workerId} ${c.state}`);
}
