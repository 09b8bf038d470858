import fs from 'node:fs';
import path from 'node:path';

/** The package version, read once from package.json beside `src/` or `dist/`. */
export function workerVersion(): string {
  try {
    const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8')) as { version?: string };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}
