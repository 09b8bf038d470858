// Integration and fault tests drive real containers and processes: give each
// test two minutes by default (a test can still set its own). jest only takes
// `testTimeout` globally, not per project, hence this setup file.
jest.setTimeout(Number(process.env.BAAAHT_TEST_TIMEOUT_MS || 120000));
