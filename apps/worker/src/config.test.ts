import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { defaultSocketAddress } from '@baaaht/proto';
import { resolveWorkerConfig } from './config';
import { WorkerCliError } from './errors';

function tempHome(files: Record<string, string> = {}): string {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'baaaht-cfg-'));
  for (const [rel, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(home, rel)), { recursive: true });
    fs.writeFileSync(path.join(home, rel), text);
  }
  return home;
}

function errorOf(fn: () => unknown): WorkerCliError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(WorkerCliError);
    return err as WorkerCliError;
  }
  throw new Error('expected an error');
}

describe('resolveWorkerConfig', () => {
  const hostname = 'box';

  it('uses the seed defaults when nothing is given', () => {
    const home = tempHome();
    const { config, configFile } = resolveWorkerConfig({ env: { HOME: home }, hostname });
    expect(configFile).toBeUndefined();
    expect(config).toMatchObject({
      orchestratorAddr: defaultSocketAddress({ HOME: home }),
      name: 'worker-box',
      dialTimeoutMs: 30_000,
      rpcTimeoutMs: 10_000,
      maxRecvMsgSize: 104_857_600,
      maxSendMsgSize: 104_857_600,
      reconnectIntervalMs: 5_000,
      reconnectMaxAttempts: 0,
      heartbeatIntervalMs: 30_000,
      logLevel: 'info',
      logFormat: 'text',
      logOutput: 'stdout',
      maxConcurrentTasks: 4,
      shutdownTimeoutMs: 30_000,
      pullPolicy: 'if-missing',
      runtime: 'runc',
      workspaceRoots: [],
      toolImages: {},
    });
  });

  it('applies flags > env > file > defaults, per option', () => {
    const home = tempHome({
      '.config/baaaht/config.yaml': 'log_level: warn\nrpc-timeout: 20s\ndial_timeout: 1m\nname: from-file\n',
    });
    const { config, sources } = resolveWorkerConfig({
      env: { HOME: home, WORKER_RPC_TIMEOUT: '15s', WORKER_DIAL_TIMEOUT: '45s' },
      flags: { 'dial-timeout': '1m30s' },
      hostname,
    });
    expect(config.dialTimeoutMs).toBe(90_000);
    expect(sources.dialTimeoutMs).toBe('--dial-timeout');
    expect(config.rpcTimeoutMs).toBe(15_000);
    expect(sources.rpcTimeoutMs).toBe('WORKER_RPC_TIMEOUT');
    expect(config.logLevel).toBe('warn');
    expect(sources.logLevel).toBe('config.yaml: log_level');
    expect(config.name).toBe('from-file');
    expect(config.heartbeatIntervalMs).toBe(30_000);
    expect(sources.heartbeatIntervalMs).toBe('default');
  });

  it('honours XDG_CONFIG_HOME and an explicit JSON --config', () => {
    const xdg = tempHome({ 'baaaht/config.yaml': 'max_concurrent_tasks: 7\n' });
    expect(
      resolveWorkerConfig({ env: { XDG_CONFIG_HOME: xdg, HOME: '/nonexistent' }, hostname }).config.maxConcurrentTasks,
    ).toBe(7);
    const dir = tempHome({ 'w.json': JSON.stringify({ 'max-recv-msg-size': '1MiB', workspace_root: ['/a', '/b'] }) });
    const { config, configFile } = resolveWorkerConfig({
      flags: { config: path.join(dir, 'w.json') },
      env: { XDG_CONFIG_HOME: xdg },
      hostname,
    });
    expect(configFile).toBe(path.join(dir, 'w.json'));
    expect(config.maxRecvMsgSize).toBe(1024 * 1024);
    expect(config.workspaceRoots).toEqual(['/a', '/b']);
    expect(config.maxConcurrentTasks).toBe(4);
  });

  it('puts ORCHESTRATOR_URL below WORKER_ORCHESTRATOR_ADDR', () => {
    const home = tempHome();
    const a = resolveWorkerConfig({ env: { HOME: home, ORCHESTRATOR_URL: 'unix:///run/o.sock' }, hostname });
    expect(a.config.orchestratorAddr).toBe('unix:///run/o.sock');
    const b = resolveWorkerConfig({
      env: { HOME: home, ORCHESTRATOR_URL: 'unix:///run/o.sock', WORKER_ORCHESTRATOR_ADDR: '127.0.0.1:7000' },
      hostname,
    });
    expect(b.config.orchestratorAddr).toBe('127.0.0.1:7000');
  });

  it('reads repeatables from repeated flags, comma-separated env and YAML maps', () => {
    const home = tempHome({ '.config/baaaht/config.yaml': 'tool_image:\n  grep: g:1\n' });
    expect(resolveWorkerConfig({ env: { HOME: home }, hostname }).config.toolImages).toEqual({ grep: 'g:1' });
    const env = { HOME: home, WORKER_TOOL_IMAGE: '*=busy:1, fetch_url=curl:2', WORKER_WORKSPACE_ROOT: '/x,/y' };
    expect(resolveWorkerConfig({ env, hostname }).config).toMatchObject({
      toolImages: { '*': 'busy:1', fetch_url: 'curl:2' },
      workspaceRoots: ['/x', '/y'],
    });
    const flags = { 'tool-image': ['file_read=a:1', 'list=b:2'], 'workspace-root': ['/z'] };
    expect(resolveWorkerConfig({ env, flags, hostname }).config).toMatchObject({
      toolImages: { file_read: 'a:1', list: 'b:2' },
      workspaceRoots: ['/z'],
    });
  });

  it('takes labels from repeated flags, a comma-separated env value or a file map, and keepalive durations', () => {
    const flags = { label: ['zone=eu', 'tier=gpu'], 'keepalive-interval': '2s', 'keepalive-timeout': '1s' };
    expect(resolveWorkerConfig({ env: { HOME: tempHome() }, flags, hostname }).config).toMatchObject({
      labels: { zone: 'eu', tier: 'gpu' },
      keepaliveIntervalMs: 2_000,
      keepaliveTimeoutMs: 1_000,
    });
    expect(
      resolveWorkerConfig({ env: { HOME: tempHome(), WORKER_LABEL: 'zone=us, rack=r1' }, hostname }).config.labels,
    ).toEqual({ zone: 'us', rack: 'r1' });
    const file = tempHome({ '.config/baaaht/config.yaml': 'label:\n  zone: ap\n' });
    expect(resolveWorkerConfig({ env: { HOME: file }, hostname }).config.labels).toEqual({ zone: 'ap' });
    expect(resolveWorkerConfig({ env: { HOME: tempHome() }, hostname }).config).toMatchObject({
      labels: {},
      keepaliveIntervalMs: 20_000,
      keepaliveTimeoutMs: 10_000,
    });
  });

  it.each([
    [{ flags: { 'dial-timeout': 'soon' } }, '--dial-timeout: invalid duration "soon"'],
    [{ env: { WORKER_DIAL_TIMEOUT: '10' } }, 'WORKER_DIAL_TIMEOUT: invalid duration "10"'],
    [{ env: { WORKER_MAX_RECV_MSG_SIZE: '-1' } }, 'WORKER_MAX_RECV_MSG_SIZE: invalid size "-1"'],
    [
      { flags: { 'log-level': 'loud' } },
      '--log-level: invalid value "loud" (expected one of trace, debug, info, warn, error)',
    ],
    [{ flags: { 'pull-policy': 'sometimes' } }, '--pull-policy: invalid value "sometimes"'],
    [{ flags: { 'max-concurrent-tasks': '0' } }, '--max-concurrent-tasks: 0 is out of range'],
    [{ flags: { 'tool-image': ['grep'] } }, '--tool-image: invalid "grep" (expected TOOL=IMAGE'],
    [{ flags: { label: ['zone'] } }, '--label: invalid "zone" (expected KEY=VALUE)'],
    [{ env: { WORKER_LABEL: 'zone=eu,-x=1' } }, 'WORKER_LABEL: invalid label key "-x"'],
    [{ flags: { label: [`zone=${'v'.repeat(257)}`] } }, '--label: label zone: value longer than 256 bytes'],
    [{ flags: { 'keepalive-timeout': '0.5' } }, '--keepalive-timeout: invalid duration "0.5"'],
    [{ flags: { 'orchestrator-addr': 'http://x' } }, '--orchestrator-addr: invalid address'],
    [{ flags: { 'search-backend-url': 'ftp://x' } }, '--search-backend-url: invalid URL'],
  ])('names the source of a bad value: %j', (input, message) => {
    const err = errorOf(() =>
      resolveWorkerConfig({ hostname, ...input, env: { HOME: tempHome(), ...(input as { env?: object }).env } }),
    );
    expect(err.code).toBe('CONFIG_INVALID');
    expect(err.exitCode).toBe(2);
    expect(err.message.startsWith(message)).toBe(true);
  });

  it('names the file and key for bad file values and unknown keys', () => {
    const bad = tempHome({ '.config/baaaht/config.yaml': 'dial_timeout: forever\n' });
    expect(errorOf(() => resolveWorkerConfig({ env: { HOME: bad }, hostname })).message).toMatch(
      /^config\.yaml: dial_timeout: invalid duration "forever"/,
    );
    const unknown = tempHome({ '.config/baaaht/config.yaml': 'dial_timout: 5s\n' });
    expect(errorOf(() => resolveWorkerConfig({ env: { HOME: unknown }, hostname })).message).toMatch(
      /^config\.yaml: dial_timout: unknown key/,
    );
    const notMap = tempHome({ '.config/baaaht/config.yaml': '- a\n' });
    expect(errorOf(() => resolveWorkerConfig({ env: { HOME: notMap }, hostname })).message).toMatch(
      /^config\.yaml: expected a mapping/,
    );
  });

  it('fails on a missing --config file but not on a missing default file', () => {
    const err = errorOf(() =>
      resolveWorkerConfig({ flags: { config: '/nonexistent/w.yaml' }, env: { HOME: tempHome() }, hostname }),
    );
    expect(err.code).toBe('CONFIG_NOT_FOUND');
    expect(err.exitCode).toBe(2);
    expect(err.message).toBe('--config: config file /nonexistent/w.yaml does not exist');
  });
});

describe('warm pool options', () => {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'baaaht-pool-cfg-'));
  afterAll(() => fs.rmSync(home, { recursive: true, force: true }));

  it('is on with a 30 s idle timeout by default; --no-pool turns it off, --pool on, --pool-idle sets the timeout', () => {
    expect(resolveWorkerConfig({ env: { HOME: home }, hostname: 'h' }).config).toMatchObject({
      pool: true,
      poolIdleMs: 30_000,
    });
    const { config, sources } = resolveWorkerConfig({
      env: { HOME: home },
      hostname: 'h',
      flags: { 'no-pool': true, 'pool-idle': '5s' },
    });
    expect(config).toMatchObject({ pool: false, poolIdleMs: 5000 });
    expect(sources.pool).toBe('--no-pool');
    expect(resolveWorkerConfig({ env: { HOME: home, WORKER_POOL: 'false' }, hostname: 'h' }).config.pool).toBe(false);
    expect(resolveWorkerConfig({ env: { HOME: home }, hostname: 'h', flags: { pool: true } }).config.pool).toBe(true);
    expect(resolveWorkerConfig({ env: { HOME: home, WORKER_POOL: 'true' }, hostname: 'h' }).config.pool).toBe(true);
  });

  it('refuses --pool together with --no-pool', () => {
    expect(() =>
      resolveWorkerConfig({ env: { HOME: home }, hostname: 'h', flags: { pool: true, 'no-pool': true } }),
    ).toThrow(WorkerCliError);
  });
});
