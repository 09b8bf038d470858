/**
 * `orchestrator serve` on a temporary unix socket and one real `worker` connected to it: the setup of the
 * integration tests that drive both binaries. Logs are JSON so tests can wait for exact messages.
 */
import { cleanEnv, startCli, tempSocketPath } from './cli-process';
import type { CliProcess, CliResult } from './cli-process';

export interface CliStackOptions {
  workerName: string;
  policyFile: string;
  /** WORKER_TOOL_IMAGE, e.g. `*=baaaht/tools-busybox:offline,fetch_url=baaaht/tools-web:offline`. */
  images: string;
  /** Extra worker flags; with `--status-addr` the bound address is awaited and returned. */
  workerArgs?: readonly string[];
  /** Extra `orchestrator serve` flags; with `--metrics-listen` the bound address is awaited and returned. */
  orchestratorArgs?: readonly string[];
  /** Extra environment of both processes (on top of `cleanEnv()`), e.g. OTEL_* settings. @default {} */
  env?: Record<string, string>;
}

export interface CliStack {
  /** `unix:///…/hub.sock`. */
  addr: string;
  orchestrator: CliProcess;
  worker: CliProcess;
  /** `127.0.0.1:PORT` when `workerArgs` has `--status-addr`. */
  statusAddr: string | undefined;
  /** `127.0.0.1:PORT` when `orchestratorArgs` has `--metrics-listen`. */
  metricsAddr: string | undefined;
  /** Stops the worker (SIGTERM: it drains), then the orchestrator with SIGTERM; resolves with the orchestrator's exit. */
  stop(): Promise<CliResult | undefined>;
}

export async function startCliStack(options: CliStackOptions): Promise<CliStack> {
  const addr = `unix://${tempSocketPath('hub')}`;
  const orchestratorArgs = options.orchestratorArgs ?? [];
  const env = options.env ?? {};
  const orchestrator = startCli(
    'orchestrator',
    ['serve', '--listen', addr, '--log-format', 'json', ...orchestratorArgs],
    {
      env: cleanEnv(env),
    },
  );
  let worker: CliProcess | undefined;
  const stop = async (): Promise<CliResult | undefined> => {
    await worker?.stop();
    if (orchestrator.child.exitCode !== null || orchestrator.child.signalCode !== null) return orchestrator.exited;
    orchestrator.child.kill('SIGTERM');
    return orchestrator.exited;
  };
  try {
    await orchestrator.waitFor(/"msg":"orchestrator listening"/);
    const metricsAddr = orchestratorArgs.includes('--metrics-listen')
      ? (await orchestrator.waitFor(/"address":"([^"]+)","msg":"metrics server listening"/))[1]
      : undefined;
    const workerArgs = options.workerArgs ?? [];
    worker = startCli(
      'worker',
      [
        '--orchestrator-addr',
        addr,
        '--name',
        options.workerName,
        '--policy',
        options.policyFile,
        '--log-format',
        'json',
        ...workerArgs,
      ],
      { env: cleanEnv({ ...env, WORKER_TOOL_IMAGE: options.images }) },
    );
    let statusAddr: string | undefined;
    if (workerArgs.includes('--status-addr')) {
      statusAddr = (await worker.waitFor(/"address":"([^"]+)","msg":"status server ready"/))[1];
    }
    await worker.waitFor(/"msg":"worker ready"/);
    return { addr, orchestrator, worker, statusAddr, metricsAddr, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
