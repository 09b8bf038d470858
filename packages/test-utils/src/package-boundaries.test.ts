// The package-boundary lint rule (eslint.config.mjs) on fixture imports at virtual paths inside each
// package: every forbidden import is an error of `no-restricted-imports`, every allowed one is clean.
// ESLint loads its flat config with a dynamic import(), which jest's VM refuses without
// --experimental-vm-modules, so the linting runs in a plain node child.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const REPO = join(__dirname, '..', '..', '..');

interface Case {
  /** Where the fixture pretends to live, relative to the repository. */
  file: string;
  code: string;
}

interface LintMessage {
  ruleId: string | null;
  message: string;
}

const RUNNER = `
import { ESLint } from 'eslint';
import { join } from 'node:path';
let input = '';
for await (const chunk of process.stdin) input += chunk;
const repo = process.cwd();
const eslint = new ESLint({
  cwd: repo,
  overrideConfigFile: join(repo, 'eslint.config.mjs'),
  // Fixtures are not files of the TypeScript program: no type information, so only this rule runs.
  overrideConfig: { languageOptions: { parserOptions: { project: null, projectService: false } } },
  ruleFilter: ({ ruleId }) => ruleId === 'no-restricted-imports',
});
const out = [];
for (const c of JSON.parse(input)) {
  const [result] = await eslint.lintText(c.code, { filePath: join(repo, c.file) });
  out.push(result.messages.map((m) => ({ ruleId: m.ruleId, message: m.message })));
}
process.stdout.write(JSON.stringify(out));
`;

function lint(cases: Case[]): LintMessage[][] {
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', RUNNER], {
    cwd: REPO,
    input: JSON.stringify(cases),
    encoding: 'utf8',
    env: { ...process.env, NODE_OPTIONS: '' },
    timeout: 120_000,
  });
  if (run.status !== 0) throw new Error(`eslint runner failed (${run.status}): ${run.stderr}`);
  return JSON.parse(run.stdout) as LintMessage[][];
}

const importOf = (spec: string): string => `import { a } from '${spec}';\nexport const b = a;\n`;

/** [file, import specifier, a piece of the expected message]. */
const FORBIDDEN: [string, string, string][] = [
  // The README's dependency rules.
  ['packages/hub/src/fixture.ts', '@baaaht/executor', 'hub must not depend on @baaaht/executor'],
  ['packages/hub/src/test-support/fixture.ts', '@baaaht/executor', 'hub must not depend on @baaaht/executor'],
  ['packages/hub/src/fixture.test.ts', '@baaaht/executor', 'hub must not depend on @baaaht/executor'],
  ['packages/hub/src/fixture.ts', '@baaaht/agent', 'hub must not depend on @baaaht/agent'],
  ['packages/hub/src/test-support/fixture.ts', '@baaaht/policy', 'hub must not depend on @baaaht/policy'],
  ['packages/executor/src/fixture.ts', '@baaaht/proto', 'executor must not depend on @baaaht/proto'],
  ['packages/executor/src/fixture.ts', '@baaaht/agent', 'executor must not depend on @baaaht/agent'],
  ['packages/executor/src/fixture.test.ts', '@baaaht/agent', 'executor must not depend on @baaaht/agent'],
  ['packages/executor/src/fixture.ts', '@baaaht/hub', 'executor must not depend on @baaaht/hub'],
  ['packages/agent/src/fixture.ts', '@baaaht/executor', 'agent must not depend on @baaaht/executor'],
  ['packages/agent/src/fixture.test.ts', '@baaaht/executor', 'agent must not depend on @baaaht/executor'],
  ['packages/agent/src/fixture.ts', '@baaaht/hub', 'agent must not depend on @baaaht/hub'],
  ['packages/tool-specs/src/fixture.ts', '@baaaht/policy', 'tool-specs must not depend on @baaaht/policy'],
  ['packages/tool-specs/test/fixture.test.ts', '@baaaht/proto', 'tool-specs must not depend on @baaaht/proto'],
  ['packages/policy/src/fixture.ts', '@baaaht/tool-specs', 'policy must not depend on @baaaht/tool-specs'],
  ['packages/proto/src/fixture.ts', '@baaaht/agent', 'proto must not depend on @baaaht/agent'],
  ['packages/hub/src/fixture.ts', '@baaaht/worker', 'hub must not depend on @baaaht/worker'],
  // Test helpers are for tests only.
  ['packages/executor/src/fixture.ts', '@baaaht/test-utils', 'executor must not depend on @baaaht/test-utils'],
  // Deep imports through a package specifier, anywhere.
  ['packages/hub/src/fixture.ts', '@baaaht/proto/src/index', 'through its public entry'],
  ['packages/hub/src/fixture.test.ts', '@baaaht/agent/dist/index.js', 'through its public entry'],
  ['apps/worker/src/fixture.ts', '@baaaht/executor/src/executor', 'through its public entry'],
  ['tests/fault/fixture.fault.test.ts', '@baaaht/hub/src/hub-core', 'through its public entry'],
  ['bench/fixture.ts', '@baaaht/executor/dist', 'through its public entry'],
  // Relative paths from one package into another's directory.
  ['packages/hub/src/fixture.ts', '../../executor/src/x', "into another package's directory"],
  ['packages/hub/src/test-support/fixture.ts', '../../../agent/src/index', "into another package's directory"],
  ['packages/test-utils/src/fixture.ts', '../../hub/src/hub-core', "into another package's directory"],
  ['packages/agent/src/fixture.ts', '../../proto/dist/index.js', "into another package's directory"],
  ['packages/hub/src/fixture.ts', '../../proto', "into another package's directory"],
  ['apps/worker/src/fixture.ts', '../../../packages/executor/src/executor', "into another package's directory"],
  ['packages/executor/src/fixture.ts', '../../../apps/worker/src/logger', "into another package's directory"],
];

/** [file, import specifier]. */
const ALLOWED: [string, string][] = [
  ['packages/hub/src/fixture.ts', '@baaaht/proto'],
  ['packages/hub/src/fixture.ts', './hub-core'],
  ['packages/hub/src/fixture.ts', '../package.json'],
  ['packages/hub/src/fixture.integration.test.ts', '@baaaht/agent'],
  ['packages/hub/src/fixture.test.ts', '@baaaht/test-utils'],
  ['packages/hub/src/test-support/fixture.ts', '../index'],
  ['packages/executor/src/fixture.ts', '@baaaht/tool-specs'],
  ['packages/executor/src/fixture.ts', '@baaaht/policy'],
  // A file of the package named like a package is not another package.
  ['packages/executor/src/test-support/fixture.ts', '../executor'],
  ['packages/executor/src/test-support/fixture.ts', '@baaaht/test-utils'],
  ['packages/agent/src/fixture.ts', '@baaaht/proto'],
  ['packages/policy/src/fixture.test.ts', '@baaaht/test-utils'],
  ['packages/test-utils/src/fixture.ts', '@baaaht/agent'],
  ['apps/worker/src/fixture.ts', '@baaaht/executor'],
  ['apps/worker/src/fixture.ts', '@baaaht/hub'],
  ['apps/worker/src/commands/fixture.ts', '../logger'],
  ['tests/fault/support/fixture.ts', '@baaaht/test-utils'],
  // Repository-level suites are no package and may reach into sources.
  ['tests/fault/support/fixture.ts', '../../../packages/executor/src/labels'],
];

describe('package boundaries (eslint.config.mjs)', () => {
  let forbidden: LintMessage[][];
  let allowed: LintMessage[][];
  beforeAll(() => {
    const results = lint([...FORBIDDEN, ...ALLOWED].map(([file, spec]) => ({ file, code: importOf(spec) })));
    forbidden = results.slice(0, FORBIDDEN.length);
    allowed = results.slice(FORBIDDEN.length);
  }, 120_000);

  test.each(FORBIDDEN.map((c, i) => [...c, i] as const))('%s: %s is an error', (_file, _spec, expected, i) => {
    const messages = forbidden[i] ?? [];
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatchObject({ ruleId: 'no-restricted-imports' });
    expect(messages[0]?.message).toContain(expected);
  });

  test.each(ALLOWED.map((c, i) => [...c, i] as const))('%s: %s is allowed', (_file, _spec, i) => {
    expect(allowed[i]).toEqual([]);
  });

  test('type-only imports and re-exports are held to the same rules', () => {
    const [typeImport, reExport, typeReExport] = lint([
      { file: 'packages/hub/src/fixture.ts', code: "import type { Executor } from '@baaaht/executor';\n" },
      { file: 'packages/agent/src/fixture.ts', code: "export { createExecutor } from '@baaaht/executor';\n" },
      { file: 'packages/executor/src/fixture.ts', code: "export type { Task } from '@baaaht/proto';\n" },
    ]);
    expect(typeImport?.map((m) => m.message)).toEqual([expect.stringContaining('hub must not depend')]);
    expect(reExport?.map((m) => m.message)).toEqual([expect.stringContaining('agent must not depend')]);
    expect(typeReExport?.map((m) => m.message)).toEqual([expect.stringContaining('executor must not depend')]);
  });
});
