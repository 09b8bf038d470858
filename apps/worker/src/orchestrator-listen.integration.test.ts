/**
 * The real `orchestrator serve` listener rules: secure by default on TCP (TLS, or
 * a token on loopback, or --insecure with a warning), TLS and mutual TLS end to
 * end with a real worker, and no takeover of a live Unix socket. TCP listeners
 * are 127.0.0.1 only; the non-loopback rule is tested on the decision function
 * (packages/hub/src/listen-address.test.ts).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createHubClient } from '@baaaht/hub';
import type { CliProcess } from './test-support/cli-process';
import { cleanEnv, runCli, startCli } from './test-support/cli-process';

jest.setTimeout(120_000);

let dir: string;
const procs: CliProcess[] = [];

function start(program: 'orchestrator' | 'worker', args: string[]): CliProcess {
  const proc = startCli(program, args, { env: cleanEnv() });
  procs.push(proc);
  return proc;
}

/** A self-signed EC certificate valid for 127.0.0.1. */
function selfSigned(name: string): { cert: string; key: string } {
  const cert = path.join(dir, `${name}.crt`);
  const key = path.join(dir, `${name}.key`);
  execFileSync(
    'openssl',
    // prettier-ignore
    ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert,
      '-days', '1', '-subj', `/CN=${name}`, '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost'],
    { stdio: 'pipe' },
  );
  return { cert, key };
}

async function serveTcp(extra: string[]): Promise<{ proc: CliProcess; address: string }> {
  const proc = start('orchestrator', ['serve', '--listen', '127.0.0.1:0', '--log-format', 'json', ...extra]);
  const m = await proc.waitFor(/"address":"(127\.0\.0\.1:\d+)"[^\n]*"msg":"orchestrator listening"/, 90_000);
  return { proc, address: m[1] as string };
}

function workerArgs(address: string, name: string, extra: string[]): string[] {
  return [
    '--orchestrator-addr',
    address,
    '--name',
    name,
    '--log-format',
    'json',
    '--reconnect-interval',
    '200ms',
    '--dial-timeout',
    '5s',
    ...extra,
  ];
}

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'baaaht-listen-'));
});

afterEach(async () => {
  await Promise.all(procs.splice(0).map((p) => p.kill()));
});

afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('orchestrator serve on TCP', () => {
  test('127.0.0.1 without TLS or a token is refused (exit 2)', async () => {
    const result = await runCli('orchestrator', ['serve', '--listen', '127.0.0.1:0'], { env: cleanEnv() });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/refusing to listen on 127\.0\.0\.1:0 without TLS or a token/);
    expect(result.stderr).toMatch(/can register as a worker/);
  });

  test('--insecure starts it, with a warning naming what anyone can do', async () => {
    const { proc } = await serveTcp(['--insecure']);
    expect(proc.stdout()).toMatch(
      /"level":"warn".*insecure listener on 127\.0\.0\.1:0 without TLS or a token: any local user or process can register as a worker/,
    );
  });

  test('TLS with a self-signed certificate works end to end with a worker', async () => {
    const server = selfSigned('server');
    const { address } = await serveTcp(['--tls-cert', server.cert, '--tls-key', server.key]);
    const worker = start('worker', workerArgs(address, 'tls-worker', ['--tls-ca', server.cert]));
    await worker.waitFor(/"msg":"registered with orchestrator"/, 90_000);
    const client = createHubClient(address, { tls: { caFile: server.cert } });
    try {
      expect((await client.workers()).map((w) => w.name)).toContain('tls-worker');
    } finally {
      client.close();
    }
  });

  test('mutual TLS (--tls-ca) rejects a worker without a client certificate and accepts one with it', async () => {
    const server = selfSigned('mtls-server');
    const client = selfSigned('mtls-client');
    const { address } = await serveTcp(['--tls-cert', server.cert, '--tls-key', server.key, '--tls-ca', client.cert]);
    const anonymous = start('worker', workerArgs(address, 'no-cert', ['--tls-ca', server.cert]));
    await anonymous.waitFor(/"msg":"connection attempt failed"/, 90_000);
    expect(anonymous.stdout()).not.toMatch(/registered with orchestrator/);
    const member = start(
      'worker',
      workerArgs(address, 'with-cert', ['--tls-ca', server.cert, '--tls-cert', client.cert, '--tls-key', client.key]),
    );
    await member.waitFor(/"msg":"registered with orchestrator"/, 90_000);
    expect(anonymous.stdout()).not.toMatch(/registered with orchestrator/);
  });

  test('--tls-cert without --tls-key is a usage error', async () => {
    const server = selfSigned('lonely');
    const result = await runCli('orchestrator', ['serve', '--listen', '127.0.0.1:0', '--tls-cert', server.cert], {
      env: cleanEnv(),
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--tls-cert and --tls-key go together/);
  });
});

describe('orchestrator serve on a Unix socket', () => {
  test('a second serve on a live socket fails (exit 1) and the first still answers', async () => {
    const addr = `unix://${path.join(dir, 'hub.sock')}`;
    const first = start('orchestrator', ['serve', '--listen', addr, '--log-format', 'json']);
    await first.waitFor(/"msg":"orchestrator listening"/, 90_000);
    const second = await runCli('orchestrator', ['serve', '--listen', addr], { env: cleanEnv() });
    expect(second.code).toBe(1);
    expect(second.stderr).toContain(`address in use: ${path.join(dir, 'hub.sock')} answers (owner uid 0)`);
    const workers = await runCli('orchestrator', ['workers', '--addr', addr, '--json'], { env: cleanEnv() });
    expect(workers.code).toBe(0);
    expect(JSON.parse(workers.stdout)).toEqual([]);
    expect(fs.statSync(path.join(dir, 'hub.sock')).mode & 0o777).toBe(0o600);
  });
});
