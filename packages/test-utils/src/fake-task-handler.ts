import { EventEmitter } from 'node:events';
import type { AgentTask, TaskHandler, TaskHandlerContext, TaskOutcome } from '@baaaht/agent';

/**
 * A scriptable TaskHandler for protocol tests. Tools:
 * - `echo`: completes at once with `params.text` as stdout;
 * - `sleep`: completes after `params.ms`, or reports cancelled when aborted;
 * - `gate`: waits until the test calls `release(taskId)`, or is aborted;
 * - `hang`: ignores cancellation entirely (never returns);
 * - `boom`: throws.
 */
export class FakeHandler extends EventEmitter implements TaskHandler {
  readonly runs: { task: AgentTask; at: number }[] = [];
  readonly cancels: { taskId: string; force: boolean; at: number }[] = [];
  readonly aborts: { taskId: string; at: number }[] = [];
  running = 0;
  maxRunning = 0;
  private readonly gates = new Map<string, (outcome?: Partial<TaskOutcome>) => void>();

  tools(): string[] {
    return ['echo', 'sleep', 'gate', 'hang', 'boom'];
  }

  async run(task: AgentTask, ctx: TaskHandlerContext): Promise<TaskOutcome> {
    const started = performance.now();
    this.runs.push({ task, at: started });
    this.running += 1;
    this.maxRunning = Math.max(this.maxRunning, this.running);
    ctx.signal.addEventListener('abort', () => this.aborts.push({ taskId: task.taskId, at: performance.now() }), {
      once: true,
    });
    this.emit('run', task);
    try {
      ctx.emit({ type: 'started', containerId: `fake-${task.taskId}` });
      const done = (status: TaskOutcome['status'], stdout = '', extra: Partial<TaskOutcome> = {}): TaskOutcome => ({
        status,
        exitCode: status === 'completed' ? 0 : 137,
        stdout,
        stderr: '',
        truncated: false,
        durationMs: performance.now() - started,
        ...extra,
      });
      switch (task.tool) {
        case 'echo': {
          const text = String(task.params?.['text'] ?? '');
          ctx.emit({ type: 'stdout', data: Buffer.from(text) });
          return done('completed', text);
        }
        case 'sleep':
        case 'gate': {
          const ms = task.tool === 'sleep' ? Number(task.params?.['ms'] ?? 0) : undefined;
          const released = await new Promise<Partial<TaskOutcome> | undefined | 'aborted'>((resolve) => {
            const timer = ms === undefined ? undefined : setTimeout(() => resolve(undefined), ms);
            this.gates.set(task.taskId, (outcome) => resolve(outcome));
            ctx.signal.addEventListener('abort', () => {
              if (timer) clearTimeout(timer);
              resolve('aborted');
            });
          });
          this.gates.delete(task.taskId);
          if (released === 'aborted')
            return done('cancelled', '', { stopMode: 'force', error: { code: 'CANCELLED', message: 'aborted' } });
          return done('completed', String(task.params?.['text'] ?? 'ok'), released ?? {});
        }
        case 'hang':
          return await new Promise<TaskOutcome>(() => undefined);
        case 'boom':
          throw new Error('handler exploded');
        default:
          throw new Error(`unexpected tool ${task.tool}`);
      }
    } finally {
      this.running -= 1;
    }
  }

  cancel(taskId: string, options: { force: boolean }): void {
    this.cancels.push({ taskId, force: options.force, at: performance.now() });
  }

  /** Lets a `gate` task complete. */
  release(taskId: string, outcome?: Partial<TaskOutcome>): boolean {
    const gate = this.gates.get(taskId);
    gate?.(outcome);
    return gate !== undefined;
  }

  /** Resolves when the handler starts running `taskId`. */
  waitForRun(taskId: string): Promise<AgentTask> {
    const seen = this.runs.find((r) => r.task.taskId === taskId);
    if (seen) return Promise.resolve(seen.task);
    return new Promise((resolve) => {
      const onRun = (task: AgentTask): void => {
        if (task.taskId !== taskId) return;
        this.off('run', onRun);
        resolve(task);
      };
      this.on('run', onRun);
    });
  }
}
