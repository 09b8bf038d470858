/** A policy that enables `exec` (refused by default) and lets tools mount `workspace` read-write. */
export function execPolicyYaml(workspace: string): string {
  return [
    'mode: strict',
    'mounts:',
    '  allow_bind_mounts: true',
    '  mount_allowlist:',
    `    - { path: ${JSON.stringify(workspace)}, mode: readwrite }`,
    'tools:',
    '  exec: { enabled: true }',
    '',
  ].join('\n');
}
