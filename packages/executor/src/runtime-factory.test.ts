import { ExecutorError } from './errors';
import { resolveExecutorOptions } from './executor-options';
import { FreshContainerRuntime } from './fresh-container-runtime';
import { PooledContainerRuntime } from './pooled-container-runtime';
import { defaultRuntimeFactory } from './runtime-factory';
import type { StepRuntimeContext } from './step-runtime';
import { captureLogger } from './test-support/capture-logger';
import { FakeDocker } from './test-support/fake-docker';
import { ManualClock } from '@baaaht/test-utils';

const ctx = (logger = captureLogger().logger): StepRuntimeContext => ({
  docker: new FakeDocker(),
  clock: new ManualClock(),
  logger,
  images: { forget: () => undefined } as never,
  maxConcurrentStarts: 2,
  onContainer: () => undefined,
  onContainerStarted: () => undefined,
});

describe('defaultRuntimeFactory', () => {
  it('is the warm pool when the pool is on', () => {
    const factory = defaultRuntimeFactory(
      resolveExecutorOptions({ pool: { enabled: true } }),
      captureLogger().logger,
      () => '/opt/agent',
    );
    expect(factory(ctx())).toBeInstanceOf(PooledContainerRuntime);
  });

  it('is the warm pool by default', () => {
    expect(defaultRuntimeFactory(resolveExecutorOptions(), captureLogger().logger)(ctx())).toBeInstanceOf(
      PooledContainerRuntime,
    );
  });

  it('is the fresh runtime with the pool off', () => {
    const factory = defaultRuntimeFactory(resolveExecutorOptions({ pool: { enabled: false } }), captureLogger().logger);
    expect(factory(ctx())).toBeInstanceOf(FreshContainerRuntime);
  });

  it('turns the pool off with one warning when the agent binary is missing', () => {
    const { logger, entries } = captureLogger();
    const missing = (): string => {
      throw new ExecutorError('SANDBOX_AGENT_MISSING', 'not built');
    };
    const factory = defaultRuntimeFactory(resolveExecutorOptions({ pool: { enabled: true } }), logger, missing);
    expect(factory(ctx())).toBeInstanceOf(FreshContainerRuntime);
    expect(factory(ctx())).toBeInstanceOf(FreshContainerRuntime);
    expect(entries.filter((e) => e.level === 'warn').map((e) => e.message)).toEqual([
      'warm pool off: the in-sandbox agent is not built; every call starts a container cold',
    ]);
  });
});
