/**
 * Workers on other hosts reach the hub over TCP with mutual TLS, and only with a certificate from the
 * fleet CA: one from another CA, an expired one, or none is refused, and both sides say why (the hub
 * names the peer, the subject and the reason; the worker's connection attempt says what the hub said).
 * The operator's CLI reaches the same hub from its own host with its own certificate.
 */
import { runScopedName } from '@baaaht/test-utils';
import { notCompleted } from '../fault/support/hub-checks';
import { runCli, waitUntil } from '../fault/support/processes';
import type { CliProcess } from '../fault/support/processes';
import { HUB_NAME, startFleet, startFleetWorker, stopFleet } from './support/fleet';
import type { Fleet } from './support/fleet';

jest.setTimeout(180_000);

let fleet: Fleet;
const intruders = {
  rogue: runScopedName('fleet-mtls-rogue'),
  expired: runScopedName('fleet-mtls-expired'),
  none: runScopedName('fleet-mtls-nocert'),
};

beforeAll(async () => {
  // Host `x` runs the refused workers.
  fleet = await startFleet('mtls', [{ role: 'w1', slots: 2, labels: { zone: 'a' } }], { extraHosts: ['x'] });
});

afterAll(() => stopFleet(fleet));

/** The JSON log lines of `proc` with this message. */
function logged(proc: CliProcess, msg: string | RegExp): Record<string, unknown>[] {
  return proc.logs().filter((l) => (typeof msg === 'string' ? l.msg === msg : msg.test(l.msg)));
}

describe('fleet over mutual TLS', () => {
  it('hosts reach each other only inside the prefix: no default route anywhere', () => {
    for (const role of ['hub', 'ops', 'w1', 'x'])
      expect(fleet.topology.routes(role)).toEqual([
        `${fleet.topology.prefix.text} dev eth0 proto kernel scope link src ${fleet.topology.host(role).address}`,
      ]);
  });

  it('a worker with a certificate of the fleet CA registers from its host and runs a task', async () => {
    expect(logged(fleet.worker('w1').proc, 'registered with orchestrator')[0]).toMatchObject({
      orchestratorAddr: fleet.hub.addr,
    });
    const client = fleet.relay.client();
    try {
      const workers = await client.workers();
      expect(workers.map((w) => [w.name, w.connected, w.metadata?.labels])).toEqual([
        [fleet.worker('w1').name, true, { zone: 'a' }],
      ]);
      const { taskId } = await client.submit({
        tool: 'exec',
        params: { command: 'cat note.txt' },
        mountSource: fleet.workspaceDir,
      });
      const finished = await client.wait(taskId);
      expect(notCompleted([finished])).toEqual([]);
      expect(finished.stdout.toString()).toBe('fleet\n');
      expect((await client.status(taskId)).agentName).toBe(fleet.worker('w1').name);
    } finally {
      client.close();
    }
  });

  it("the operator's CLI reaches the hub from its own host with --tls-ca/--tls-cert/--tls-key", async () => {
    // prettier-ignore
    const r = await runCli('orchestrator', ['workers', '--json', '--addr', fleet.hub.addr, '--tls-ca', fleet.pki.ca.cert,
      '--tls-cert', fleet.pki.operator.cert, '--tls-key', fleet.pki.operator.key, '--tls-server-name', HUB_NAME],
      { netns: fleet.topology.host('ops').netns });
    expect([r.code, r.stderr]).toEqual([0, '']);
    const listed = JSON.parse(r.stdout) as { name: string; labels: Record<string, string>; slots: number }[];
    expect(listed.map((w) => [w.name, w.labels, w.slots])).toEqual([[fleet.worker('w1').name, { zone: 'a' }, 2]]);
  });

  it('a certificate of another CA, an expired one, or none is refused, and both sides say why', async () => {
    const ready = /"msg":"connection attempt failed"/;
    const common = { hubAddr: fleet.hub.addr, policyFile: fleet.policyFile, role: 'x', ready };
    const [rogue, expired, none] = await Promise.all([
      startFleetWorker(fleet.topology, fleet.pki, { ...common, name: intruders.rogue, cert: fleet.pki.rogue }),
      startFleetWorker(fleet.topology, fleet.pki, { ...common, name: intruders.expired, cert: fleet.pki.expired }),
      startFleetWorker(fleet.topology, fleet.pki, { ...common, name: intruders.none, cert: null }),
    ]);
    const hubSays = `${fleet.topology.host('hub').address}:7443 closed the connection after the TLS handshake: orchestrator refused the client certificate: `;
    const cases = [
      {
        proc: rogue,
        code: 'UNTRUSTED_CERT',
        subject: 'CN=rogue',
        reason:
          "client certificate CN=rogue is not signed by a CA in the orchestrator's --tls-ca (UNABLE_TO_VERIFY_LEAF_SIGNATURE)",
      },
      {
        proc: expired,
        code: 'CERT_EXPIRED',
        subject: 'CN=expired',
        reason: 'client certificate CN=expired expired on Jan  2 00:00:00 2020 GMT (CERT_HAS_EXPIRED)',
      },
      {
        proc: none,
        code: 'NO_CLIENT_CERT',
        subject: '',
        reason: 'the client sent no certificate (mutual TLS: a worker needs --tls-cert and --tls-key)',
      },
    ];
    // The hub logs before it answers, but its log reaches us through another pipe: wait for all three.
    await waitUntil('the hub logged three refusals', () =>
      cases.every((c) => logged(fleet.hub.proc, /^refused a TLS client: /).some((l) => l['code'] === c.code)),
    );
    const refusals = logged(fleet.hub.proc, /^refused a TLS client: /);
    for (const c of cases) {
      // The worker: one clear line per attempt, with what the hub told it.
      expect(logged(c.proc, 'connection attempt failed')[0]).toMatchObject({
        code: 'CONNECT_FAILED',
        error: `cannot reach the orchestrator at ${fleet.hub.addr}: ${hubSays}${c.reason}`,
      });
      expect(c.proc.stdout()).not.toMatch(/registered with orchestrator/);
      // The hub: the peer is the intruders' host, the subject and the reason are named.
      expect(refusals).toContainEqual(
        expect.objectContaining({
          msg: `refused a TLS client: ${c.reason}`,
          code: c.code,
          subject: c.subject,
          peer: expect.stringMatching(new RegExp(`^${fleet.topology.host('x').address.replace(/\./g, '\\.')}:\\d+$`)),
        }),
      );
    }
    const client = fleet.relay.client();
    try {
      expect((await client.workers()).map((w) => w.name)).toEqual([fleet.worker('w1').name]);
    } finally {
      client.close();
    }
    await Promise.all([rogue.kill(), expired.kill(), none.kill()]);
  });
});
