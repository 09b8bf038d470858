/**
 * The real `worker` binary: configuration precedence (flags > env > config
 * file > defaults), and bad values exiting 2 with one line naming their source.
 */
import fs from 'node:fs';
import path from 'node:path';
import { defaultSocketAddress } from '@baaaht/proto';
import { cleanEnv, runCli } from './test-support/cli-process';

// Each case spawns the real CLI (node + tsx); generous, not a performance bound.
jest.setTimeout(60_000);

function envWithConfig(yaml: string | undefined, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = cleanEnv(extra);
  if (yaml !== undefined) {
    const dir = path.join(env['HOME'] as string, '.config', 'baaaht');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'config.yaml'), yaml);
  }
  return env;
}

async function effective(
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ config: Record<string, unknown>; sources: Record<string, string>; configFile: string | null }> {
  const r = await runCli('worker', ['config', '--json', ...args], { env });
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout);
}

describe('worker configuration (real binary)', () => {
  it('each source wins over the next: flag > env > file > default', async () => {
    const file = 'dial_timeout: 11s\nrpc-timeout: 12s\nheartbeat_interval: 13s\nlog_level: warn\n';
    const env = envWithConfig(file, { WORKER_DIAL_TIMEOUT: '21s', WORKER_RPC_TIMEOUT: '22s' });
    const { config, sources, configFile } = await effective(['--dial-timeout', '31s'], env);
    expect(configFile).toBe(path.join(env['HOME'] as string, '.config', 'baaaht', 'config.yaml'));
    expect(config).toMatchObject({
      dialTimeoutMs: 31_000,
      rpcTimeoutMs: 22_000,
      heartbeatIntervalMs: 13_000,
      reconnectIntervalMs: 5_000,
      logLevel: 'warn',
    });
    expect(sources).toMatchObject({
      dialTimeoutMs: '--dial-timeout',
      rpcTimeoutMs: 'WORKER_RPC_TIMEOUT',
      heartbeatIntervalMs: 'config.yaml: heartbeat_interval',
      reconnectIntervalMs: 'default',
    });
  });

  it('uses the seed defaults and ORCHESTRATOR_URL below WORKER_ORCHESTRATOR_ADDR', async () => {
    const defaultEnv = envWithConfig(undefined);
    const defaults = await effective([], defaultEnv);
    expect(defaults.config).toMatchObject({
      // The private default, the same one `orchestrator serve` listens on (root here: /run/baaaht).
      orchestratorAddr: defaultSocketAddress(defaultEnv),
      dialTimeoutMs: 30_000,
      rpcTimeoutMs: 10_000,
      maxRecvMsgSize: 104_857_600,
      maxSendMsgSize: 104_857_600,
      reconnectMaxAttempts: 0,
      logFormat: 'text',
      logOutput: 'stdout',
      maxConcurrentTasks: 4,
    });
    expect(defaults.config['name']).toMatch(/^worker-/);
    const viaUrl = await effective([], envWithConfig(undefined, { ORCHESTRATOR_URL: 'unix:///run/o.sock' }));
    expect(viaUrl.config['orchestratorAddr']).toBe('unix:///run/o.sock');
    const both = await effective(
      [],
      envWithConfig(undefined, { ORCHESTRATOR_URL: 'unix:///run/o.sock', WORKER_ORCHESTRATOR_ADDR: '127.0.0.1:7777' }),
    );
    expect(both.config['orchestratorAddr']).toBe('127.0.0.1:7777');
  });

  it('reads an explicit --config JSON file and repeatable values from env', async () => {
    const env = envWithConfig(undefined, { WORKER_TOOL_IMAGE: '*=a:1,grep=b:2' });
    const file = path.join(env['HOME'] as string, 'w.json');
    fs.writeFileSync(file, JSON.stringify({ 'max-recv-msg-size': '1MiB', workspace_root: ['/srv/a'] }));
    const { config, configFile } = await effective(['--config', file], env);
    expect(configFile).toBe(file);
    expect(config).toMatchObject({
      maxRecvMsgSize: 1_048_576,
      workspaceRoots: ['/srv/a'],
      toolImages: { '*': 'a:1', grep: 'b:2' },
    });
  });

  it.each([
    [['--dial-timeout', 'soon'], {}, undefined, '--dial-timeout: invalid duration "soon"'],
    [[], { WORKER_DIAL_TIMEOUT: '30' }, undefined, 'WORKER_DIAL_TIMEOUT: invalid duration "30"'],
    [[], {}, 'max_recv_msg_size: -5\n', 'config.yaml: max_recv_msg_size: invalid size -5'],
    [[], {}, 'dial_timout: 5s\n', 'config.yaml: dial_timout: unknown key'],
    [['--log-format', 'xml'], {}, undefined, '--log-format: invalid value "xml" (expected one of json, text)'],
    [
      ['--config', '/nonexistent/worker.yaml'],
      {},
      undefined,
      '--config: config file /nonexistent/worker.yaml does not exist',
    ],
    [['--no-such-flag'], {}, undefined, 'unknown option --no-such-flag (see worker --help)'],
  ])('rejects %j %j %j with exit 2 and one line', async (args, extra, yaml, message) => {
    // The worker itself (no subcommand) validates before doing anything else.
    const r = await runCli('worker', args as string[], {
      env: envWithConfig(yaml as string | undefined, extra as Record<string, string>),
    });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(message);
    expect(lines[0]?.startsWith('worker: ')).toBe(true);
  });

  it('refuses a bad --policy file at start-up with exit 2 and one line', async () => {
    const env = envWithConfig(undefined);
    const file = path.join(env['HOME'] as string, 'bad-policy.yaml');
    fs.writeFileSync(file, 'mode: sometimes\nnetwork:\n  allow_network: maybe\n');
    const r = await runCli('worker', ['--policy', file], { env });
    expect(r.code).toBe(2);
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^worker: --policy: invalid policy .*mode: .*; network\.allow_network: /);
  });

  it('prints help and version', async () => {
    const help = await runCli('worker', ['--help'], { env: cleanEnv() });
    expect(help.code).toBe(0);
    for (const flag of [
      '--orchestrator-addr',
      '--dial-timeout',
      '--tool-image',
      '--status-addr',
      '--workspace-root',
      '--shutdown-timeout',
    ])
      expect(help.stdout).toContain(flag);
    const runHelp = await runCli('worker', ['run', '--help'], { env: cleanEnv() });
    expect(runHelp.stdout).toContain('--param KEY=VALUE');
    const version = await runCli('worker', ['--version'], { env: cleanEnv() });
    expect(version.stdout).toMatch(/^worker \d+\.\d+\.\d+\n$/);
  });
});
