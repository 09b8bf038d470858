// Packs every publishable package with `pnpm pack` and loads each packed
// artefact from a clean directory outside the workspace: proves the published
// package (exports map, files, dependencies) works, not just the workspace.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const repo = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const pkgsDir = path.join(repo, 'packages');
const out = fs.mkdtempSync(path.join(os.tmpdir(), 'baaaht-pack-'));
const pkgs = fs
  .readdirSync(pkgsDir)
  .map((d) => ({
    dir: path.join(pkgsDir, d),
    json: JSON.parse(fs.readFileSync(path.join(pkgsDir, d, 'package.json'), 'utf8')),
  }))
  .filter((p) => !p.json.private);

const tarballs = {};
for (const p of pkgs) {
  const before = new Set(fs.readdirSync(out));
  execFileSync('pnpm', ['pack', '--pack-destination', out], { cwd: p.dir, stdio: 'pipe' });
  const tgz = fs.readdirSync(out).find((f) => !before.has(f));
  tarballs[p.json.name] = path.join(out, tgz);
}

const app = path.join(out, 'consumer');
fs.mkdirSync(app);
// Internal deps resolve to the packed tarballs too, never to the workspace.
const deps = Object.fromEntries(Object.entries(tarballs).map(([n, t]) => [n, `file:${t}`]));
fs.writeFileSync(
  path.join(app, 'package.json'),
  JSON.stringify({ name: 'consumer', private: true, dependencies: deps, overrides: deps }, null, 2),
);
execFileSync('npm', ['install', '--no-audit', '--no-fund', '--ignore-scripts', '--loglevel=error'], {
  cwd: app,
  stdio: 'inherit',
});

let failed = 0;
for (const name of Object.keys(tarballs)) {
  const script = `const m = require(${JSON.stringify(name)}); const keys = Object.keys(m); if (!keys.length) throw new Error('no exports'); console.log(${JSON.stringify(name)} + ': ' + keys.length + ' exports');`;
  try {
    execFileSync(process.execPath, ['-e', script], { cwd: app, stdio: 'inherit' });
    const esm = `import(${JSON.stringify(name)}).then((m) => { if (!Object.keys(m).length) process.exit(1); })`;
    execFileSync(process.execPath, ['-e', esm], { cwd: app, stdio: 'inherit' });
  } catch {
    failed++;
    console.error(`pack smoke: ${name} failed to load from its packed tarball`);
  }
}
fs.rmSync(out, { recursive: true, force: true });
if (failed) process.exit(1);
console.log(`pack smoke: ${Object.keys(tarballs).length} packages load from their tarballs`);
