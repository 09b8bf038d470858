import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import type { CliIo } from '../cli-io';
import { orchestratorCli } from '../orchestrator-main';

function fakeIo(): { io: CliIo; signals: EventEmitter } {
  const signals = new EventEmitter();
  return {
    io: {
      stdout: new PassThrough(),
      stderr: new PassThrough(),
      env: {},
      signals: signals as unknown as CliIo['signals'],
    },
    signals,
  };
}

function socketAddress(): string {
  return `unix://${path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'bw-serve-')), 'hub.sock')}`;
}

async function freePort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function until<T>(fn: () => Promise<T>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

const quiet = ['--log-level', 'error', '--log-format', 'json'];

describe('orchestrator serve --metrics-listen', () => {
  it('serves /metrics (process metrics) and /healthz on 127.0.0.1, and stops with the hub', async () => {
    const port = await freePort();
    const { io, signals } = fakeIo();
    // No host given: loopback, as the worker's --status-addr.
    const exit = orchestratorCli(['serve', '--listen', socketAddress(), '--metrics-listen', `:${port}`, ...quiet], io);
    const res = await until(() => fetch(`http://127.0.0.1:${port}/metrics`));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    const text = await res.text();
    for (const name of ['process_cpu_seconds_total', 'process_resident_memory_bytes', 'nodejs_eventloop_lag_seconds'])
      expect(text).toMatch(new RegExp(`^${name} `, 'm'));
    const health = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect([health.status, await health.text()]).toEqual([200, 'ok\n']);
    expect((await fetch(`http://127.0.0.1:${port}/status.json`)).status).toBe(404);
    signals.emit('SIGTERM', 'SIGTERM');
    expect(await exit).toBe(0);
    await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
  });

  it('refuses a malformed address before starting anything', async () => {
    await expect(
      orchestratorCli(['serve', '--listen', socketAddress(), '--metrics-listen', '9090', ...quiet], fakeIo().io),
    ).rejects.toMatchObject({
      code: 'USAGE',
      message: '--metrics-listen: invalid address "9090" (expected host:port)',
    });
  });

  it('names --metrics-listen when the port is taken, and closes the hub it started', async () => {
    const taken = http.createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const { port } = taken.address() as AddressInfo;
    const listen = socketAddress();
    try {
      await expect(
        orchestratorCli(['serve', '--listen', listen, '--metrics-listen', `127.0.0.1:${port}`, ...quiet], fakeIo().io),
      ).rejects.toMatchObject({
        code: 'CONFIG_INVALID',
        message: expect.stringMatching(/^--metrics-listen: cannot listen on 127\.0\.0\.1:\d+: .*EADDRINUSE/),
      });
      expect(fs.existsSync(listen.slice('unix://'.length))).toBe(false);
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  });

  it('is in the help and in every shell completion, from the option table', async () => {
    const help = fakeIo();
    let text = '';
    help.io.stdout.on('data', (d: Buffer) => (text += d.toString()));
    expect(await orchestratorCli(['serve', '--help'], help.io)).toBe(0);
    expect(text).toContain('[--metrics-listen HOST:PORT]');
    expect(text).toMatch(/--metrics-listen HOST:PORT +serve \/metrics \(Prometheus\) and \/healthz/);
    for (const shell of ['bash', 'zsh', 'fish']) {
      const c = fakeIo();
      let script = '';
      c.io.stdout.on('data', (d: Buffer) => (script += d.toString()));
      expect(await orchestratorCli(['completion', shell], c.io)).toBe(0);
      expect([shell, script.includes('metrics-listen')]).toEqual([shell, true]);
    }
  });
});
