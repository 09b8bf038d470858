// ESLint flat config: typescript-eslint with type information for the rules
// that catch real bugs in async infrastructure code (floating promises,
// misused promises), consistent type imports, and no import cycles.
import js from '@eslint/js';
import importX from 'eslint-plugin-import-x';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      '**/dist/**',
      '**/node_modules/**',
      'packages/proto/src/gen/**',
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
);
