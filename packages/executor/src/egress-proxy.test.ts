import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { EgressProxy } from './egress-proxy';
import type { EgressDecisionEvent } from './egress-proxy';
import { builtinEgressCheck } from './egress-rules';
import type { EgressRequest } from './policy-enforcer';
import { socksConnect } from './test-support/socks-client';

describe('EgressProxy', () => {
  let dir: string;
  let proxy: EgressProxy | undefined;
  let server: http.Server;
  let port: number;
  const decisions: EgressDecisionEvent[] = [];
  const logs: Array<{ level: string; message: string; meta: Record<string, unknown> }> = [];
  const record =
    (level: string) =>
    (message: string, meta: Record<string, unknown> = {}): void =>
      void logs.push({ level, message, meta });
  const logger = {
    trace: record('trace'),
    debug: record('debug'),
    info: record('info'),
    warn: record('warn'),
    error: record('error'),
  };
  const egressLines = () => logs.filter((l) => l.message.startsWith('egress '));
  const connects: string[] = [];
  const connect = (address: string, p: number): net.Socket => {
    connects.push(`${address}:${p}`);
    return net.connect({ host: address, port: p });
  };

  beforeAll(async () => {
    server = http.createServer((req, res) => res.end(`hi ${req.url}`));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as net.AddressInfo).port;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'egress-test-'));
    decisions.length = 0;
    logs.length = 0;
    connects.length = 0;
  });
  afterEach(async () => {
    await proxy?.close();
    proxy = undefined;
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const start = async (
    check: (r: EgressRequest) => ReturnType<typeof builtinEgressCheck>,
    lookup?: (h: string) => Promise<Array<{ address: string; family: number }>>,
  ): Promise<string> => {
    const socketPath = path.join(dir, 'egress.sock');
    proxy = await EgressProxy.listen({
      socketPath,
      check,
      connect,
      context: { taskId: 't1', tool: 'fetch_url' },
      onDecision: (d) => decisions.push(d),
      logger,
      ...(lookup ? { lookup } : {}),
    });
    return socketPath;
  };

  it('with the built-in rules, refuses 169.254.169.254 and 10.0.0.1 without ever connecting', async () => {
    const sock = await start(builtinEgressCheck);
    for (const host of ['169.254.169.254', '10.0.0.1']) {
      const { rep, socket } = await socksConnect(sock, host, 80);
      socket.destroy();
      expect(rep).toBe(0x02);
    }
    expect(connects).toEqual([]);
    expect(decisions.map((d) => [d.host, d.allowed, d.rule])).toEqual([
      ['169.254.169.254', false, 'egress.deny_link_local'],
      ['10.0.0.1', false, 'egress.deny_private'],
    ]);
  });

  it('refuses a name that resolves to a private address, after resolving it itself', async () => {
    const sock = await start(builtinEgressCheck, async () => [
      { address: '192.168.1.5', family: 4 },
      { address: '::1', family: 6 },
    ]);
    const { rep, socket } = await socksConnect(sock, 'internal.example', 443);
    socket.destroy();
    expect(rep).toBe(0x02);
    expect(connects).toEqual([]);
    expect(decisions.map((d) => [d.address ?? null, d.allowed])).toEqual([
      [null, true],
      ['192.168.1.5', false],
      ['::1', false],
    ]);
  });

  it('refuses loopback by default and tunnels to it when the check allows', async () => {
    let sock = await start(builtinEgressCheck);
    const denied = await socksConnect(sock, '127.0.0.1', port);
    denied.socket.destroy();
    expect(denied.rep).toBe(0x02);
    await proxy?.close();

    sock = await start(() => ({ allowed: true, rule: 'test.allow', reason: 'test' }));
    const { rep, socket } = await socksConnect(sock, '127.0.0.1', port);
    expect(rep).toBe(0x00);
    socket.write(`GET /x HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n`);
    const body = await new Promise<string>((r) => {
      let s = '';
      socket.on('data', (c: Buffer) => (s += c.toString()));
      socket.on('end', () => r(s));
    });
    expect(body).toContain('hi /x');
    expect(connects).toEqual([`127.0.0.1:${port}`]);
  });

  it('connects only to the resolved addresses the check allowed', async () => {
    const sock = await start(
      (r) =>
        r.address === undefined || r.address === '127.0.0.1'
          ? { allowed: true, rule: 'a', reason: '' }
          : { allowed: false, rule: 'd', reason: '' },
      async () => [
        { address: '10.9.9.9', family: 4 },
        { address: '127.0.0.1', family: 4 },
      ],
    );
    const { rep, socket } = await socksConnect(sock, 'mixed.example', port);
    socket.destroy();
    expect(rep).toBe(0x00);
    expect(connects).toEqual([`127.0.0.1:${port}`]);
  });

  it('treats a throwing check as a denial', async () => {
    const sock = await start(() => {
      throw new Error('policy store unavailable');
    });
    const { rep, socket } = await socksConnect(sock, 'example.com', 443);
    socket.destroy();
    expect(rep).toBe(0x02);
    expect(decisions[0]).toMatchObject({ allowed: false, rule: 'egress.check_failed' });
  });

  it('makes the socket usable by the unprivileged container user', async () => {
    const sock = await start(builtinEgressCheck);
    expect(fs.statSync(sock).mode & 0o777).toBe(0o666);
  });

  it('logs each connection once, with the rule and entry that admitted the address it dialled', async () => {
    const sock = await start(
      (r) =>
        r.address === undefined
          ? { allowed: true, rule: 'network.host', reason: 'by name; addresses next' }
          : r.address === '127.0.0.1'
            ? { allowed: true, rule: 'network.allowed_networks', match: '127.0.0.0/8', reason: 'loopback' }
            : { allowed: false, rule: 'network.deny_private', reason: 'private' },
      async () => [
        { address: '10.9.9.9', family: 4 },
        { address: '127.0.0.1', family: 4 },
      ],
    );
    const { rep, socket } = await socksConnect(sock, 'mixed.example', port);
    socket.destroy();
    expect(rep).toBe(0x00);
    expect(decisions).toHaveLength(3);
    expect(egressLines()).toEqual([
      {
        level: 'info',
        message: 'egress allowed',
        meta: expect.objectContaining({
          host: 'mixed.example',
          address: '127.0.0.1',
          by: 'network.allowed_networks 127.0.0.0/8',
          rule: 'network.allowed_networks',
          taskId: 't1',
        }),
      },
    ]);
  });

  it('logs a refused connection once, with the rule that refused it', async () => {
    const sock = await start(builtinEgressCheck, async () => [
      { address: '192.168.1.5', family: 4 },
      { address: '::1', family: 6 },
    ]);
    const { socket } = await socksConnect(sock, 'internal.example', 443);
    socket.destroy();
    expect(egressLines()).toEqual([
      {
        level: 'warn',
        message: 'egress denied',
        meta: expect.objectContaining({
          address: '192.168.1.5',
          by: 'egress.deny_private',
          rule: 'egress.deny_private',
        }),
      },
    ]);
  });
});
