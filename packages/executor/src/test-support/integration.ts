import { randomBytes } from 'node:crypto';
import { createToolCatalog } from '@baaaht/tool-specs';
import type { ToolSpec } from '@baaaht/tool-specs';
import { containersWithLabel, OFFLINE_BUSYBOX_IMAGE, offlineToolImages } from '@baaaht/test-utils';
import { createExecutor } from '../executor';
import type { Executor } from '../executor';
import type { ExecutorOptions } from '../executor-options';
import { LABELS } from '../labels';
import type { Logger } from '../logger';

export const MiB = 1024 * 1024;

/** Constant scripts for hostile cases; data (a port) travels in the environment, never in the script. */
export const HOSTILE_SCRIPTS = {
  forkbomb: 'b() { b | b & }; b; sleep 60',
  memhog: 'x=0123456789abcdef; while :; do x="$x$x"; done',
  loop: 'while :; do :; done',
  flood: 'head -c 52428800 /dev/zero',
  sleep: 'echo sleeping; exec sleep 60',
  'sleep-ignoring-term': "trap '' TERM; echo sleeping; sleep 60; echo woke",
  net: 'ls /sys/class/net; if nc -w 2 127.0.0.1 "$PORT" </dev/null; then echo NC_CONNECTED; else echo NC_FAILED; fi; if wget -q -T 2 -O - "http://127.0.0.1:$PORT/"; then echo WGET_OK; else echo WGET_FAILED; fi',
} as const;

export type HostileCase = keyof typeof HOSTILE_SCRIPTS;

/** A test-only tool registered through the catalog: `sh -c` with one of the constant scripts above. */
export const hostileTool: ToolSpec<{ case: HostileCase; port?: number }> = {
  name: 'hostile',
  displayName: 'Hostile test tool',
  description: 'Test only: runs one of a fixed set of misbehaving shell scripts.',
  version: '1.0.0',
  parameters: {
    type: 'object',
    properties: {
      case: { type: 'string', enum: Object.keys(HOSTILE_SCRIPTS) },
      port: { type: 'integer', minimum: 1, maximum: 65535 },
    },
    required: ['case'],
    additionalProperties: false,
  },
  image: OFFLINE_BUSYBOX_IMAGE,
  workspace: 'none',
  network: 'none',
  readOnlyRootfs: true,
  resources: { cpus: 0.5, memoryBytes: 32 * MiB, pidsLimit: 16 },
  timeoutMs: 20_000,
  command: (p) => ({ argv: ['sh', '-c', HOSTILE_SCRIPTS[p.case]], env: { PORT: String(p.port ?? 9) } }),
};

export interface LogEntry {
  level: string;
  message: string;
  meta: Record<string, unknown>;
}

export function captureLogger(): { logger: Logger; entries: LogEntry[] } {
  const entries: LogEntry[] = [];
  const at =
    (level: string) =>
    (message: string, meta: Record<string, unknown> = {}) =>
      void entries.push({ level, message, meta });
  return {
    logger: { trace: at('trace'), debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') },
    entries,
  };
}

/** A unique worker id per test file, so parallel suites never reap each other's containers. */
export function testWorkerId(name: string): string {
  return `it-${name}-${process.pid}-${randomBytes(3).toString('hex')}`;
}

export function workerContainers(workerId: string): string[] {
  return containersWithLabel(`${LABELS.workerId}=${workerId}`);
}

export function openTestExecutor(workerId: string, options: ExecutorOptions = {}): Promise<Executor> {
  return createExecutor({
    workerId,
    reapIntervalMs: 0,
    imageOverrides: { ...offlineToolImages(), hostile: OFFLINE_BUSYBOX_IMAGE },
    catalog: createToolCatalog({ custom: [hostileTool] }),
    pullPolicy: 'never',
    ...options,
  });
}
