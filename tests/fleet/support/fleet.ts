/**
 * A fleet on one machine: `orchestrator serve` in the hub's namespace on TCP with mutual TLS, one
 * `worker` per worker namespace dialling it with its own client certificate, and the operator's relay
 * (tls-relay.ts) through which the test submits and reads tasks. Every worker reaches the host's Docker
 * engine through its Unix socket (namespaces do not isolate the filesystem) and runs `exec` tasks in
 * real containers on the offline busybox image.
 */
import fs from 'node:fs';
import path from 'node:path';
import { createHubClient } from '@baaaht/hub';
import type { HubClient } from '@baaaht/hub';
import type { Task } from '@baaaht/proto';
import { TestCa, createTempWorkspace, runScopedName } from '@baaaht/test-utils';
import type { CertFiles, TempWorkspace } from '@baaaht/test-utils';
import { execPolicyYaml } from '../../../apps/worker/src/test-support/exec-policy';
import { OWNER, TOOL_IMAGES, expectNoRunContainers, workerContainers } from '../../fault/support/cluster';
import {
  REPO_ROOT,
  cleanEnv,
  killAllChildren,
  removeTempDirs,
  startCli,
  startNodeScript,
  stopGracefully,
  tempDir,
  tempSocketPath,
} from '../../fault/support/processes';
import type { CliProcess } from '../../fault/support/processes';
import { FleetTopology } from './topology';

export const HUB_PORT = 7443;
/** The name in the hub's certificate; workers dial its address and check this name (`--tls-server-name`). */
export const HUB_NAME = 'hub.fleet.test';

/** The suite's certificates: the fleet CA and what it signed, plus an unrelated CA. */
export interface FleetPki {
  ca: TestCa;
  hub: CertFiles;
  operator: CertFiles;
  /** One client certificate per worker role, `CN=<role>`. */
  worker(role: string): CertFiles;
  /** Signed by the fleet CA, valid only in January 2020. */
  expired: CertFiles;
  /** A CA the hub does not trust, and a client certificate it signed. */
  rogueCa: TestCa;
  rogue: CertFiles;
}

export function createFleetPki(topology: FleetTopology): FleetPki {
  const dir = tempDir('pki');
  const ca = TestCa.create(dir, 'fleet-ca');
  const rogueCa = TestCa.create(dir, 'rogue-ca');
  const workers = new Map<string, CertFiles>();
  return {
    ca,
    hub: ca.issue('hub', { usage: 'server', dns: [HUB_NAME], ips: [topology.host('hub').address] }),
    operator: ca.issue('operator', { usage: 'client' }),
    worker(role) {
      let files = workers.get(role);
      if (files === undefined) {
        files = ca.issue(role, { usage: 'client' });
        workers.set(role, files);
      }
      return files;
    },
    expired: ca.issue('expired', { usage: 'client', expired: true }),
    rogueCa,
    rogue: rogueCa.issue('rogue', { usage: 'client' }),
  };
}

export interface FleetHubOptions {
  dataDir?: string;
  /** @default '2s' */
  lease?: string;
}

export interface FleetHub {
  proc: CliProcess;
  /** `host:port` the workers dial. */
  addr: string;
}

/** `orchestrator serve` on the hub host's address, mutual TLS against the fleet CA, a short keepalive. */
export async function startFleetHub(
  topology: FleetTopology,
  pki: FleetPki,
  options: FleetHubOptions = {},
): Promise<FleetHub> {
  const addr = `${topology.host('hub').address}:${HUB_PORT}`;
  // prettier-ignore
  const args = ['serve', '--listen', addr, '--tls-cert', pki.hub.cert, '--tls-key', pki.hub.key, '--tls-ca', pki.ca.cert,
    '--lease', options.lease ?? '2s', '--keepalive-interval', '1s', '--keepalive-timeout', '1s', '--log-format', 'json'];
  if (options.dataDir !== undefined) args.push('--data', options.dataDir);
  const proc = startCli('orchestrator', args, { netns: topology.host('hub').netns });
  await proc.waitFor(/"msg":"orchestrator listening"/, 90_000);
  return { proc, addr };
}

export interface FleetRelay {
  proc: CliProcess;
  /** `unix:///…`: the hub, reached through the operator host with the operator's certificate. */
  addr: string;
  client(): HubClient;
}

export async function startRelay(topology: FleetTopology, pki: FleetPki): Promise<FleetRelay> {
  const socket = tempSocketPath('relay');
  const entry = path.join(REPO_ROOT, 'tests/fleet/support/tls-relay.ts');
  const target = `${topology.host('hub').address}:${HUB_PORT}`;
  const proc = startNodeScript(
    'tls-relay',
    entry,
    [socket, target, pki.ca.cert, pki.operator.cert, pki.operator.key, HUB_NAME],
    {
      netns: topology.host('ops').netns,
    },
  );
  await proc.waitFor(/relay ready/, 60_000);
  const addr = `unix://${socket}`;
  return { proc, addr, client: () => createHubClient(addr, { rpcTimeoutMs: 10_000 }) };
}

export interface FleetWorkerOptions {
  role: string;
  /** Worker name (`runScopedName()`), also the `org.baaaht.worker-id` label on its containers. */
  name: string;
  hubAddr: string;
  policyFile: string;
  /** @default 2 */
  slots?: number;
  labels?: Record<string, string>;
  /** Client certificate; `null` for none. @default the role's own from the fleet CA */
  cert?: CertFiles | null;
  /** Wait for this line before returning. @default `worker ready` */
  ready?: RegExp;
}

/** A worker in its role's namespace; reconnects every second, notices a dead link after 2 s + 2 s. */
export async function startFleetWorker(
  topology: FleetTopology,
  pki: FleetPki,
  options: FleetWorkerOptions,
): Promise<CliProcess> {
  const cert = options.cert === undefined ? pki.worker(options.role) : options.cert;
  // prettier-ignore
  const args = ['--orchestrator-addr', options.hubAddr, '--name', options.name, '--log-format', 'json',
    '--tls-ca', pki.ca.cert, '--tls-server-name', HUB_NAME,
    ...(cert !== null ? ['--tls-cert', cert.cert, '--tls-key', cert.key] : []),
    '--reconnect-interval', '1s', '--dial-timeout', '5s', '--heartbeat-interval', '1s',
    '--keepalive-interval', '2s', '--keepalive-timeout', '2s',
    '--max-concurrent-tasks', String(options.slots ?? 2), '--pull-policy', 'never', '--no-pool',
    '--policy', options.policyFile,
    ...Object.entries(options.labels ?? {}).flatMap(([k, v]) => ['--label', `${k}=${v}`])];
  const proc = startCli('worker', args, {
    netns: topology.host(options.role).netns,
    env: cleanEnv({ WORKER_TOOL_IMAGE: TOOL_IMAGES }),
  });
  await proc.waitFor(options.ready ?? /"msg":"worker ready"/, 90_000);
  return proc;
}

/** A workspace the `exec` tasks mount, and a policy that enables `exec` on it (the default refuses it). */
export function execWorkspace(): { workspace: TempWorkspace; policyFile: string } {
  const workspace = createTempWorkspace({ files: { 'note.txt': 'fleet\n' }, owner: OWNER });
  const policyFile = path.join(tempDir('policy'), 'policy.yaml');
  fs.writeFileSync(policyFile, execPolicyYaml(workspace.dir));
  return { workspace, policyFile };
}

export interface FleetWorkerSpec {
  role: string;
  slots: number;
  labels: Record<string, string>;
}

export interface RunningWorker {
  role: string;
  name: string;
  proc: CliProcess;
}

/** A whole fleet: topology (hub, ops and the workers' hosts), certificates, hub, relay, workers. */
export interface Fleet {
  topology: FleetTopology;
  pki: FleetPki;
  hub: FleetHub;
  relay: FleetRelay;
  workers: Map<string, RunningWorker>;
  worker(role: string): RunningWorker;
  workspaceDir: string;
  policyFile: string;
  /** Starts (again) the worker of a role under its name. */
  startWorker(spec: FleetWorkerSpec): Promise<RunningWorker>;
}

export interface StartFleetOptions {
  hub?: FleetHubOptions;
  /** Hosts with no worker started on them (for the test's own processes). @default [] */
  extraHosts?: string[];
}

export async function startFleet(
  tag: string,
  specs: readonly FleetWorkerSpec[],
  options: StartFleetOptions = {},
): Promise<Fleet> {
  const roles = ['hub', 'ops', ...specs.map((s) => s.role), ...(options.extraHosts ?? [])];
  const topology = FleetTopology.create({ tag, roles });
  // Whatever fails while the fleet comes up, nothing of it may outlive the failure.
  try {
    const pki = createFleetPki(topology);
    const { workspace, policyFile } = execWorkspace();
    const hub = await startFleetHub(topology, pki, options.hub);
    const workers = new Map<string, RunningWorker>();
    const startWorker = async (spec: FleetWorkerSpec): Promise<RunningWorker> => {
      const name = runScopedName(`fleet-${tag}-${spec.role}`);
      const proc = await startFleetWorker(topology, pki, { ...spec, name, hubAddr: hub.addr, policyFile });
      const running = { role: spec.role, name, proc };
      workers.set(spec.role, running);
      return running;
    };
    const [relay] = await Promise.all([startRelay(topology, pki), ...specs.map(startWorker)]);
    return {
      topology,
      pki,
      hub,
      relay,
      workers,
      worker(role) {
        const w = workers.get(role);
        if (w === undefined) throw new Error(`no worker ${role}`);
        return w;
      },
      workspaceDir: workspace.dir,
      policyFile,
      startWorker,
    };
  } catch (err) {
    await killAllChildren();
    topology.dispose();
    throw err;
  }
}

/**
 * The end of a fleet file (its `afterAll`): workers drained (SIGTERM, so nothing of theirs is left),
 * everything else killed, the topology and temp dirs removed; then asserts the topology's removal report is
 * empty and that no container of these workers, or of this run's, is left.
 */
export async function stopFleet(fleet: Fleet | undefined): Promise<void> {
  const names = fleet ? [...fleet.workers.values()].map((w) => w.name) : [];
  if (fleet !== undefined) await Promise.all([...fleet.workers.values()].map((w) => stopGracefully(w.proc)));
  await killAllChildren();
  const problems = fleet?.topology.dispose() ?? [];
  removeTempDirs();
  expect(problems).toEqual([]);
  for (const name of names) expect([name, workerContainers(name)]).toEqual([name, []]);
  await expectNoRunContainers();
}

export interface ExecTask {
  taskId: string;
  /** `exec`'s command line, run with /bin/sh -c in the workspace. */
  command: string;
  /** @default {} (any worker) */
  selector?: Record<string, string>;
}

/** Submits `exec` tasks mounting the fleet's workspace, through the operator's relay. */
export async function submitExec(fleet: Fleet, tasks: readonly ExecTask[]): Promise<void> {
  const client = fleet.relay.client();
  try {
    for (const t of tasks)
      await client.submit({
        taskId: t.taskId,
        tool: 'exec',
        params: { command: t.command },
        mountSource: fleet.workspaceDir,
        selector: t.selector ?? {},
      });
  } finally {
    client.close();
  }
}

/** The hub's record of each task (state, holder, attempts), through the relay. */
export async function taskStatuses(fleet: Fleet, ids: readonly string[]): Promise<Task[]> {
  const client = fleet.relay.client();
  try {
    return await Promise.all(ids.map((id) => client.status(id)));
  } finally {
    client.close();
  }
}
