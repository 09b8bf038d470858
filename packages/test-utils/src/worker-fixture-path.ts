import { extname, join } from 'node:path';

/**
 * A worker (an `Agent` with the `FakeHandler`) in its own process, for `spawnFixture(workerFixturePath,
 * [address, name])`: prints `{"event":"ready"}` and one `{"event":"run"}` line per task, so a test can
 * SIGKILL it mid-task. Next to this file, in the same language (`.ts` in sources, `.js` once built).
 */
export const workerFixturePath = join(__dirname, `worker-fixture${extname(__filename)}`);
