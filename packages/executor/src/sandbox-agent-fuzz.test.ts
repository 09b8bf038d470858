import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildFuzzHarness } from './test-support/sandbox-agent-binary';

// The in-sandbox agent's frame parser (native/sandbox-agent/frame.c) is the only C code that reads bytes from
// outside the sandbox. native/sandbox-agent/fuzz.c drives it with 200,000 deterministic random, mutated and
// re-chunked inputs under AddressSanitizer and UndefinedBehaviorSanitizer (abort on the first finding).
describe('sandbox agent frame parser fuzzing', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'baaaht-fuzz-'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('survives 200,000 cases under ASan and UBSan', () => {
    const harness = path.join(dir, 'fuzz');
    try {
      buildFuzzHarness(harness);
    } catch (err) {
      const stderr = String((err as { stderr?: unknown }).stderr ?? '');
      throw new Error(`cannot build the fuzz harness (needs gcc: apt-get install -y gcc libc6-dev):\n${stderr}`);
    }
    const run = spawnSync(harness, ['200000', '0x9e3779b97f4a7c15'], { encoding: 'utf8', timeout: 150_000 });
    if (run.status !== 0) throw new Error(`fuzz harness failed (status ${run.status}, ${run.signal}):\n${run.stderr}`);
    expect(run.stdout).toMatch(/^fuzz: 200000 cases, \d+ frames split, \d+ RUN decoded, \d+ RUN rejected/);
  });
});
