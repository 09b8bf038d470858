/**
 * The hub's own TLS front on loopback TCP (tls-listener.ts): a refused client certificate is named in the
 * hub's log and in the GOAWAY the client reads (here through the agent's dial diagnosis, as a worker
 * would see it); a client that does not trust the hub is logged too; and `close()` returns while a
 * mutual-TLS worker is still connected (the accepted connection is grpc-js's to end).
 */
import { Agent, diagnoseDial } from '@baaaht/agent';
import { FakeHandler, TestCa } from '@baaaht/test-utils';
import { createHub } from './index';
import type { Hub, Logger } from './index';
import { eventually, tempSocketDir } from './test-support/temp-socket';

jest.setTimeout(60_000);

interface Line {
  level: string;
  msg: string;
  meta: Record<string, unknown>;
}

function recordingLogger(lines: Line[]): Logger {
  const at =
    (level: string) =>
    (msg: string, meta: Record<string, unknown> = {}): void =>
      void lines.push({ level, msg, meta });
  return { trace: at('trace'), debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

const dir = tempSocketDir('baaaht-hub-tls-');
const ca = TestCa.create(dir.dir, 'hub-test-ca');
const other = TestCa.create(dir.dir, 'other-ca');
const server = ca.issue('server', { usage: 'server', ips: ['127.0.0.1'] });
const member = ca.issue('member', { usage: 'client' });
const expired = ca.issue('stale', { usage: 'client', expired: true });
const lines: Line[] = [];
let hub: Hub;
let address: string;
const agents: Agent[] = [];

beforeAll(async () => {
  hub = createHub({
    logger: recordingLogger(lines),
    tls: { certFile: server.cert, keyFile: server.key, caFile: ca.cert },
  });
  address = await hub.listen('127.0.0.1:0');
});

afterAll(async () => {
  await Promise.all(agents.map((a) => a.close().catch(() => undefined)));
  await hub.close();
  dir.cleanup();
});

describe('hub TLS listener', () => {
  it.each([
    ['no certificate', undefined, 'NO_CLIENT_CERT', 'the client sent no certificate'],
    [
      'an expired certificate',
      expired,
      'CERT_EXPIRED',
      'client certificate CN=stale expired on Jan  2 00:00:00 2020 GMT',
    ],
  ])('%s: refused, the reason logged and sent to the client', async (_what, cert, code, reason) => {
    const tls = { caFile: ca.cert, ...(cert ? { certFile: cert.cert, keyFile: cert.key } : {}) };
    const seen = await diagnoseDial(address, { tls });
    expect(seen.message).toContain(
      `${address} closed the connection after the TLS handshake: orchestrator refused the client certificate: ${reason}`,
    );
    const refusal = lines.find((l) => l.msg.startsWith('refused a TLS client: ') && l.meta['code'] === code);
    expect(refusal).toMatchObject({
      level: 'warn',
      meta: { component: 'hub', peer: expect.stringMatching(/^127\.0\.0\.1:\d+$/) },
    });
    expect(refusal?.msg).toContain(reason);
  });

  it('a client that does not trust the hub is told to check its --tls-ca', async () => {
    const seen = await diagnoseDial(address, {
      tls: { caFile: other.cert, certFile: member.cert, keyFile: member.key },
    });
    expect(seen.message).toMatch(/^the certificate of 127\.0\.0\.1:\d+ is not signed by a CA in --tls-ca \(/);
  });

  it('close() returns while a mutual-TLS worker is connected', async () => {
    const agent = Agent.create({
      handler: new FakeHandler(),
      address,
      tls: { caFile: ca.cert, certFile: member.cert, keyFile: member.key },
    });
    agents.push(agent);
    await agent.start();
    expect(hub.workers().map((w) => w.connected)).toEqual([true]);
    await hub.close();
    expect(hub.state).toBe('closed');
    await eventually(() => lines.some((l) => l.msg === 'hub closed'));
  });
});
