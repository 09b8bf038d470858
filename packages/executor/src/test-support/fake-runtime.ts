import type {
  RunningStep,
  StepExit,
  StepRuntime,
  StepRuntimeContext,
  StepRuntimeFactory,
  StepSpec,
} from '../step-runtime';
import type { StopMode } from '../task-types';

/** What one fake step does once started. */
export interface FakeStepScript {
  /** Chunks delivered after the step started, in order. */
  output?: ReadonlyArray<readonly ['stdout' | 'stderr', string]>;
  /** @default 0 */
  exitCode?: number;
  /** Ends OOM-killed (exit 137) after its output. */
  oom?: boolean;
  /** Never exits on its own: only a stop ends it. */
  hang?: boolean;
  /** A graceful stop is ignored until its grace period ends (then killed, as a real runtime does). */
  ignoreGraceful?: boolean;
  /** start() waits for it (a slow container start), then honours the signal. */
  startGate?: Promise<void>;
  /** start() rejects with it. */
  startError?: unknown;
}

/** One step the fake ran: what it was asked, how it was stopped, how it ended. */
export class FakeStep {
  readonly stops: Array<{ mode: StopMode; graceMs: number }> = [];
  /** The signals a real runtime would have sent. */
  readonly signals: Array<'SIGTERM' | 'SIGKILL'> = [];
  exited: StepExit | undefined;

  constructor(
    readonly spec: StepSpec,
    readonly containerId: string,
  ) {}
}

/**
 * A test-only `StepRuntime` proving the seam: no Docker at all. Each step follows a script (output
 * chunks, an exit code, OOM, a hang until stopped); stops behave like the real runtime's (force and a
 * zero grace kill at once; graceful asks, then kills after the grace period on the executor's clock).
 */
export class FakeRuntime implements StepRuntime {
  script: (spec: StepSpec) => FakeStepScript = () => ({});
  readonly steps: FakeStep[] = [];
  /** Steps whose start was refused because the signal aborted. */
  readonly aborted: StepSpec[] = [];
  disposed = false;
  private readonly held = new Set<string>();
  private ctx: StepRuntimeContext | undefined;
  private seq = 0;

  /** The `stepRuntime` option for an executor that should use this fake. */
  factory(): StepRuntimeFactory {
    return (ctx) => {
      this.ctx = ctx;
      return this;
    };
  }

  owns(containerId: string): boolean {
    return this.held.has(containerId);
  }

  async idle(): Promise<void> {}

  async dispose(): Promise<void> {
    this.disposed = true;
  }

  async start(spec: StepSpec, signal: AbortSignal): Promise<RunningStep> {
    const ctx = this.context();
    const script = this.script(spec);
    signal.throwIfAborted();
    if (script.startGate !== undefined) await script.startGate;
    if (signal.aborted) {
      this.aborted.push(spec);
      signal.throwIfAborted();
    }
    if (script.startError !== undefined) throw script.startError;
    const id = `fake-step-${String(++this.seq).padStart(4, '0')}`;
    const step = new FakeStep(spec, id);
    this.steps.push(step);
    this.held.add(id);
    ctx.onContainer('created');
    spec.onContainer?.(id);
    ctx.onContainerStarted(spec.tool, 0.02);

    let resolveExit!: (exit: StepExit) => void;
    const exit = new Promise<StepExit>((r) => (resolveExit = r));
    let graceTimer: unknown;
    const end = (result: StepExit): void => {
      if (step.exited !== undefined) return;
      step.exited = result;
      if (graceTimer !== undefined) ctx.clock.clearTimeout(graceTimer);
      graceTimer = undefined;
      this.held.delete(id);
      ctx.onContainer('removed');
      resolveExit(result);
    };
    // After start() has resolved, like a process that prints once it runs.
    setImmediate(() => {
      if (step.exited !== undefined) return;
      for (const [stream, data] of script.output ?? []) spec.onOutput(stream, Buffer.from(data));
      if (script.oom === true) end({ exitCode: 137, oomKilled: true });
      else if (script.hang !== true) end({ exitCode: script.exitCode ?? 0, oomKilled: false });
    });
    const stop = async (mode: StopMode, graceMs: number): Promise<void> => {
      step.stops.push({ mode, graceMs });
      if (step.exited !== undefined) return;
      if (mode === 'force' || graceMs === 0) {
        step.signals.push('SIGKILL');
        return end({ exitCode: 137, oomKilled: false });
      }
      step.signals.push('SIGTERM');
      if (script.ignoreGraceful !== true) return end({ exitCode: 143, oomKilled: false });
      if (graceTimer !== undefined) return;
      graceTimer = ctx.clock.setTimeout(() => {
        graceTimer = undefined;
        step.signals.push('SIGKILL');
        end({ exitCode: 137, oomKilled: false });
      }, graceMs);
    };
    return { containerId: id, exit, stop };
  }

  private context(): StepRuntimeContext {
    if (this.ctx === undefined) throw new Error('FakeRuntime: pass runtime.factory() as the stepRuntime option');
    return this.ctx;
  }
}
