// The executor with the real @baaaht/policy enforcer on the real engine: a
// denied mount (directly, through `..`, and through a symlink planted inside an
// allowed directory) is refused with status `denied` before any container
// exists, and every decision lands in the audit log as a JSON line.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createExecutor } from '@baaaht/executor';
import type { Executor } from '@baaaht/executor';
import { createPolicyEnforcer, parsePolicy } from '@baaaht/policy';
import { containersWithLabel, offlineToolImages, runScopedName } from '@baaaht/test-utils';

const workerId = runScopedName('it-policy-executor');
let dir: string;
let allowed: string;
let secretDir: string;
let auditFile: string;
let executor: Executor;

beforeAll(async () => {
  dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'baaaht-policy-exec-')));
  allowed = path.join(dir, 'projects');
  secretDir = path.join(dir, 'secrets');
  fs.mkdirSync(allowed);
  fs.mkdirSync(secretDir);
  fs.writeFileSync(path.join(allowed, 'ok.txt'), 'fine\n');
  fs.writeFileSync(path.join(secretDir, 'key'), 'TOP-SECRET\n');
  fs.symlinkSync(secretDir, path.join(allowed, 'escape'));
  fs.chmodSync(dir, 0o755);
  auditFile = path.join(dir, 'audit.jsonl');
  const policy = parsePolicy(
    [
      'mode: strict',
      'mounts:',
      '  allow_bind_mounts: true',
      '  mount_allowlist:',
      `    - { path: ${JSON.stringify(allowed + '/*')}, mode: readonly }`,
      `    - { path: ${JSON.stringify(allowed)}, mode: readonly }`,
      `    - { path: ${JSON.stringify(secretDir)}, mode: denied }`,
    ].join('\n'),
    { format: 'yaml', source: 'test-policy.yaml' },
  );
  executor = await createExecutor({
    workerId,
    policy: createPolicyEnforcer(policy, { auditLog: auditFile }),
    sessionId: 'sess-audit',
    imageOverrides: offlineToolImages(),
    pullPolicy: 'never',
    reapIntervalMs: 0,
  });
});

afterAll(async () => {
  await executor.close();
  expect(containersWithLabel(`org.baaaht.worker-id=${workerId}`)).toEqual([]);
  fs.rmSync(dir, { recursive: true, force: true });
});

function auditLines(): Array<Record<string, unknown>> {
  return fs
    .readFileSync(auditFile, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

it('runs a task whose mount the allowlist admits, and audits the allow', async () => {
  const r = await executor.executeTask({ tool: 'file_read', params: { path: 'ok.txt' }, mountSource: allowed });
  expect(r.status).toBe('completed');
  expect(r.stdout).toBe('fine\n');
  expect(auditLines().find((l) => l.task === r.taskId)).toMatchObject({
    kind: 'container',
    session: 'sess-audit',
    tool: 'file_read',
    outcome: 'allowed',
  });
});

it.each([
  ['the denied directory itself', () => secretDir],
  ['a `..` path that leaves the allowed directory', () => `${allowed}/../secrets`],
  ['a symlink inside the allowed directory that points outside', () => path.join(allowed, 'escape')],
])('refuses %s: status denied, no container, an audit line', async (_name, source) => {
  const r = await executor.executeTask({ tool: 'file_read', params: { path: 'key' }, mountSource: source() });
  expect(r.status).toBe('denied');
  expect(r.error?.code).toBe('POLICY_DENIED');
  expect(r.containerId).toBeNull();
  expect(r.stdout).not.toContain('TOP-SECRET');
  expect(containersWithLabel(`org.baaaht.task-id=${r.taskId}`)).toEqual([]);
  const line = auditLines().find((l) => l.task === r.taskId);
  expect(line).toMatchObject({ kind: 'container', session: 'sess-audit', tool: 'file_read', outcome: 'denied' });
  expect(typeof line?.rule).toBe('string');
  expect(typeof line?.time).toBe('string');
});
