// Integration tests run against a real Docker engine. They never skip: if no
// engine answers, the whole integration project fails with a clear message.
// The offline tool images are (re)built here; the script is idempotent. The run scope (run id, the
// run's own TMPDIR) is entered first: see run-scope.js.
const { execFileSync } = require('node:child_process');
const path = require('node:path');
const { enter } = require('./run-scope');

module.exports = async function integrationGlobalSetup() {
  enter();
  try {
    execFileSync('docker', ['info', '--format', '{{.ServerVersion}}'], { stdio: 'pipe', timeout: 20000 });
  } catch (err) {
    throw new Error(
      'Integration tests need a Docker engine and none answers.\n' +
        '  Debian: apt-get install -y docker.io && dockerd --bridge=none --iptables=false &\n' +
        '  (.ci/run does this for you). Unit tests alone: pnpm test:unit\n' +
        `  cause: ${String(err && err.stderr ? err.stderr : err).trim()}`,
    );
  }
  const script = path.join(__dirname, '..', '..', '..', 'scripts', 'build-offline-images.sh');
  execFileSync('bash', [script], { stdio: 'inherit', timeout: 300000 });
};
