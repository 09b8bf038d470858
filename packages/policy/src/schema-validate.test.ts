import Ajv2020 from 'ajv/dist/2020';
import fc from 'fast-check';
import { formatIssue } from './errors';
import { policyIssues } from './load-policy';
import { policyJsonSchema, type PolicySchemaNode } from './schema';
import { POLICY_AJV_OPTIONS, compilePolicySchema, validatePolicySchema } from './schema-validate';

const lines = (policy: unknown): string[] => policyIssues(policy).map(formatIssue);

describe('compilePolicySchema (ajv, strict)', () => {
  it('compiles the published schema', () => {
    expect(() => compilePolicySchema(policyJsonSchema)).not.toThrow();
    expect(validatePolicySchema({})).toEqual([]);
  });

  it('the published schema is valid against the draft 2020-12 meta-schema', () => {
    const ajv = new Ajv2020({ ...POLICY_AJV_OPTIONS, validateSchema: true });
    expect(ajv.validateSchema(policyJsonSchema)).toBe(true);
    expect(ajv.errors ?? null).toBeNull();
    const wrong = { type: 'integer', minimum: '1' } as unknown as PolicySchemaNode;
    expect(ajv.validateSchema(wrong)).toBe(false);
  });

  it('a keyword ajv does not know in our schema is an error, not silently ignored', () => {
    const typo = { type: 'string', minLenght: 1 } as unknown as PolicySchemaNode;
    expect(() => compilePolicySchema(typo)).toThrow(/unknown keyword: "minLenght"/);
  });

  it('publishes the port range, so editors see it too', () => {
    expect(policyJsonSchema.properties?.network?.properties?.allowed_ports?.items).toMatchObject({
      type: 'integer',
      minimum: 1,
      maximum: 65535,
    });
  });
});

describe('policyIssues: every problem in one run', () => {
  it('reports a structural error, a bad CIDR and a bad port together', () => {
    expect(
      lines({
        mode: 'lenient',
        network: { allowed_networks: ['10.0.0.0/8', '10.0.0.0/33'], allowed_ports: [443, 70000] },
      }),
    ).toEqual([
      'mode: expected one of strict, permissive, disabled, got "lenient"',
      'network.allowed_ports[1]: must be an integer from 1 to 65535',
      'network.allowed_networks[1]: expected a CIDR like 10.0.0.0/8, got "10.0.0.0/33"',
    ]);
  });

  it('reports semantic problems next to unknown keys and wrong types, in tool overrides too', () => {
    expect(
      lines({
        quotas: { min_cpus: 5, max_cpus: 2, max_cpu: 1 },
        mounts: { allowed_bind_sources: ['relative/dir'], allow_volumes: 'yes' },
        tools: { curl: { network: { denied_networks: ['nope'], allowed_ports: [0] } } },
      }),
    ).toEqual([
      expect.stringMatching(/^quotas\.max_cpu: unknown key \(expected one of: max_cpus, /),
      'mounts.allow_volumes: expected boolean, got string',
      'tools.curl.network.allowed_ports[0]: must be an integer from 1 to 65535',
      'quotas.min_cpus: must not exceed max_cpus (5 > 2)',
      'mounts.allowed_bind_sources[0]: must be an absolute path, got "relative/dir"',
      'tools.curl.network.denied_networks[0]: expected a CIDR like 10.0.0.0/8, got "nope"',
    ]);
  });

  it('gives a value of the wrong type one issue, not also the enum or const it cannot meet', () => {
    expect(lines({ mode: 3, security: { allow_privileged: 'no' } })).toEqual([
      'mode: expected string, got integer',
      'security.allow_privileged: expected boolean, got string',
    ]);
  });

  it('keeps the messages of the other keywords', () => {
    expect(
      lines({
        security: { allow_privileged: true },
        quotas: { max_pids: 0 },
        mounts: { allowed_volumes: [''], mount_allowlist: [{ path: '/x' }] },
        labels: { team: 7 },
      }),
    ).toEqual([
      'labels.team: expected string, got integer',
      'quotas.max_pids: must be >= 1',
      'mounts.allowed_volumes[0]: must not be empty',
      'mounts.mount_allowlist[0].mode: is required',
      'security.allow_privileged: must be false (Privileged containers are never allowed.)',
    ]);
  });

  it('does not report a value the schema already rejected a second time', () => {
    expect(lines({ mounts: { protected_paths: [''] } })).toEqual([
      expect.stringMatching(/^mounts\.protected_paths\[0\]: must match /),
    ]);
  });

  it('the semantic checks accept documents of any shape (they never throw)', () => {
    expect(lines({ network: { allowed_networks: '10.0.0.0/8' }, tools: 3 })).toEqual([
      'network.allowed_networks: expected array, got string',
      'tools: expected object, got integer',
    ]);
    fc.assert(
      fc.property(fc.jsonValue(), (doc) => {
        expect(() => policyIssues(doc)).not.toThrow();
        expect(() =>
          policyIssues({ quotas: doc, mounts: doc, network: doc, tools: { t: { network: doc } } }),
        ).not.toThrow();
      }),
      { seed: 14, numRuns: 300 },
    );
  });

  it('treats an undefined field of a policy built in code as "not set"', () => {
    expect(lines({ mode: undefined, network: { allowed_ports: undefined } })).toEqual([]);
  });
});
