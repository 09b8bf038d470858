import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { GENERATED_VALIDATOR_PATH, policyValidatorSource } from '../scripts/generate-schema-validator';
import { policyJsonSchema } from './schema';
import { compilePolicySchema, validatePolicySchema } from './schema-validate';

describe('the precompiled policy validator (src/gen/policy-schema-validator.ts)', () => {
  it('is exactly what the generator produces from src/schema.ts and the locked ajv', () => {
    const committed = fs.readFileSync(GENERATED_VALIDATOR_PATH, 'utf8');
    // On failure: pnpm --filter @baaaht/policy generate:validator, and commit the module.
    expect(committed === policyValidatorSource()).toBe(true);
  });

  it('needs nothing from ajv at run time', () => {
    expect(policyValidatorSource()).not.toMatch(/require\(|from ['"]ajv/);
  });

  it('reports exactly what ajv compiling the schema at run time reports, on any document', () => {
    const compiled = compilePolicySchema(policyJsonSchema);
    const section = fc.dictionary(
      fc.constantFrom('max_pids', 'mode', 'path', 'allowed_ports', 'x', ''),
      fc.jsonValue(),
    );
    const doc = fc.oneof(
      fc.jsonValue(),
      fc.record(
        {
          mode: fc.jsonValue(),
          quotas: section,
          mounts: section,
          network: section,
          tools: fc.dictionary(fc.string(), section),
        },
        { requiredKeys: [] },
      ),
    );
    fc.assert(
      fc.property(doc, (d) => {
        expect(validatePolicySchema(d)).toEqual(compiled(d));
      }),
      { seed: 15, numRuns: 500 },
    );
  });

  it('loading a policy does not load ajv', () => {
    // A fresh process (jest's module registry is not node's): parse a bad policy, list what was required.
    const script = [
      "const { policyIssues } = require('./src/load-policy');",
      "const issues = policyIssues({ mode: 'lenient', quotas: { max_pids: 0 } });",
      'if (issues.length !== 2) throw new Error(JSON.stringify(issues));',
      "process.stdout.write(JSON.stringify(Object.keys(require.cache).filter((f) => f.includes('/node_modules/ajv/'))));",
    ].join('\n');
    const out = execFileSync(process.execPath, ['--import', 'tsx', '-e', script], {
      cwd: path.join(__dirname, '..'),
      encoding: 'utf8',
    });
    expect(JSON.parse(out)).toEqual([]);
  });
});
