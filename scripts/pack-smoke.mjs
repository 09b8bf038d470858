// Packs every publishable package with `pnpm pack` and loads each packed
// artefact from a clean directory outside the workspace: proves the published
// package (exports map, files, dependencies) works, not just the workspace.
// Also checks that each tarball ships what it references and nothing of the
// build's own: no .tsbuildinfo, no source map without its sources, no README
// link to a file outside the package, no install script of our own, and that
// the packages load with every dependency install script skipped (so the native
// builds in dockerode's tree, ssh2 and cpu-features, are never needed).
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
const problems = [];
for (const p of pkgs) {
  const before = new Set(fs.readdirSync(out));
  execFileSync('pnpm', ['pack', '--pack-destination', out], { cwd: p.dir, stdio: 'pipe' });
  const tgz = fs.readdirSync(out).find((f) => !before.has(f));
  tarballs[p.json.name] = path.join(out, tgz);
  problems.push(...checkTarball(p.json.name, path.join(out, tgz)).map((m) => `${p.json.name}: ${m}`));
}

/** What a tarball must not contain or reference. Returns the problems found. */
function checkTarball(name, tgz) {
  const dir = fs.mkdtempSync(path.join(out, 'unpacked-'));
  execFileSync('tar', ['-xzf', tgz, '-C', dir]);
  const root = path.join(dir, 'package');
  const files = walk(root).map((f) => path.relative(root, f));
  const has = new Set(files);
  const found = [];
  for (const f of files) {
    if (f.endsWith('.tsbuildinfo')) found.push(`ships build state ${f}`);
    if (f.endsWith('.map')) {
      const map = JSON.parse(fs.readFileSync(path.join(root, f), 'utf8'));
      for (const src of map.sources ?? []) {
        const target = path.normalize(path.join(path.dirname(f), map.sourceRoot ?? '', src));
        if (!has.has(target)) found.push(`${f} points at ${src}, which is not in the package`);
      }
    }
    if (f.endsWith('.js') || f.endsWith('.d.ts')) {
      const m = /\/\/# sourceMappingURL=(\S+)\s*$/.exec(fs.readFileSync(path.join(root, f), 'utf8'));
      if (m && !m[1].startsWith('data:') && !has.has(path.normalize(path.join(path.dirname(f), m[1]))))
        found.push(`${f} names a source map ${m[1]} that is not in the package`);
    }
  }
  const json = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
  for (const hook of ['preinstall', 'install', 'postinstall', 'prepare'])
    if (json.scripts?.[hook]) found.push(`declares a ${hook} script`);
  for (const readme of files.filter((f) => /^readme\.md$/i.test(path.basename(f)))) {
    const text = fs.readFileSync(path.join(root, readme), 'utf8');
    for (const [, link] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      if (/^[a-z][a-z0-9+.-]*:/i.test(link) || link.startsWith('#')) continue;
      const target = path.normalize(path.join(path.dirname(readme), link.split('#')[0]));
      if (!has.has(target) && !files.some((f) => f.startsWith(`${target}/`)))
        found.push(`${readme} links to ${link}, which is not in the package`);
    }
  }
  fs.rmSync(dir, { recursive: true, force: true });
  return found;
}

function walk(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    return e.isDirectory() ? walk(full) : [full];
  });
}

/** Packages in the consumer's tree that declare an install-time script (which --ignore-scripts skipped). */
function installScripts(nodeModules) {
  const found = [];
  const visit = (dir) => {
    if (!fs.existsSync(dir)) return;
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      if (!e.isDirectory() || e.name.startsWith('.')) continue;
      const full = path.join(dir, e.name);
      if (e.name.startsWith('@')) {
        visit(full);
        continue;
      }
      const pj = path.join(full, 'package.json');
      if (fs.existsSync(pj)) {
        const j = JSON.parse(fs.readFileSync(pj, 'utf8'));
        if (['preinstall', 'install', 'postinstall'].some((h) => j.scripts?.[h])) found.push(j.name);
      }
      visit(path.join(full, 'node_modules'));
    }
  };
  visit(nodeModules);
  return [...new Set(found)].sort();
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

// Dependency install scripts were skipped above; everything below loads without them. Only these
// may declare one: better-sqlite3 (the hub's store, which does need its binding and builds or
// downloads it at install time) and dockerode's ssh2 tree, used only for ssh:// DOCKER_HOST.
const EXPECTED_INSTALL_SCRIPTS = new Set(['better-sqlite3', 'cpu-features', 'ssh2', 'protobufjs']);
const scripted = installScripts(path.join(app, 'node_modules'));
for (const name of scripted)
  if (!EXPECTED_INSTALL_SCRIPTS.has(name)) problems.push(`dependency ${name} has an install script nobody reviewed`);
console.log(`pack smoke: install scripts skipped in the consumer tree: ${scripted.join(', ') || 'none'}`);

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
/** Runs `script` in the consumer; counts a failure, or prints `ok`. */
function consumerCheck(script, ok, failure) {
  try {
    execFileSync(process.execPath, ['-e', script], { cwd: app, stdio: 'inherit' });
    console.log(`pack smoke: ${ok}`);
  } catch {
    failed++;
    console.error(`pack smoke: ${failure}`);
  }
}
// The executor ships the in-sandbox agent it built (an x86_64-linux static binary): the packed package must
// resolve it from dist/, and it must run (it greets with a READY frame and exits 0 when its stdin closes).
if (fs.existsSync(path.join(pkgsDir, 'executor', 'native', 'build', 'baaaht-sandbox-agent'))) {
  consumerCheck(
    `const { execFileSync } = require('node:child_process');
const out = execFileSync(require('@baaaht/executor').sandboxAgentPath(), { input: '' });
if (out.readUInt8(4) !== 0x81) throw new Error('no READY frame');`,
    '@baaaht/executor ships a working sandbox agent',
    '@baaaht/executor: the packed sandbox agent is missing or does not run',
  );
}
// The policy package validates with its precompiled schema (ajv's standalone code): a bad policy reports
// every problem, and neither ajv (a devDependency) nor yaml (loaded for YAML text only) is loaded for it.
consumerCheck(
  `const { PolicyEnforcer } = require('@baaaht/policy');
let issues = [];
try { new PolicyEnforcer({ mode: 'lenient', quotas: { max_pids: 0 } }); } catch (err) { issues = err.issues ?? []; }
if (issues.length !== 2) throw new Error('expected 2 issues, got ' + JSON.stringify(issues));
const loaded = Object.keys(require.cache).filter((f) => /node_modules\\/(ajv|yaml)\\//.test(f));
if (loaded.length) throw new Error('loaded ' + loaded.join(', '));`,
  '@baaaht/policy validates a policy without loading ajv or yaml',
  '@baaaht/policy: policy validation failed from the packed package',
);
fs.rmSync(out, { recursive: true, force: true });
for (const p of problems) console.error(`pack smoke: ${p}`);
if (failed || problems.length) process.exit(1);
console.log(`pack smoke: ${Object.keys(tarballs).length} packages load from their tarballs`);
