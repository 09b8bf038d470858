import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createHubClient } from '@baaaht/hub';
import { offlineToolImages } from '@baaaht/test-utils';
import { startBin, stopProcess, waitFor } from './processes';

/** A dev orchestrator and one connected worker, separate processes on a Unix socket. */
export interface Stack {
  client: ReturnType<typeof createHubClient>;
  worker: ChildProcess;
  /** The worker's name, which is also its worker id (the `org.baaaht.worker-id` label of its containers). */
  name: string;
  /** The worker's node process (bin/worker is a bash launcher that execs node). */
  workerPid: () => Promise<number>;
  /** The orchestrator's node process (bin/orchestrator execs node too). */
  hubPid: () => Promise<number>;
  close: () => Promise<void>;
}

/** @param workerArgs more `bin/worker` flags, e.g. `['--sessions']` */
export async function startStack(ws: string, tag: string, workerArgs: readonly string[] = []): Promise<Stack> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `baaaht-bench-${tag}-`));
  const addr = `unix://${dir}/hub.sock`;
  const hub = startBin('orchestrator', ['serve', '--listen', addr, '--log-level', 'warn']);
  const images = Object.entries(offlineToolImages()).flatMap(([t, i]) => ['--tool-image', `${t}=${i}`]);
  // Unique per bench process: a worker id is leased, and another bench on the host may hold `bench-<tag>`.
  const name = `bench-${tag}-${process.pid}`;
  const worker = startBin('worker', [
    ...['--orchestrator-addr', addr, '--name', name, '--workspace-root', ws],
    ...['--max-concurrent-tasks', '4', '--log-level', 'warn', '--pull-policy', 'never'],
    ...images,
    ...workerArgs,
  ]);
  const client = createHubClient(addr);
  const close = async (): Promise<void> => {
    client.close();
    await stopProcess(worker);
    await stopProcess(hub);
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitFor('worker registered', async () => {
      try {
        return (await client.workers()).some((w) => w.connected);
      } catch {
        return false;
      }
    });
  } catch (err) {
    await close();
    throw err;
  }
  const nodePid = (child: ChildProcess, what: string) => async (): Promise<number> => {
    const pid = child.pid!;
    await waitFor(what, () => fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('node'));
    return pid;
  };
  return {
    client,
    worker,
    name,
    workerPid: nodePid(worker, 'worker process'),
    hubPid: nodePid(hub, 'orchestrator process'),
    close,
  };
}
