// ESLint flat config: typescript-eslint with type information for the rules
// that catch real bugs in async infrastructure code (floating promises,
// misused promises), consistent type imports, no import cycles, and package boundaries.
import js from '@eslint/js';
import importX from 'eslint-plugin-import-x';
import tseslint from 'typescript-eslint';

// Package boundaries (README, Development): a package imports a sibling only through its public entry
// (`@baaaht/x`, never `@baaaht/x/src/...`, `@baaaht/x/dist/...` or a relative path into its directory), and
// only the siblings it may depend on. Tests of a package may also use the shared test helpers.
const PACKAGES = ['proto', 'tool-specs', 'policy', 'executor', 'agent', 'hub', 'test-utils', 'worker'];
const MAY_IMPORT = {
  proto: [],
  'tool-specs': [],
  policy: [],
  executor: ['tool-specs', 'policy'],
  agent: ['proto'],
  hub: ['proto'],
  // The fake task handler and the worker fixture drive a real Agent.
  'test-utils': ['agent'],
};
const TESTS_MAY_IMPORT = {
  // The hub's protocol tests run a real Agent against it.
  hub: ['agent', 'test-utils'],
};
const TEST_FILES = ['**/*.test.ts', '**/src/test-support/**/*.ts', '**/test/**/*.ts'];
const DEEP_IMPORT = {
  group: ['@baaaht/*/src', '@baaaht/*/src/**', '@baaaht/*/dist', '@baaaht/*/dist/**'],
  message: 'import a sibling package through its public entry (`@baaaht/<name>`), not its src/ or dist/.',
};
/** A relative path that climbs out of `pkg` into another package's directory (`../../executor/src/x`). */
function relativeInto(pkg) {
  const others = PACKAGES.filter((p) => p !== pkg).join('|');
  return {
    regex: `^(\\.\\./)+((packages|apps)/)?(${others})/(src|dist|test|package\\.json)(/|$)|^(\\.\\./){2,}((packages|apps)/)?(${others})/?$`,
    message: "a relative path into another package's directory; import `@baaaht/<name>` instead.",
  };
}

/**
 * `no-restricted-imports` for code of package `pkg` that may import the siblings in `allowed` (all of
 * them when undefined). Flat config replaces a rule's options rather than merging them, so each entry
 * carries the whole set.
 */
function boundaries(pkg, allowed) {
  const forbidden = allowed === undefined ? [] : PACKAGES.filter((p) => p !== pkg && !allowed.includes(p));
  return [
    'error',
    {
      paths: forbidden.map((p) => ({
        name: `@baaaht/${p}`,
        message:
          `${pkg} must not depend on @baaaht/${p}: dependencies point one way ` +
          `(README, Development; ${pkg} may import ${allowed.length ? allowed.join(', ') : 'no sibling'}).`,
      })),
      patterns: [DEEP_IMPORT, relativeInto(pkg)],
    },
  ];
}

const boundaryConfigs = [
  // Repository-level tests, benchmarks and scripts are no package: they may reach into sources, but not
  // through another package's specifier.
  { files: ['**/*.ts'], rules: { 'no-restricted-imports': ['error', { patterns: [DEEP_IMPORT] }] } },
  { files: ['apps/worker/**/*.ts'], rules: { 'no-restricted-imports': boundaries('worker', undefined) } },
  ...Object.entries(MAY_IMPORT).flatMap(([pkg, allowed]) => [
    { files: [`packages/${pkg}/**/*.ts`], rules: { 'no-restricted-imports': boundaries(pkg, allowed) } },
    {
      files: TEST_FILES.map((glob) => `packages/${pkg}/${glob}`),
      rules: {
        'no-restricted-imports': boundaries(pkg, [
          ...new Set([...allowed, ...(TESTS_MAY_IMPORT[pkg] ?? ['test-utils'])]),
        ]),
      },
    },
  ]),
];

export default tseslint.config(
  {
    ignores: [
      '**/dist/**',
      '**/node_modules/**',
      'packages/proto/src/gen/**',
      'packages/policy/src/gen/**',
      '**/*.js',
      '**/*.mjs',
      'bench/results/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: { project: './tsconfig.eslint.json', tsconfigRootDir: import.meta.dirname },
    },
    plugins: { 'import-x': importX },
    settings: { 'import-x/resolver': { typescript: true, node: true } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'separate-type-imports' }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'off',
      'import-x/no-cycle': 'error',
      'no-console': 'error',
    },
  },
  {
    // CLIs, benchmarks, scripts and tests may print.
    files: [
      'apps/**/*.ts',
      'bench/**/*.ts',
      'scripts/**/*.ts',
      '**/*.test.ts',
      '**/test/**/*.ts',
      '**/fixtures/**/*.ts',
    ],
    rules: { 'no-console': 'off' },
  },
  ...boundaryConfigs,
);
