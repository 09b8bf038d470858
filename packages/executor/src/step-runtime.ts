import type { Context } from '@opentelemetry/api';
import type { ToolCommand } from '@baaaht/tool-specs';
import type { Clock } from './clock';
import type { ContainerPlan } from './container-config';
import type { DescriptorVolumes } from './descriptor-mounts';
import type { DockerClient } from './docker-client';
import type { ImageResolver } from './image-resolver';
import type { Logger } from './logger';
import type { OutputStream } from './output-demux';
import type { StopMode } from './task-types';

/**
 * The runtime seam: "run one step of a tool call and give me its output, its exit and stop controls".
 * The executor keeps everything else (planning, policy, output caps, events, the task lifecycle and the
 * outcome mapping) on its own side, so a new way of running steps (a pool of pre-started containers,
 * a session's long-lived container) is one more implementation of this interface and nothing else.
 * Today's implementation is `FreshContainerRuntime` (one new hardened container per step).
 */

/** One command of one task, with everything needed to run it. */
export interface StepSpec {
  taskId: string;
  tool: string;
  /** 0-based command index (multi-step tools run several). */
  step: number;
  /** The judged plan: image, user, mounts, limits, labels, runtime, deadline. Never loosened by a runtime. */
  plan: ContainerPlan;
  /** The tool's argv, stdin and environment for this step. */
  command: ToolCommand;
  /**
   * The step's output as it arrives, already split into stdout and stderr. `chunk` is only valid during
   * the call (its buffer is reused): copy what you keep.
   */
  onOutput(stream: OutputStream, chunk: Buffer): void;
  /** Called as soon as the runtime knows the container that will run the step (before it starts). */
  onContainer?(containerId: string): void;
  /**
   * The step's span (OpenTelemetry), when traced: the runtime's container spans are its children and
   * `annotate()` adds how it ran the step (see tracing.ts). @default undefined (untraced: no spans)
   */
  traceContext?: Context;
}

/** How a step's process ended. */
export interface StepExit {
  exitCode: number;
  /** The kernel killed it at its memory limit. */
  oomKilled: boolean;
}

/** A step whose process has started. */
export interface RunningStep {
  readonly containerId: string;
  /**
   * Settles once the process has ended and its output has been delivered. Rejects (DOCKER_ERROR) when the
   * engine cannot say how it ended, e.g. when the connection to it was lost.
   */
  readonly exit: Promise<StepExit>;
  /**
   * Signals the process: `force` kills it now; `graceful` asks it to stop and kills it after `graceMs`
   * (0: at once). Never throws; a second call may upgrade graceful to force.
   */
  stop(mode: StopMode, graceMs: number): Promise<void>;
  /** Session runtimes: true when this step is the first on a new container that replaced a session's dead one. */
  readonly sessionRestarted?: boolean;
}

export interface StepRuntime {
  /**
   * Starts one step. Rejects when it cannot start (IMAGE_NOT_FOUND, DOCKER_ERROR, ...) or when `signal`
   * aborts before the process started; nothing it created is left running then.
   */
  start(step: StepSpec, signal: AbortSignal): Promise<RunningStep>;
  /** True while the runtime still has a use for the container (the reaper must leave it alone). */
  owns(containerId: string): boolean;
  /** Resolves once the background cleanup started so far (container removals) has settled. */
  idle(): Promise<void>;
  /** Waits for the cleanup and releases what the runtime holds. Called once, by `executor.close()`. */
  dispose(): Promise<void>;
  /**
   * Drops whatever the runtime prepared ahead of time (the warm pool's waiting containers), e.g. after a
   * policy reload. Returns how many it dropped. Optional: a runtime that prepares nothing has nothing to drop.
   */
  invalidate?(reason: string): number;
}

/** What the executor shares with the runtime it creates. */
export interface StepRuntimeContext {
  docker: DockerClient;
  clock: Clock;
  logger: Logger;
  images: ImageResolver;
  /** Concurrent create/attach/start sequences (`maxConcurrentStarts`). */
  maxConcurrentStarts: number;
  /** Container counts and start latency, for `metrics()` and the meter. */
  onContainer(event: 'created' | 'removed'): void;
  onContainerStarted(tool: string, seconds: number): void;
  /** The gVisor tier's descriptor volumes; a plan with `descriptorMounts` fails to start without it. */
  descriptors?: DescriptorVolumes;
}

/**
 * Creates the executor's step runtime (`ExecutorOptions.stepRuntime`). Experimental: for tests (a fake
 * runtime) and for the runtimes of the next releases; the interface may still change.
 * @default `(ctx) => new FreshContainerRuntime(ctx)`
 */
export type StepRuntimeFactory = (context: StepRuntimeContext) => StepRuntime;
