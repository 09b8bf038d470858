import { TEST_RUN_ENV, runScopedName, testRunId } from './test-run';

describe('testRunId', () => {
  it('reads BAAAHT_TEST_RUN_ID', () => {
    expect(testRunId({ [TEST_RUN_ENV]: 'ci1234abcd' })).toBe('ci1234abcd');
  });

  it('makes one up and exports it when missing, so children share it', () => {
    const env: NodeJS.ProcessEnv = {};
    const id = testRunId(env);
    expect(id).toMatch(/^r[0-9a-f]{8}$/);
    expect(env[TEST_RUN_ENV]).toBe(id);
    expect(testRunId(env)).toBe(id);
  });

  it('refuses an id that could match other names', () => {
    expect(() => testRunId({ [TEST_RUN_ENV]: 'a' })).toThrow(/BAAAHT_TEST_RUN_ID must be 6-32 lowercase/);
    expect(() => testRunId({ [TEST_RUN_ENV]: 'Run 1;x' })).toThrow(TypeError);
  });
});

describe('runScopedName', () => {
  it('carries the run id and the pid', () => {
    expect(runScopedName('fault-load-a', { [TEST_RUN_ENV]: 'r00ff00ff' })).toBe(
      `fault-load-a-r00ff00ff-${process.pid}`,
    );
  });
});
