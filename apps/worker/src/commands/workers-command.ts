/** `orchestrator workers`: the workers the orchestrator knows, as a table or JSON. */
import type { HubClient } from '@baaaht/hub';
import { AgentState } from '@baaaht/proto';
import type { Agent as WorkerRecord } from '@baaaht/proto';
import type { CommandSpec, ParsedCommand } from '../args';
import type { CliIo } from '../cli-io';
import { writeOut } from '../cli-io';
import { formatTable } from '../table';
import { ADDR_FLAG, CLIENT_TLS_FLAGS, JSON_FLAG, TOKEN_FLAG } from './orchestrator-flags';

export const workersCommand: CommandSpec = {
  name: 'orchestrator workers',
  brief: 'list workers',
  usage: 'orchestrator workers --addr ADDR [--json]',
  summary: 'Lists the workers the orchestrator knows.',
  flags: { addr: ADDR_FLAG, 'auth-token': TOKEN_FLAG, json: JSON_FLAG, ...CLIENT_TLS_FLAGS },
  configFlags: false,
  minPositionals: 0,
  maxPositionals: 0,
};

function workerJson(w: WorkerRecord): Record<string, unknown> {
  return {
    id: w.id,
    name: w.name,
    state: AgentState[w.state] ?? String(w.state),
    connected: w.connected,
    draining: w.draining,
    freeSlots: w.freeSlots,
    activeTasks: w.activeTasks,
    tools: w.capabilities?.supportedTools ?? [],
    labels: { ...(w.metadata?.labels ?? {}) },
    slots: w.capabilities?.maxConcurrentTasks ?? 0,
    registeredAt: w.registeredAt?.toISOString() ?? null,
    lastHeartbeat: w.lastHeartbeat?.toISOString() ?? null,
  };
}

export async function runWorkersCommand(client: HubClient, parsed: ParsedCommand, io: CliIo): Promise<number> {
  const workers = await client.workers();
  if (parsed.values['json'] === true) {
    await writeOut(io.stdout, JSON.stringify(workers.map(workerJson), null, 2) + '\n');
    return 0;
  }
  if (workers.length === 0) {
    await writeOut(io.stdout, 'no workers\n');
    return 0;
  }
  const rows = workers.map((w) => [
    w.name,
    w.id,
    w.connected ? (w.draining ? 'draining' : 'connected') : 'disconnected',
    String(w.freeSlots),
    String(w.activeTasks.length),
  ]);
  await writeOut(io.stdout, formatTable(['NAME', 'ID', 'STATE', 'FREE', 'RUNNING'], rows, { aligned: true }));
  return 0;
}
