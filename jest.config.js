// One jest configuration for the whole monorepo, with four projects:
//  - unit:        colocated `*.test.ts`, no Docker, no network; fast.
//  - integration: `*.integration.test.ts`, real Docker engine and real sockets.
//  - fault:       `tests/fault/*.fault.test.ts`, kills and restarts (hub, worker, a private dockerd) and load; serial.
//  - fleet:       `tests/fleet/*.fleet.test.ts`, several hosts made of network namespaces; serial.
// Every project's global setup/teardown scopes the run (packages/test-utils/jest/run-scope.js): a run id
// in test workers' names for leak checks, and a TMPDIR of the run's own, removed at the end.
// Run from a package directory (`pnpm --filter @baaaht/x test`) it only looks at that package.
const path = require('node:path');

const repo = __dirname;
const cwd = process.cwd();
const inPackage = cwd !== repo && cwd.startsWith(repo + path.sep);
const fs = require('node:fs');
const roots = inPackage
  ? [cwd]
  : // bench/ only for its helpers' unit tests (bench/test/*.test.ts); the suite itself is `pnpm bench`.
    ['packages', 'apps', 'tests', 'bench']
      .filter((d) => fs.existsSync(path.join(repo, d)))
      .map((d) => `<rootDir>/${d}`);

const swc = [
  '@swc/jest',
  {
    jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
    module: { type: 'commonjs' },
    sourceMaps: 'inline',
  },
];

// Tests import sibling packages from source, so a test run never needs a stale build.
const packages = ['proto', 'tool-specs', 'executor', 'policy', 'agent', 'hub', 'test-utils'];
const moduleNameMapper = Object.fromEntries(
  packages.map((p) => [`^@baaaht/${p}$`, `<rootDir>/packages/${p}/src/index.ts`]),
);

const common = {
  rootDir: repo,
  roots,
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': swc },
  moduleNameMapper,
  modulePathIgnorePatterns: ['<rootDir>/.*/dist/', '<rootDir>/.pack-smoke/'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
};

module.exports = {
  projects: [
    {
      ...common,
      displayName: 'unit',
      // tests/*/support: the pure helpers of the repository-level suites (the fleet's address logic).
      testMatch: ['**/src/**/*.test.ts', '**/test/**/*.test.ts', '<rootDir>/tests/*/support/**/*.test.ts'],
      testPathIgnorePatterns: [...common.testPathIgnorePatterns, '\\.integration\\.test\\.ts$'],
      globalSetup: '<rootDir>/packages/test-utils/jest/global-setup.js',
      globalTeardown: '<rootDir>/packages/test-utils/jest/global-teardown.js',
    },
    {
      ...common,
      displayName: 'integration',
      testPathIgnorePatterns: [...common.testPathIgnorePatterns, '\\.fault\\.test\\.ts$'],
      testMatch: ['**/*.integration.test.ts'],
      globalSetup: '<rootDir>/packages/test-utils/jest/integration-global-setup.js',
      globalTeardown: '<rootDir>/packages/test-utils/jest/global-teardown.js',
      setupFilesAfterEnv: ['<rootDir>/packages/test-utils/jest/long-timeout.js'],
      slowTestThreshold: 30,
    },
    {
      // Faults and load: hub/worker kills, a restart of a private Docker engine the test starts, 2,000 tasks.
      // Run serially and after the other projects (scripts/run-tests.mjs).
      ...common,
      displayName: 'fault',
      testMatch: ['<rootDir>/tests/fault/**/*.fault.test.ts'],
      globalSetup: '<rootDir>/packages/test-utils/jest/integration-global-setup.js',
      globalTeardown: '<rootDir>/packages/test-utils/jest/global-teardown.js',
      setupFilesAfterEnv: ['<rootDir>/packages/test-utils/jest/long-timeout.js'],
    },
    {
      // Several hosts on this machine: network namespaces of the suite's own (tests/fleet/README.md), a hub
      // and workers over mutual TLS, partitions and restarts. Root and iproute2 required; serial, after the
      // fault project (scripts/run-tests.mjs).
      ...common,
      displayName: 'fleet',
      testMatch: ['<rootDir>/tests/fleet/**/*.fleet.test.ts'],
      globalSetup: '<rootDir>/packages/test-utils/jest/integration-global-setup.js',
      globalTeardown: '<rootDir>/packages/test-utils/jest/global-teardown.js',
      setupFilesAfterEnv: ['<rootDir>/packages/test-utils/jest/long-timeout.js'],
    },
  ],
};
