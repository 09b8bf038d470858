import { execFileSync } from 'node:child_process';

/** Ids of all containers (running or not) carrying `label` (`key` or `key=value`). */
export function containersWithLabel(label: string): string[] {
  const out = execFileSync('docker', ['ps', '-aq', '--filter', `label=${label}`], { encoding: 'utf8' });
  return out.split('\n').filter(Boolean);
}

/** Force-removes containers carrying `label`; returns how many there were. For test teardown only. */
export function removeContainersWithLabel(label: string): number {
  const ids = containersWithLabel(label);
  if (ids.length) execFileSync('docker', ['rm', '-f', ...ids], { stdio: 'pipe' });
  return ids.length;
}
