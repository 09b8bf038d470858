/**
 * Workers on other hosts reach the hub over TCP with mutual TLS, and only with a certificate from the
 * fleet CA: one from another CA, an expired one, or none is refused, and both sides say why (the hub
 * names the peer, the subject and the reason; the worker's connection attempt says what the hub said).
 * The operator's CLI reaches the same hub from its own host with its own certificate.
 */
import { runScopedName } from '@baaaht/test-utils';
import { expectNoRunContainers, workerContainers } from '../fault/support/cluster';
import { notCompleted } from '../fault/support/hub-checks';
import { killAllChildren, removeTempDirs, runCli, stopGracefully, waitUntil } from '../fault/support/processes';
import type { CliProcess } from '../fault/support/processes';
import { HUB_NAME, createFleetPki, execWorkspace, startFleetHub, startFleetWorker, startRelay } from './support/fleet';
import type { FleetHub, FleetPki, FleetRelay } from './support/fleet';
import { FleetTopology } from './support/topology';

jest.setTimeout(180_000);

let topology: FleetTopology;
let pki: FleetPki;
let hub: FleetHub;
let relay: FleetRelay;
let member: CliProcess;
let policyFile: string;
let workspaceDir: string;
const memberName = runScopedName('fleet-mtls-w1');
const intruders = {
  rogue: runScopedName('fleet-mtls-rogue'),
  expired: runScopedName('fleet-mtls-expired'),
  none: runScopedName('fleet-mtls-nocert'),
};

beforeAll(async () => {
  topology = FleetTopology.create({ tag: 'mtls', roles: ['hub', 'ops', 'w1', 'x'] });
  pki = createFleetPki(topology);
  const exec = execWorkspace();
  policyFile = exec.policyFile;
  workspaceDir = exec.workspace.dir;
  hub = await startFleetHub(topology, pki);
  [relay, member] = await Promise.all([
    startRelay(topology, pki),
    startFleetWorker(topology, pki, {
      role: 'w1',
      name: memberName,
      hubAddr: hub.addr,
      policyFile,
      labels: { zone: 'a' },
    }),
  ]);
});

afterAll(async () => {
  if (member !== undefined) await stopGracefully(member);
  await killAllChildren();
  const problems = topology?.dispose() ?? [];
  removeTempDirs();
  expect(problems).toEqual([]);
  expect(workerContainers(memberName)).toEqual([]);
  await expectNoRunContainers();
});

/** The JSON log lines of `proc` with this message. */
function logged(proc: CliProcess, msg: string | RegExp): Record<string, unknown>[] {
  return proc.logs().filter((l) => (typeof msg === 'string' ? l.msg === msg : msg.test(l.msg)));
}

describe('fleet over mutual TLS', () => {
  it('hosts reach each other only inside the prefix: no default route anywhere', () => {
    for (const role of ['hub', 'ops', 'w1', 'x'])
      expect(topology.routes(role)).toEqual([
        `${topology.prefix.text} dev eth0 proto kernel scope link src ${topology.host(role).address}`,
      ]);
  });

  it('a worker with a certificate of the fleet CA registers from its host and runs a task', async () => {
    expect(logged(member, 'registered with orchestrator')[0]).toMatchObject({ orchestratorAddr: hub.addr });
    const client = relay.client();
    try {
      const workers = await client.workers();
      expect(workers.map((w) => [w.name, w.connected, w.metadata?.labels])).toEqual([
        [memberName, true, { zone: 'a' }],
      ]);
      const { taskId } = await client.submit({
        tool: 'exec',
        params: { command: 'cat note.txt' },
        mountSource: workspaceDir,
      });
      const finished = await client.wait(taskId);
      expect(notCompleted([finished])).toEqual([]);
      expect(finished.stdout.toString()).toBe('fleet\n');
      expect((await client.status(taskId)).agentName).toBe(memberName);
    } finally {
      client.close();
    }
  });

  it("the operator's CLI reaches the hub from its own host with --tls-ca/--tls-cert/--tls-key", async () => {
    // prettier-ignore
    const r = await runCli('orchestrator', ['workers', '--json', '--addr', hub.addr, '--tls-ca', pki.ca.cert,
      '--tls-cert', pki.operator.cert, '--tls-key', pki.operator.key, '--tls-server-name', HUB_NAME],
      { netns: topology.host('ops').netns });
    expect([r.code, r.stderr]).toEqual([0, '']);
    const listed = JSON.parse(r.stdout) as { name: string; labels: Record<string, string>; slots: number }[];
    expect(listed.map((w) => [w.name, w.labels, w.slots])).toEqual([[memberName, { zone: 'a' }, 2]]);
  });

  it('a certificate of another CA, an expired one, or none is refused, and both sides say why', async () => {
    const ready = /"msg":"connection attempt failed"/;
    const common = { hubAddr: hub.addr, policyFile, role: 'x', ready };
    const [rogue, expired, none] = await Promise.all([
      startFleetWorker(topology, pki, { ...common, name: intruders.rogue, cert: pki.rogue }),
      startFleetWorker(topology, pki, { ...common, name: intruders.expired, cert: pki.expired }),
      startFleetWorker(topology, pki, { ...common, name: intruders.none, cert: null }),
    ]);
    const hubSays = `${topology.host('hub').address}:7443 closed the connection after the TLS handshake: orchestrator refused the client certificate: `;
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
      cases.every((c) => logged(hub.proc, /^refused a TLS client: /).some((l) => l['code'] === c.code)),
    );
    const refusals = logged(hub.proc, /^refused a TLS client: /);
    for (const c of cases) {
      // The worker: one clear line per attempt, with what the hub told it.
      expect(logged(c.proc, 'connection attempt failed')[0]).toMatchObject({
        code: 'CONNECT_FAILED',
        error: `cannot reach the orchestrator at ${hub.addr}: ${hubSays}${c.reason}`,
      });
      expect(c.proc.stdout()).not.toMatch(/registered with orchestrator/);
      // The hub: the peer is the intruders' host, the subject and the reason are named.
      expect(refusals).toContainEqual(
        expect.objectContaining({
          msg: `refused a TLS client: ${c.reason}`,
          code: c.code,
          subject: c.subject,
          peer: expect.stringMatching(new RegExp(`^${topology.host('x').address.replace(/\./g, '\\.')}:\\d+$`)),
        }),
      );
    }
    const client = relay.client();
    try {
      expect((await client.workers()).map((w) => w.name)).toEqual([memberName]);
    } finally {
      client.close();
    }
    await Promise.all([rogue.kill(), expired.kill(), none.kill()]);
  });
});
