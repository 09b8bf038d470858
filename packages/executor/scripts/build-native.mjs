// Builds the in-sandbox agent (native/sandbox-agent/*.c, see its PROTOCOL.md) into a static binary,
// native/build/baaaht-sandbox-agent, after `tsc` in the package's build. The binary is for the host's
// architecture (x86_64-linux here and in CI) and runs inside containers of that architecture.
//
// Without gcc or a static C library it prints one warning naming what to install and succeeds (sessions are
// then unavailable); with BAAAHT_REQUIRE_SANDBOX_AGENT=1 (CI) that is an error. A compile error in the agent
// itself always fails the build.
//
//   node scripts/build-native.mjs                 build the agent (skipped when it is newer than its sources)
//   node scripts/build-native.mjs --fuzz <out>    build the frame-parser fuzz harness with ASan and UBSan
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const pkg = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const src = path.join(pkg, 'native', 'sandbox-agent');
const out = path.join(pkg, 'native', 'build', 'baaaht-sandbox-agent');
const INSTALL = 'apt-get install -y gcc libc6-dev';

/** Warnings as errors, fortify, stack protector; the hardening that also works in a static binary. */
const CFLAGS = [
  '-std=c11',
  '-Wall',
  '-Wextra',
  '-Werror',
  '-D_FORTIFY_SOURCE=2',
  '-fstack-protector-strong',
  '-fstack-clash-protection',
  '-fcf-protection',
];
const LDFLAGS = ['-Wl,-z,relro,-z,now,-z,noexecstack'];
/** A static PIE keeps ASLR for the agent; plain -static when the toolchain has no static-pie start files. */
const STATIC_MODES = [
  ['-static-pie', '-fPIE'],
  ['-static', '-fno-PIE', '-no-pie'],
];

function gcc(args) {
  return spawnSync('gcc', args, { encoding: 'utf8' });
}

/** Compiles a trivial program with `mode`: true when gcc and the static C library are usable. */
function probe(mode, dir) {
  const c = path.join(dir, 'probe.c');
  fs.writeFileSync(c, '#include <stdio.h>\nint main(void) { return puts("") < 0; }\n');
  return gcc([...mode, '-o', path.join(dir, 'probe'), c]).status === 0;
}

function unavailable(why) {
  const message = `@baaaht/executor: ${why}, so the in-sandbox agent (native/build/baaaht-sandbox-agent) was not built and sessions are unavailable; install it with: ${INSTALL}`;
  if (process.env.BAAAHT_REQUIRE_SANDBOX_AGENT === '1') {
    console.error(`error: ${message} (BAAAHT_REQUIRE_SANDBOX_AGENT=1)`);
    process.exit(1);
  }
  console.warn(`warning: ${message}`);
  process.exit(0);
}

function compile(args, target) {
  fs.mkdirSync(path.dirname(target), { recursive: true });
  const tmp = `${target}.${process.pid}.tmp`;
  const r = gcc([...args, '-o', tmp]);
  if (r.status !== 0) {
    fs.rmSync(tmp, { force: true });
    console.error(`error: @baaaht/executor: gcc failed building ${path.basename(target)}:\n${r.stderr}`);
    process.exit(1);
  }
  fs.renameSync(tmp, target); // atomic: a test running the old binary never sees half a file
}

const sources = (names) => names.map((n) => path.join(src, n));

if (process.argv[2] === '--fuzz') {
  const target = process.argv[3];
  if (!target) throw new TypeError('--fuzz needs an output path');
  if (gcc(['--version']).error) {
    console.error(`error: gcc not found; the frame-parser fuzz test needs it: ${INSTALL}`);
    process.exit(1);
  }
  const sanitize = ['-O1', '-g', '-fsanitize=address,undefined', '-fno-sanitize-recover=all'];
  compile([...CFLAGS.filter((f) => !f.startsWith('-D_FORTIFY')), ...sanitize, ...sources(['fuzz.c', 'frame.c'])], target);
  process.exit(0);
}

if (process.platform !== 'linux') unavailable(`the agent is a Linux binary and this is ${process.platform}`);
if (gcc(['--version']).error) unavailable('gcc was not found');

const inputs = [...sources(['main.c', 'frame.c', 'frame.h']), new URL(import.meta.url).pathname];
const built = fs.existsSync(out) ? fs.statSync(out).mtimeMs : 0;
if (built > 0 && inputs.every((f) => fs.statSync(f).mtimeMs <= built)) process.exit(0);

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'baaaht-agent-probe-'));
const mode = STATIC_MODES.find((m) => probe(m, dir));
fs.rmSync(dir, { recursive: true, force: true });
if (mode === undefined) unavailable('gcc cannot link a static binary (no static C library, libc.a)');

compile([...mode, '-Os', '-s', ...CFLAGS, ...LDFLAGS, ...sources(['main.c', 'frame.c'])], out);
console.log(`@baaaht/executor: built ${path.relative(pkg, out)} (${mode[0]}, ${fs.statSync(out).size} bytes)`);
