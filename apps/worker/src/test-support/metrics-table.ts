/** The metrics table of the README's Operations section (`| \`name\` | type | labels | meaning |`), by name. */
import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from './cli-process';

export interface DocumentedMetric {
  type: string;
  labels: string[];
}

export function documentedMetrics(
  readme = fs.readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8'),
): Map<string, DocumentedMetric> {
  const out = new Map<string, DocumentedMetric>();
  for (const line of readme.split('\n')) {
    const m = /^\| `(baaaht_[a-z_]+)` +\| (counter|gauge|histogram) +\| ([^|]*)\|/.exec(line);
    if (m === null) continue;
    const labels = [...(m[3] ?? '').matchAll(/`([a-z_]+)`/g)].map((l) => l[1] as string);
    out.set(m[1] as string, { type: m[2] as string, labels });
  }
  return out;
}
