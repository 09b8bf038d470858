import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { createDockerClient, discoverDockerEngine, runtimeRegistrationHint } from '@baaaht/executor';
import type { DockerDiscovery, DockerDiscoveryOptions, EngineVersion, ToolProbeResult } from '@baaaht/executor';
import { checkPolicyFile, loadPolicyFile, requiredRuntimes } from '@baaaht/policy';
import type { Policy } from '@baaaht/policy';
import { inspectSocketPath } from '@baaaht/proto';
import type { CommandSpec } from '../args';
import { formatDuration } from '../durations';
import type { CliIo } from '../cli-io';
import { writeOut } from '../cli-io';
import type { WorkerConfig } from '../config-schema';
import { probeAdvice, unavailableTools } from '../tool-availability';
import { imageChecks, probeCatalogImages, workspaceChecks } from './doctor-images';

export const doctorCommand: CommandSpec = {
  name: 'worker doctor',
  brief: 'check Docker, tool images, the orchestrator socket and the policy',
  usage: 'worker doctor [options]',
  summary:
    'Checks what the worker needs: the Docker engine (version, API), each tool image (with --tool-image overrides and\n' +
    '--offline-images: present and holding the programs its tools call, or pulled on first use), the OCI runtime, the\n' +
    'orchestrator socket (and whether its placement is trusted), the policy, whether anything can be mounted, and which\n' +
    'tools this configuration cannot offer (web_search without --search-backend-url, an image missing under --pull-policy\n' +
    'never or lacking a program). Prints one line per check and how to fix each failure; exits 0 without failures\n' +
    '(warnings are counted), 1 otherwise. Finds the engine as the worker does (DOCKER_HOST, the docker CLI context, the\n' +
    'default, rootless Docker and Podman sockets, in that order) and prints which one it chose and why.',
  flags: { json: { type: 'boolean', description: 'print the checks as JSON' } },
  configFlags: true,
  minPositionals: 0,
  maxPositionals: 0,
};

/** One check's outcome. */
export interface DoctorCheck {
  name: string;
  ok: boolean;
  detail: string;
  /** How to fix a failure. */
  fix?: string;
  /** Passed, but worth a look (a tool this configuration does not offer): printed with `!`. */
  notice?: true;
  /** Passed, but something will not work (nothing can be mounted): printed with `!`, counted in the summary. */
  warning?: true;
  /** More about the check, one line each (printed indented under it). */
  lines?: string[];
}

const DOCKER_TIMEOUT_MS = 5_000;

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${formatDuration(ms)}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Which engine discovery chose, by which strategy, and every candidate with its status (found, answered, or
 * skipped and why), so an operator sees why their rootless or Podman socket was or was not used.
 */
export function dockerEndpointCheck(discovery: DockerDiscovery): DoctorCheck {
  return {
    name: 'docker endpoint',
    ok: true,
    detail: `${discovery.host}, chosen by ${discovery.strategy} (${discovery.reason})`,
    lines: discovery.candidates.map(
      (c) =>
        `${c.strategy}${c.host === undefined ? '' : ` ${c.host}`}: ${c.status}` +
        (c.status === 'skipped' ? `: ${c.reason}` : ''),
    ),
  };
}

/** What doctor's Docker checks may be given instead of the real engine (tests). */
export interface DoctorDockerOptions {
  /** Discovery's paths, stat, uid and ping. @default the real ones */
  discovery?: Omit<DockerDiscoveryOptions, 'env'>;
}

async function dockerChecks(
  config: WorkerConfig,
  env: NodeJS.ProcessEnv,
  options: DoctorDockerOptions,
): Promise<{ checks: DoctorCheck[]; probe: ToolProbeResult[] }> {
  const checks: DoctorCheck[] = [];
  let discovery: DockerDiscovery;
  try {
    discovery = await discoverDockerEngine({ ...options.discovery, env });
  } catch (err) {
    const display = env['DOCKER_HOST'] || 'unix:///var/run/docker.sock';
    return {
      checks: [
        {
          name: 'docker',
          ok: false,
          detail: `DOCKER_HOST=${display}: ${(err as Error).message}`,
          fix: 'set DOCKER_HOST to unix:///path or tcp://host:port',
        },
      ],
      probe: [],
    };
  }
  checks.push(dockerEndpointCheck(discovery));
  const display = discovery.host;
  const docker = createDockerClient({ connection: discovery.connection });
  let version: EngineVersion;
  let runtimes: string[];
  try {
    version = await withTimeout(docker.engine.version(), DOCKER_TIMEOUT_MS, 'docker version');
    runtimes = await withTimeout(docker.engine.runtimes(), DOCKER_TIMEOUT_MS, 'docker info');
    checks.push({
      name: 'docker',
      ok: true,
      detail: `engine ${version.version} (API ${version.apiVersion}) at ${display}`,
    });
  } catch (err) {
    checks.push({
      name: 'docker',
      ok: false,
      detail: `no Docker engine answers at ${display}: ${(err as Error).message}`,
      fix: 'start dockerd (e.g. `dockerd --bridge=none --iptables=false &`), check DOCKER_HOST (or the socket discovery chose), and make sure this user may use the socket (docker group)',
    });
    checks.push({
      name: 'images',
      ok: false,
      detail: 'not checked: Docker is unreachable',
      fix: 'fix the docker check first',
    });
    return { checks, probe: [] };
  }

  const probe = await probeCatalogImages(config, env, docker);
  checks.push(...imageChecks(config, probe, env));

  if (runtimes.length > 0) checks.push(...runtimeChecks(config, runtimes, env));
  return { checks, probe };
}

/**
 * The worker's `--runtime` and every runtime the policy requires (`security.runtime`, globally or per
 * tool) must be registered with the engine; a missing one says how to register it (the daemon.json entry).
 */
export function runtimeChecks(
  config: Pick<WorkerConfig, 'runtime' | 'policy'>,
  runtimes: readonly string[],
  env: NodeJS.ProcessEnv,
): DoctorCheck[] {
  const wanted: Array<{ runtime: string; by: string }> = [{ runtime: config.runtime, by: '--runtime' }];
  if (config.policy !== undefined) {
    let policy: Policy | undefined;
    try {
      policy = loadPolicyFile(config.policy, { env });
    } catch {
      // The policy check reports an unreadable or invalid file.
    }
    if (policy !== undefined && policy.mode !== 'disabled')
      for (const r of requiredRuntimes(policy)) wanted.push({ runtime: r.runtime, by: `policy ${r.setting}` });
  }
  const checks: DoctorCheck[] = [];
  for (const runtime of new Set(wanted.map((w) => w.runtime))) {
    const by = wanted.filter((w) => w.runtime === runtime).map((w) => w.by);
    const ok = runtimes.includes(runtime);
    const why = by.join(', ');
    checks.push({
      name: `runtime ${runtime}`,
      ok,
      detail: ok
        ? `registered (for ${why})`
        : `not registered with the engine (available: ${runtimes.join(', ')}), needed by ${why}`,
      ...(ok ? {} : { fix: `${runtimeRegistrationHint(runtime)}; or use another runtime` }),
    });
  }
  return checks;
}

async function orchestratorCheck(address: string): Promise<DoctorCheck> {
  const name = 'orchestrator';
  const fix = `start the orchestrator (e.g. \`orchestrator serve --listen ${address}\`) or point --orchestrator-addr / ORCHESTRATOR_URL at it`;
  let target: net.NetConnectOpts;
  if (address.startsWith('unix:')) {
    const socketPath = address.slice('unix:'.length).replace(/^\/\/(?=\/)/, '');
    let stat: fs.Stats;
    try {
      stat = fs.statSync(socketPath);
    } catch {
      return { name, ok: false, detail: `socket ${socketPath} does not exist`, fix };
    }
    if (!stat.isSocket()) return { name, ok: false, detail: `${socketPath} exists but is not a socket`, fix };
    target = { path: socketPath };
  } else {
    const hostPort = address.replace(/^(dns|ipv4|ipv6):(\/\/\/?)?/, '');
    const i = hostPort.lastIndexOf(':');
    target = { host: hostPort.slice(0, i).replace(/^\[|\]$/g, ''), port: Number(hostPort.slice(i + 1)) };
  }
  const error = await new Promise<Error | undefined>((resolve) => {
    const socket = net.connect(target);
    socket.setTimeout(DOCKER_TIMEOUT_MS, () => {
      socket.destroy();
      resolve(new Error('connect timed out'));
    });
    socket.once('connect', () => {
      socket.end();
      resolve(undefined);
    });
    socket.once('error', (err) => resolve(err));
  });
  return error
    ? { name, ok: false, detail: `cannot connect to ${address}: ${error.message}`, fix }
    : { name, ok: true, detail: `${address} accepts connections` };
}

/**
 * Whether the socket is placed where only this user and root control it: the
 * rule the worker applies before every connect (UNTRUSTED_SOCKET otherwise).
 */
export function socketPlacementCheck(address: string): DoctorCheck | undefined {
  if (!address.startsWith('unix:')) return undefined;
  const name = 'socket placement';
  const socketPath = address.slice('unix:'.length).replace(/^\/\/(?=\/)/, '');
  const placement = inspectSocketPath(socketPath);
  if (placement.verdict === 'untrusted')
    return {
      name,
      ok: false,
      detail: `untrusted, the worker refuses it: ${placement.problem ?? ''}`,
      ...(placement.fix !== undefined ? { fix: placement.fix } : {}),
    };
  if (placement.verdict === 'trusted') {
    const where = placement.shared
      ? `a shared sticky directory (mode ${placement.directoryMode ?? '?'}): trusted only because of its owner; prefer the private default`
      : `a private directory (mode ${placement.directoryMode ?? '?'})`;
    return { name, ok: true, detail: `${socketPath} is owned by ${placement.ownerName ?? '?'} in ${where}` };
  }
  const dir = path.dirname(socketPath);
  const parent = inspectSocketPath(dir, { expect: 'directory' });
  if (parent.verdict === 'untrusted')
    return {
      name,
      ok: false,
      detail: `no socket yet, and its directory is untrusted: ${parent.problem ?? ''}`,
      ...(parent.fix !== undefined ? { fix: parent.fix } : {}),
    };
  return {
    name,
    ok: true,
    detail:
      parent.verdict === 'absent'
        ? `no socket yet; orchestrator serve creates ${dir} mode 0700`
        : `no socket yet; ${dir} is ${parent.shared ? 'shared (sticky)' : 'private'}`,
  };
}

/**
 * Tools this configuration does not offer. An image without a program the tool calls is a failure (the
 * operator pointed the tool at the wrong image); web_search without a backend is a notice (the rest work).
 * A missing image is reported by its image check.
 */
export function toolAvailabilityChecks(
  config: Pick<WorkerConfig, 'searchBackendUrl'> & Partial<Pick<WorkerConfig, 'offlineImages'>>,
  probe: readonly ToolProbeResult[] = [],
  env: NodeJS.ProcessEnv = process.env,
): DoctorCheck[] {
  const unavailable = unavailableTools(config, probe, env);
  const checks: DoctorCheck[] = [];
  for (const [tool, reason] of unavailable) {
    const probed = probe.find((r) => r.tool === tool && r.status === 'unavailable');
    if (probed === undefined) {
      checks.push({ name: `tool ${tool}`, ok: true, notice: true, detail: `not offered: ${reason}` });
    } else if (probed.missing !== undefined) {
      // A missing image is its image check's failure; a program missing from a present image is the tool's.
      const advice = probeAdvice(probed, config.offlineImages, env);
      checks.push({ name: `tool ${tool}`, ok: false, detail: `not offered: ${advice.reason}`, fix: advice.fix });
    }
  }
  if (!unavailable.has('web_search') && config.searchBackendUrl !== undefined)
    checks.push({ name: 'tool web_search', ok: true, detail: `offered, search backend ${config.searchBackendUrl}` });
  return checks;
}

function policyCheck(config: WorkerConfig, env: NodeJS.ProcessEnv): DoctorCheck {
  if (config.policy === undefined) {
    const roots = config.workspaceRoots.length > 0 ? config.workspaceRoots.join(', ') : 'none';
    return { name: 'policy', ok: true, detail: `default policy (workspace roots: ${roots})` };
  }
  const problems = checkPolicyFile(config.policy, { env });
  if (problems.length === 0) return { name: 'policy', ok: true, detail: `${config.policy} loads` };
  return {
    name: 'policy',
    ok: false,
    detail: `${config.policy}: ${problems.join('; ')}`,
    fix: `fix the file (worker policy check ${config.policy} lists every problem)`,
  };
}

/** Runs every check; never throws for a failing check. */
export async function runDoctorChecks(
  config: WorkerConfig,
  env: NodeJS.ProcessEnv,
  options: DoctorDockerOptions = {},
): Promise<DoctorCheck[]> {
  const [docker, orchestrator] = await Promise.all([
    dockerChecks(config, env, options),
    orchestratorCheck(config.orchestratorAddr),
  ]);
  const placement = socketPlacementCheck(config.orchestratorAddr);
  return [
    ...docker.checks,
    orchestrator,
    ...(placement ? [placement] : []),
    policyCheck(config, env),
    ...workspaceChecks(config, env),
    ...toolAvailabilityChecks(config, docker.probe, env),
  ];
}

export function formatDoctor(checks: readonly DoctorCheck[]): string {
  const lines: string[] = [];
  for (const c of checks) {
    lines.push(`${c.ok ? (c.notice || c.warning ? '!' : '✓') : '✗'} ${c.name}: ${c.detail}`);
    for (const line of c.lines ?? []) lines.push(`    - ${line}`);
    if ((!c.ok || c.warning) && c.fix) lines.push(`    fix: ${c.fix}`);
  }
  const failed = checks.filter((c) => !c.ok).length;
  const warned = checks.filter((c) => c.ok && c.warning).length;
  const warnings = `${warned} warning${warned === 1 ? '' : 's'}`;
  if (failed > 0) lines.push(`${failed} check${failed === 1 ? '' : 's'} failed${warned > 0 ? `, ${warnings}` : ''}`);
  else lines.push(warned > 0 ? `no failures, ${warnings}` : 'all checks passed');
  return lines.join('\n') + '\n';
}

export async function runDoctorCommand(config: WorkerConfig, io: CliIo, json = false): Promise<number> {
  const checks = await runDoctorChecks(config, io.env);
  await writeOut(io.stdout, json ? JSON.stringify(checks, null, 2) + '\n' : formatDoctor(checks));
  return checks.every((c) => c.ok) ? 0 : 1;
}
