/**
 * A hub (`orchestrator serve`) and workers (`worker`) as child processes on a
 * temp unix socket, with JSON logs on stdout, plus the policy file that lets
 * tools mount one workspace and reach one loopback port.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { OFFLINE_BUSYBOX_IMAGE, OFFLINE_CURL_IMAGE, containersWithLabel, runContainers } from '@baaaht/test-utils';
import { loopbackPolicyYaml } from '../../../apps/worker/src/test-support/fake-web';
import { cleanEnv, startCli, tempDir, tempSocketPath } from './processes';
import type { CliProcess } from './processes';

export const WORKER_ID_LABEL = 'org.baaaht.worker-id';
export const TOOL_IMAGES = `*=${OFFLINE_BUSYBOX_IMAGE},fetch_url=${OFFLINE_CURL_IMAGE},web_search=${OFFLINE_CURL_IMAGE}`;
/** Tool containers run as this owner in the test workspaces (nobody-like, not root). */
export const OWNER = { uid: 1234, gid: 1234 };

export interface HubProcessOptions {
  /** `unix:///…` address; a fresh temp socket when omitted. */
  addr?: string;
  /** Durable store directory (`--data`); memory when omitted. */
  dataDir?: string;
  /** `--lease`, e.g. `3s`. */
  lease?: string;
}

export interface HubProcess {
  proc: CliProcess;
  addr: string;
}

export async function startHub(options: HubProcessOptions = {}): Promise<HubProcess> {
  const addr = options.addr ?? `unix://${tempSocketPath('hub')}`;
  const args = ['serve', '--listen', addr, '--log-format', 'json'];
  if (options.dataDir) args.push('--data', options.dataDir);
  if (options.lease) args.push('--lease', options.lease);
  const proc = startCli('orchestrator', args);
  await proc.waitFor(/"msg":"orchestrator listening"/, 90_000);
  return { proc, addr };
}

export interface WorkerProcessOptions {
  addr: string;
  name: string;
  policyFile?: string;
  slots?: number;
  /** Extra CLI flags. */
  args?: string[];
}

export async function startWorker(options: WorkerProcessOptions): Promise<CliProcess> {
  const args = [
    '--orchestrator-addr',
    options.addr,
    '--name',
    options.name,
    '--log-format',
    'json',
    '--reconnect-interval',
    '1s',
    '--heartbeat-interval',
    '2s',
    '--max-concurrent-tasks',
    String(options.slots ?? 4),
    '--pull-policy',
    'never',
    ...(options.policyFile ? ['--policy', options.policyFile] : []),
    ...(options.args ?? []),
  ];
  const proc = startCli('worker', args, { env: cleanEnv({ WORKER_TOOL_IMAGE: TOOL_IMAGES }) });
  await proc.waitFor(/"msg":"worker ready"/, 90_000);
  return proc;
}

/** A policy file that lets tools mount `workspace` read-write and reach 127.0.0.1 on `port` (the default forbids loopback). */
export function writeLoopbackPolicy(workspace: string, port: number): string {
  const file = path.join(tempDir('policy'), 'policy.yaml');
  fs.writeFileSync(file, loopbackPolicyYaml(workspace, port));
  return file;
}

export function workerContainers(workerId: string): string[] {
  return containersWithLabel(`${WORKER_ID_LABEL}=${workerId}`);
}

/**
 * The suite's closing check: no container of this test run's workers (their names carry the run id,
 * `runScopedName()`), running or not. Containers of other workers on the engine are none of its
 * business. Other files of this run may still have short-lived containers (a combined jest run), so
 * this waits (bounded) for the set to drain; the tests assert their own worker's containers
 * immediately and strictly.
 */
export async function expectNoRunContainers(limitMs = 60_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (runContainers().length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 500));
  expect(runContainers()).toEqual([]);
}

/** Whether the host's engine (DOCKER_HOST or the default socket) answers `docker info`: read only. */
export function hostEngineAnswers(): Promise<boolean> {
  return new Promise((resolve) => {
    execFile('docker', ['info', '--format', '{{.ServerVersion}}'], { timeout: 10_000 }, (err) => resolve(!err));
  });
}
