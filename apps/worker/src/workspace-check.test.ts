import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { noWorkspaceWarning } from './workspace-check';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'baaaht-wscheck-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function policy(name: string, yaml: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, yaml);
  return file;
}

describe('noWorkspaceWarning', () => {
  it('warns without --workspace-root under the default policy, and names the flag', () => {
    expect(noWorkspaceWarning({ policy: undefined, workspaceRoots: [] }, {})).toMatch(
      /^no workspace root: .*--workspace-root DIR/,
    );
    expect(noWorkspaceWarning({ policy: undefined, workspaceRoots: [dir] }, {})).toBeUndefined();
  });

  it('warns for a policy that allows no bind mount, not for one whose allowlist does (a tool section only narrows)', () => {
    const none = policy('none.yaml', 'id: none\nmode: strict\n');
    expect(noWorkspaceWarning({ policy: none, workspaceRoots: [] }, {})).toMatch(/allows no bind mount/);
    const deniedOnly = policy(
      'denied.yaml',
      `mounts:\n  allow_bind_mounts: true\n  mount_allowlist:\n    - { path: ${JSON.stringify(dir)}, mode: denied }\n`,
    );
    expect(noWorkspaceWarning({ policy: deniedOnly, workspaceRoots: [] }, {})).toMatch(/allows no bind mount/);
    const allowed = policy(
      'allowed.yaml',
      `mounts:\n  allow_bind_mounts: true\n  mount_allowlist:\n    - { path: ${JSON.stringify(dir)}, mode: readonly }\n`,
    );
    expect(noWorkspaceWarning({ policy: allowed, workspaceRoots: [] }, {})).toBeUndefined();
    const perTool = policy(
      'tool.yaml',
      `tools:\n  grep:\n    mounts:\n      allow_bind_mounts: true\n      mount_allowlist:\n        - { path: ${JSON.stringify(dir)}, mode: readonly }\n`,
    );
    expect(noWorkspaceWarning({ policy: perTool, workspaceRoots: [] }, {})).toMatch(/allows no bind mount/);
  });

  it('leaves a policy that does not load to the policy check', () => {
    expect(noWorkspaceWarning({ policy: path.join(dir, 'absent.yaml'), workspaceRoots: [] }, {})).toBeUndefined();
  });
});
