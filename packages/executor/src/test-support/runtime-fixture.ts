import { createToolCatalog } from '@baaaht/tool-specs';
import type { ToolSpec } from '@baaaht/tool-specs';
import { RecordingMeter } from '@baaaht/test-utils';
import { createExecutor } from '../executor';
import type { Executor } from '../executor';
import type { ExecutorOptions } from '../executor-options';
import { echo } from './executor-fixture';
import { FakeDocker } from './fake-docker';
import { FakeRuntime } from './fake-runtime';
import { ManualClock } from '@baaaht/test-utils';

/** The executor on the fake step runtime and a manual clock: everything above the seam, no Docker below it. */

/** Two steps: the first one's output feeds the second. */
export const twoStep: ToolSpec<{ text: string }> = {
  ...(echo as unknown as ToolSpec<{ text: string }>),
  name: 'two_step',
  async run(p, _ctx, exec) {
    const first = await exec({ argv: ['first', p.text] });
    return exec({ argv: ['second', first.stdout] });
  },
};

export interface RuntimeHarness {
  ex: Executor;
  runtime: FakeRuntime;
  clock: ManualClock;
  meter: RecordingMeter;
}

const open: Executor[] = [];

/** An executor with the tools `echo` and `two_step` on a fresh fake runtime; closed by `closeHarnesses()`. */
export async function harness(options: ExecutorOptions = {}): Promise<RuntimeHarness> {
  const docker = new FakeDocker();
  docker.images.add('img:echo');
  const runtime = new FakeRuntime();
  const clock = new ManualClock();
  const meter = new RecordingMeter();
  const ex = await createExecutor({
    docker,
    workerId: 'w-runtime-unit',
    reapIntervalMs: 0,
    catalog: createToolCatalog({ tools: [], custom: [echo, twoStep] }),
    clock,
    metrics: meter,
    stepRuntime: runtime.factory(),
    ...options,
  });
  open.push(ex);
  return { ex, runtime, clock, meter };
}

/** For `afterEach`. */
export async function closeHarnesses(): Promise<void> {
  await Promise.all(open.splice(0).map((e) => e.close({ force: true })));
}

/** Closes the executor and asserts that nothing it started on the clock is still pending. */
export async function settled(h: RuntimeHarness): Promise<void> {
  await h.ex.close();
  expect(h.clock.pending).toEqual([]);
  expect(h.runtime.disposed).toBe(true);
}

const tick = (): Promise<void> => new Promise((r) => setTimeout(r, 2));

export async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !cond(); i++) await tick();
  if (!cond()) throw new Error('condition not reached');
}
