import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PolicyDeniedError, PolicyError, PolicyFileNotFoundError, PolicyValidationError } from './errors';
import { checkPolicyFile, loadPolicyFile, parsePolicy } from './load-policy';
import { policyJsonSchema } from './schema';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'policy-load-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function issuesOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(PolicyValidationError);
    return (err as PolicyValidationError).issues.map((i) => `${i.path}: ${i.message}`);
  }
  throw new Error('expected a PolicyValidationError');
}

describe('parsePolicy', () => {
  it('names the path and what was expected, for every problem', () => {
    const text = [
      'mode: lenient',
      'quotas:',
      '  max_pids: -3',
      '  max_cpu: 1',
      'mounts:',
      '  mount_allowlist:',
      '    - { path: /a, mode: readonly }',
      '    - { path: relative, mode: readwrite }',
      '    - { path: /c, mode: rw }',
      '    - { mode: readonly }',
    ].join('\n');
    const issues = issuesOf(() => parsePolicy(text, { source: 'p.yaml', env: {} }));
    expect(issues).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^mode: expected one of strict, permissive, disabled/),
        'quotas.max_pids: must be >= 1',
        expect.stringMatching(/^quotas\.max_cpu: unknown key/),
        expect.stringMatching(/^mounts\.mount_allowlist\[1\]\.path: must match/),
        expect.stringMatching(
          /^mounts\.mount_allowlist\[2\]\.mode: expected one of readonly, readwrite, denied, got "rw"/,
        ),
        'mounts.mount_allowlist[3].path: is required',
      ]),
    );
    expect(issues).toHaveLength(6);
  });

  it('puts the source in the error message', () => {
    expect(() => parsePolicy('mode: 3', { source: '/etc/baaaht/p.yaml', env: {} })).toThrow(
      /\/etc\/baaaht\/p\.yaml[\s\S]*mode: expected string/,
    );
  });

  it('runs semantic checks: CIDRs, min <= max, user xor group', () => {
    const text = `
quotas: { min_cpus: 5, max_cpus: 2 }
network: { allowed_networks: [10.0.0.0/33] }
mounts: { mount_allowlist: [{ path: /x, user: a, group: b, mode: readonly }] }
`;
    expect(issuesOf(() => parsePolicy(text, { env: {} }))).toEqual([
      'quotas.min_cpus: must not exceed max_cpus (5 > 2)',
      'mounts.mount_allowlist[0]: set user or group, not both',
      'network.allowed_networks[0]: expected a CIDR like 10.0.0.0/8, got "10.0.0.0/33"',
    ]);
  });

  it('refuses privileged even if the file asks for it', () => {
    expect(issuesOf(() => parsePolicy('security: { allow_privileged: true }', { env: {} }))[0]).toMatch(
      /^security\.allow_privileged: must be false/,
    );
  });

  it('expands ${VAR} and ${VAR:-default} in values, typing whole-value numbers and booleans', () => {
    const p = parsePolicy(
      'quotas: { max_pids: "${PIDS:-512}" }\nnetwork: { allow_private: "${PRIV}" }\nmounts: { allowed_bind_sources: ["${ROOT}/data", "${NOPE:-/srv}/x"] }',
      { env: { PRIV: 'false', ROOT: '/home/u' } },
    );
    expect(p.quotas?.max_pids).toBe(512);
    expect(p.network?.allow_private).toBe(false);
    expect(p.mounts?.allowed_bind_sources).toEqual(['/home/u/data', '/srv/x']);
  });

  it('reports an unset variable without a default', () => {
    expect(issuesOf(() => parsePolicy('mounts: { allowed_bind_sources: ["${MISSING}"] }', { env: {} }))[0]).toMatch(
      /^mounts\.allowed_bind_sources\[0\]: environment variable MISSING is not set/,
    );
  });

  it('parses JSON and reports JSON syntax errors', () => {
    expect(parsePolicy('{"mode":"permissive"}', { format: 'json', env: {} }).mode).toBe('permissive');
    expect(() => parsePolicy('{"mode":', { format: 'json', env: {} })).toThrow(/invalid JSON/);
  });

  it('rejects YAML syntax errors and duplicate keys', () => {
    expect(() => parsePolicy('mode: strict\nmode: permissive', { env: {} })).toThrow(PolicyValidationError);
    expect(() => parsePolicy('quotas: [', { env: {} })).toThrow(/invalid YAML/);
  });

  it('treats an empty document as an empty policy', () => {
    expect(parsePolicy('', { env: {} })).toEqual({});
  });
});

describe('loadPolicyFile / checkPolicyFile', () => {
  it('a missing file is an error, never the default', () => {
    expect(() => loadPolicyFile(join(dir, 'nope.yaml'))).toThrow(PolicyFileNotFoundError);
    expect(checkPolicyFile(join(dir, 'nope.yaml'))).toEqual([
      `${join(dir, 'nope.yaml')}: policy file not found: ${join(dir, 'nope.yaml')}`,
    ]);
  });

  it('picks JSON by extension', () => {
    const file = join(dir, 'p.json');
    writeFileSync(file, JSON.stringify({ mode: 'disabled', quotas: { max_pids: 10 } }));
    expect(loadPolicyFile(file, { env: {} })).toEqual({ mode: 'disabled', quotas: { max_pids: 10 } });
  });

  it('checkPolicyFile returns every problem as `path: message`', () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'mode: nope\nimages: { require_digest: yes please }\n');
    expect(checkPolicyFile(file, { env: {} })).toEqual([
      'mode: expected one of strict, permissive, disabled, got "nope"',
      'images.require_digest: expected boolean, got string',
    ]);
  });
  it('checkPolicyFile reports a structural error, a bad CIDR and a bad port in one run', () => {
    const file = join(dir, 'many.yaml');
    writeFileSync(
      file,
      'mode: sometimes\nnetwork:\n  allowed_networks: [10.0.0.0/8, 300.1.2.3/8]\n  allowed_ports: [80, 0, 65536]\n',
    );
    expect(checkPolicyFile(file, { env: {} })).toEqual([
      'mode: expected one of strict, permissive, disabled, got "sometimes"',
      'network.allowed_ports[1]: must be an integer from 1 to 65535',
      'network.allowed_ports[2]: must be an integer from 1 to 65535',
      'network.allowed_networks[1]: expected a CIDR like 10.0.0.0/8, got "300.1.2.3/8"',
    ]);
  });
});

describe('policyJsonSchema', () => {
  it('is a closed draft 2020-12 object schema', () => {
    expect(policyJsonSchema.$schema).toContain('2020-12');
    expect(policyJsonSchema.additionalProperties).toBe(false);
    expect(Object.keys(policyJsonSchema.properties ?? {})).toEqual(
      expect.arrayContaining(['mode', 'quotas', 'mounts', 'network', 'images', 'security', 'tools']),
    );
    // Serialisable as-is, for editors.
    expect(JSON.parse(JSON.stringify(policyJsonSchema))).toEqual(policyJsonSchema);
  });
});

describe('errors', () => {
  it('an unreadable path is POLICY_FILE_UNREADABLE', () => {
    expect(() => loadPolicyFile(dir)).toThrow(expect.objectContaining({ code: 'POLICY_FILE_UNREADABLE', file: dir }));
  });

  it('PolicyError.fromUnknown keeps policy errors and wraps the rest', () => {
    const denied = new PolicyDeniedError([{ rule: 'r', message: 'm', severity: 'error', hard: true }], {
      tool: 'grep',
    });
    expect(PolicyError.fromUnknown(denied)).toBe(denied);
    expect(denied.message).toBe('policy denied grep: r: m');
    const wrapped = PolicyError.fromUnknown(new RangeError('boom'));
    expect(wrapped).toMatchObject({ code: 'POLICY_INTERNAL', message: 'boom', name: 'PolicyError' });
    expect(wrapped.cause).toBeInstanceOf(RangeError);
  });
});
