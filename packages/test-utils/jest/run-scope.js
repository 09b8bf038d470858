// One test run, one scope: every jest project's global setup calls `enter()`, its global teardown
// `leave()`.
//  - BAAAHT_TEST_RUN_ID: the run id test workers carry in their names (test-utils `runScopedName()`),
//    so leak checks count only this run's containers. Kept when given (scripts/run-tests.mjs, .ci/run).
//  - TMPDIR: a directory of this run's own under the OS temp dir. Everything the tests and the CLIs they
//    spawn create with os.tmpdir() (workspaces, HOMEs, sockets, egress socket dirs, a killed worker's
//    leftovers) lands there, and `leave()` removes it, so a test run leaves nothing in /tmp.
// Test workers inherit the environment, which is why this runs in the global setup, before any worker.
const { randomBytes } = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const RUN = 'BAAAHT_TEST_RUN_ID';
const DIR = 'BAAAHT_TEST_TMPDIR';
const OWNER = 'BAAAHT_TEST_TMPDIR_OWNER';
const PREVIOUS = 'BAAAHT_TEST_TMPDIR_PREVIOUS';

function enter() {
  if (!process.env[RUN]) process.env[RUN] = `r${randomBytes(4).toString('hex')}`;
  if (process.env[OWNER] === String(process.pid)) return; // another project of this jest run
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `baaaht-test-${process.env[RUN]}-`));
  process.env[PREVIOUS] = process.env.TMPDIR ?? '';
  process.env[DIR] = dir;
  process.env[OWNER] = String(process.pid);
  process.env.TMPDIR = dir;
}

function leave() {
  if (process.env[OWNER] !== String(process.pid)) return;
  const dir = process.env[DIR];
  const previous = process.env[PREVIOUS];
  if (previous) process.env.TMPDIR = previous;
  else delete process.env.TMPDIR;
  delete process.env[DIR];
  delete process.env[OWNER];
  delete process.env[PREVIOUS];
  if (!dir) return;
  // A private Docker engine a test failed to stop still runs on roots in here: removing its data root
  // under it would do no good; say so and leave the directory.
  const users = processesMentioning(dir);
  if (users.length > 0) {
    process.stderr.write(`test teardown: left ${dir}: processes still use it (pids ${users.join(', ')})\n`);
    return;
  }
  try {
    fs.rmSync(dir, { recursive: true, force: true });
  } catch (err) {
    // Not root: a container may have written files this user cannot remove.
    process.stderr.write(`test teardown: could not remove ${dir}: ${err && err.message ? err.message : err}\n`);
  }
}

function processesMentioning(dir) {
  const pids = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(dir)) pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

module.exports = { enter, leave };
