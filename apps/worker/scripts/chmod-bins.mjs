// tsc keeps the shebang but not the executable bit; the bins must be runnable directly.
import fs from 'node:fs';
import path from 'node:path';

const dist = path.join(path.dirname(new URL(import.meta.url).pathname), '..', 'dist');
for (const bin of ['cli.js', 'orchestrator-cli.js']) {
  const file = path.join(dist, bin);
  if (fs.existsSync(file)) fs.chmodSync(file, 0o755);
}
