import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createExecutor } from '@baaaht/executor';
import type { Executor, ExecutorOptions } from '@baaaht/executor';
import { createToolCatalog } from '@baaaht/tool-specs';
import type { ToolSpec } from '@baaaht/tool-specs';
import { OFFLINE_BUSYBOX_IMAGE, offlineToolImages } from '@baaaht/test-utils';

export const MiB = 1024 * 1024;

/** A bench-only tool that prints N bytes (constant script; the size is an argv element of head). */
export const floodTool: ToolSpec<{ bytes: number }> = {
  name: 'bench_flood',
  displayName: 'Bench: flood stdout',
  description: 'Benchmark only: prints `bytes` zero bytes.',
  version: '1.0.0',
  parameters: {
    type: 'object',
    properties: { bytes: { type: 'integer', minimum: 0, maximum: 2 ** 31 } },
    required: ['bytes'],
    additionalProperties: false,
  },
  image: OFFLINE_BUSYBOX_IMAGE,
  workspace: 'none',
  network: 'none',
  readOnlyRootfs: true,
  resources: { cpus: 1, memoryBytes: 64 * MiB, pidsLimit: 10 },
  timeoutMs: 120_000,
  command: (p) => ({ argv: ['head', '-c', String(p.bytes), '/dev/zero'] }),
};

/** A workspace with one 1 KB text file, `file.txt`, readable by the tools' unprivileged user. */
export function oneKbWorkspace(): string {
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'baaaht-bench-ws-')));
  fs.writeFileSync(path.join(dir, 'file.txt'), 'x'.repeat(1023) + '\n');
  fs.chmodSync(dir, 0o755);
  return dir;
}

/** A workspace with `n` small source files for the grep case. */
export function manyFilesWorkspace(n: number): string {
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'baaaht-bench-grep-')));
  fs.chmodSync(dir, 0o755);
  for (let i = 0; i < n; i++) {
    const sub = path.join(dir, `d${i % 50}`);
    if (i < 50) fs.mkdirSync(sub);
    const lines = Array.from({ length: 40 }, (_, j) => `line ${j} of file ${i}: lorem ipsum dolor sit amet ${i * j}`);
    if (i % 97 === 0) lines.push('// TODO: needle here');
    fs.writeFileSync(path.join(sub, `f${i}.ts`), lines.join('\n') + '\n');
  }
  return dir;
}

/**
 * A workspace where most bytes are in files `include: '*.ts'` never asks for: `ts` small TypeScript
 * files (every 5th holds the needle) and `logs` log files of `logMiB` MiB each without it.
 */
export function includeWorkspace(ts: number, logs: number, logMiB: number): string {
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'baaaht-bench-include-')));
  fs.chmodSync(dir, 0o755);
  fs.mkdirSync(path.join(dir, 'src'));
  fs.mkdirSync(path.join(dir, 'logs'));
  for (let i = 0; i < ts; i++) {
    const lines = Array.from({ length: 60 }, (_, j) => `export const v${j} = ${i * j}; // file ${i}`);
    if (i % 5 === 0) lines.push('// TODO: needle here');
    fs.writeFileSync(path.join(dir, 'src', `m${i}.ts`), lines.join('\n') + '\n');
  }
  const line = (n: number): string =>
    `2026-01-01T00:00:${String(n % 60).padStart(2, '0')}Z INFO req=${n} GET /api/items took ${n % 97}ms\n`;
  let log = '';
  for (let n = 0; log.length < logMiB * MiB; n++) log += line(n);
  for (let i = 0; i < logs; i++) fs.writeFileSync(path.join(dir, 'logs', `app-${i}.log`), log);
  return dir;
}

export async function benchExecutor(options: ExecutorOptions = {}): Promise<Executor> {
  return createExecutor({
    workerId: `bench-${process.pid}`,
    reapIntervalMs: 0,
    pullPolicy: 'never',
    maxConcurrentTasks: 8,
    maxQueuedTasks: 256,
    imageOverrides: { ...offlineToolImages(), bench_flood: OFFLINE_BUSYBOX_IMAGE },
    catalog: createToolCatalog({ custom: [floodTool] }),
    ...options,
  });
}

/** The 1 KB `file_read` every latency case measures; throws unless it completed. */
export async function readOneKb(executor: Executor, ws: string): Promise<void> {
  const r = await executor.executeTask({ tool: 'file_read', params: { path: 'file.txt' }, mountSource: ws });
  if (r.status !== 'completed') throw new Error(`executor: ${r.status} ${r.error?.message}`);
}
