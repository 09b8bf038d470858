import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT, cleanEnv } from './test-support/cli-process';

/**
 * Packages an idle worker must not load (idle RSS budget, issue 15 §4): each costs memory for nothing.
 * `@opentelemetry` is every OpenTelemetry package (the SDK, and the API the libraries load only once an SDK
 * registered): loaded only when OTEL_* asks for traces. `ssh2` (about 13 MB) comes with dockerode's docker-modem
 * for `ssh://` engines, which the executor refuses: patches/docker-modem@5.0.7.patch makes it load only for one.
 */
const DEFERRED = ['ajv', 'yaml', 'prom-client', '@opentelemetry', 'ssh2'];

const TSX_LOADER = `file://${path.join(REPO_ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs')}`;

/**
 * A fresh node process (jest's module registry is not node's `require.cache`) that walks the worker's start
 * path up to its first Docker or gRPC call: the whole CLI's static imports, the config resolution (no config
 * file), the tracing decision (no OTEL_* set) and the default policy's enforcer, whose construction validates
 * the policy. It prints the deferred packages loaded then, and again after a YAML policy file, the metrics
 * meter and tracing asked for, to show the check sees a package as soon as it is loaded.
 */
const CHILD = `
const src = (f) => require(${JSON.stringify(path.join(__dirname))} + '/' + f);
const loaded = () => ${JSON.stringify(DEFERRED)}.filter((name) =>
  Object.keys(require.cache).some((file) => file.includes('/node_modules/' + name + '/')));
src('worker-cli');
const { resolveWorkerConfig } = src('config');
const { createWorkerPolicy } = src('policy-setup');
const { quietLogger } = src('logger');
const { config } = resolveWorkerConfig({ flags: {}, env: process.env });
createWorkerPolicy({ file: undefined, workspaceRoots: config.workspaceRoots, env: process.env, logger: quietLogger });
const { startTracing } = src('tracing');
const untraced = startTracing({ serviceName: 'baaaht-worker', version: '0', env: process.env, logger: quietLogger });
const idle = loaded();
const dockerode = Object.keys(require.cache).some((file) => file.includes('/node_modules/dockerode/'));
require('@baaaht/policy').loadPolicyFile(process.env.YAML_POLICY);
src('lazy-modules').loadPromMeter();
process.env.OTEL_TRACES_EXPORTER = 'console';
const traced = startTracing({ serviceName: 'baaaht-worker', version: '0', env: process.env, logger: quietLogger });
traced.shutdown().then(() =>
  process.stdout.write(JSON.stringify({ idle, dockerode, untraced: untraced === undefined, afterUse: loaded() })));
`;

describe('an idle worker start path', () => {
  it(`loads none of ${DEFERRED.join(', ')}`, () => {
    const env = cleanEnv();
    const policy = path.join(env['HOME']!, 'policy.yaml');
    fs.writeFileSync(policy, 'mode: strict\n');
    const out = execFileSync(process.execPath, ['--import', TSX_LOADER, '-e', CHILD], {
      cwd: REPO_ROOT,
      env: { ...env, YAML_POLICY: policy },
      encoding: 'utf8',
    });
    const { idle, dockerode, untraced, afterUse } = JSON.parse(out) as {
      idle: string[];
      dockerode: boolean;
      untraced: boolean;
      afterUse: string[];
    };
    expect(idle).toEqual([]);
    // dockerode (so docker-modem) is on the start path: ssh2's absence above is the patch's doing.
    expect(dockerode).toBe(true);
    expect(untraced).toBe(true);
    expect(afterUse).toEqual(['yaml', 'prom-client', '@opentelemetry']);
  });
});
