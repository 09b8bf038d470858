import { createToolCatalog } from '@baaaht/tool-specs';
import type { ToolSpec } from '@baaaht/tool-specs';
import { createExecutor } from '../executor';
import type { Executor } from '../executor';
import type { ExecutorOptions } from '../executor-options';
import { FakeDocker } from './fake-docker';
import type { FakeContainer } from './fake-docker';

/** Shared by the executor's unit tests against the fake Docker client. */

export const MiB = 1024 * 1024;

export const echo: ToolSpec<{ text: string; code?: number }> = {
  name: 'echo',
  displayName: 'Echo',
  description: 'Test tool: prints text.',
  version: '1.0.0',
  parameters: {
    type: 'object',
    properties: { text: { type: 'string' }, code: { type: 'integer', minimum: 0, maximum: 255 } },
    required: ['text'],
    additionalProperties: false,
  },
  image: 'img:echo',
  workspace: 'none',
  network: 'none',
  readOnlyRootfs: true,
  resources: { cpus: 0.5, memoryBytes: 64 * MiB, pidsLimit: 10 },
  timeoutMs: 10_000,
  command: (p) => ({ argv: ['echo', p.text, String(p.code ?? 0)] }),
};

/** Default fake program: prints argv[1] to stdout and exits with argv[2]; "hang" never exits. */
export const echoProgram = (c: FakeContainer): void => {
  const [, text, code] = c.body.Cmd;
  if (text === 'hang') return;
  if (text === 'oom') return c.exit(137, true);
  c.stdout(text ?? '');
  c.stderr('err');
  c.exit(Number(code ?? 0));
};

export function setup(extra: ExecutorOptions = {}): {
  docker: FakeDocker;
  make: (o?: ExecutorOptions) => Promise<Executor>;
} {
  const docker = new FakeDocker();
  docker.images.add('img:echo');
  docker.program = echoProgram;
  const make = (o: ExecutorOptions = {}): Promise<Executor> =>
    createExecutor({
      docker,
      workerId: 'w-unit',
      reapIntervalMs: 0,
      catalog: createToolCatalog({ custom: [echo] }),
      // These tests pin down the fresh path (its create bodies, container counts and calls); the warm
      // pool's own behaviour on the fake engine is in pooled-container-runtime.test.ts.
      pool: { enabled: false },
      ...extra,
      ...o,
    });
  return { docker, make };
}

const executors: Executor[] = [];

/** An executor on a fake Docker client (a new one unless given), closed by `closeExecutors()`. */
export async function open(
  o: ExecutorOptions = {},
  docker?: FakeDocker,
): Promise<{ ex: Executor; docker: FakeDocker }> {
  const s = setup();
  const d = docker ?? s.docker;
  const ex = await createExecutor({
    docker: d,
    workerId: 'w-unit',
    reapIntervalMs: 0,
    catalog: createToolCatalog({ custom: [echo] }),
    pool: { enabled: false },
    ...o,
  });
  executors.push(ex);
  return { ex, docker: d };
}

/** For `afterEach`: force-closes every executor `open()` made. */
export async function closeExecutors(): Promise<void> {
  await Promise.all(executors.splice(0).map((e) => e.close({ force: true })));
}

export const tick = (ms = 5): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 400 && !cond(); i++) await tick();
  if (!cond()) throw new Error('condition not reached');
}
