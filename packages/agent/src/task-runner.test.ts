import { TaskAssignment, TaskState } from '@baaaht/proto';
import type { WorkerMessage } from '@baaaht/proto';
import { RecordingMeter } from '@baaaht/test-utils';
import { AgentInstruments } from './agent-instruments';
import { quietLogger } from './logger';
import type { TaskHandler, TaskHandlerContext, TaskOutcome } from './task-handler';
import { TaskRunner } from './task-runner';
import { ManualClock } from '@baaaht/test-utils';

const completed: TaskOutcome = {
  status: 'completed',
  exitCode: 0,
  stdout: 'hi',
  stderr: '',
  truncated: false,
  durationMs: 3,
};

/** A handler whose runs finish when the test says so. */
function manualHandler() {
  const runs = new Map<string, { ctx: TaskHandlerContext; finish(o: TaskOutcome): void; fail(e: Error): void }>();
  const cancels: { taskId: string; force: boolean }[] = [];
  const handler: TaskHandler = {
    tools: () => ['echo'],
    run: (task, ctx) =>
      new Promise<TaskOutcome>((resolve, reject) => runs.set(task.taskId, { ctx, finish: resolve, fail: reject })),
    cancel: (taskId, { force }) => void cancels.push({ taskId, force }),
  };
  return { handler, runs, cancels };
}

function setup(options: { accepting?: () => boolean; maxConcurrentTasks?: number } = {}) {
  const meter = new RecordingMeter();
  const sent: WorkerMessage[] = [];
  const finished: [string, TaskOutcome][] = [];
  const { handler, runs, cancels } = manualHandler();
  const clock = new ManualClock();
  const runner = new TaskRunner({
    handler,
    maxConcurrentTasks: options.maxConcurrentTasks ?? 2,
    logger: quietLogger,
    clock,
    instruments: new AgentInstruments(meter),
    send: (m) => {
      sent.push(m);
      return true;
    },
    accepting: options.accepting ?? (() => true),
    onFinished: (taskId, outcome) => finished.push([taskId, outcome]),
  });
  const cases = () => sent.map((m) => m.payload?.$case);
  return { meter, sent, cases, finished, runs, cancels, runner, clock };
}

const assignment = (taskId: string, tool = 'echo') => TaskAssignment.fromPartial({ taskId, tool, attempt: 1 });
const flush = () => new Promise((r) => setImmediate(r));

describe('TaskRunner', () => {
  test('runs an assignment, forwards its events with running offsets, reports it and counts both ends', async () => {
    const { meter, sent, cases, finished, runs, runner } = setup();
    runner.assign(assignment('t1'));
    await flush();
    expect(runner.runningIds()).toEqual(['t1']);
    expect(runner.freeSlots()).toBe(1);
    const run = runs.get('t1')!;
    run.ctx.emit({ type: 'started', containerId: 'c1' });
    run.ctx.emit({ type: 'stdout', data: Buffer.from('abc') });
    run.ctx.emit({ type: 'stdout', data: Buffer.from('de') });
    run.ctx.emit({ type: 'progress', percent: 50 });
    run.finish(completed);
    await flush();
    expect(cases()).toEqual(['accepted', 'progress', 'output', 'output', 'progress', 'finished']);
    const outputs = sent.flatMap((m) => (m.payload?.$case === 'output' ? [m.payload.value.offset] : []));
    expect(outputs).toEqual([0, 3]);
    const last = sent.at(-1)?.payload;
    expect(last?.$case === 'finished' && last.value).toMatchObject({
      taskId: 't1',
      state: TaskState.TASK_STATE_COMPLETED,
      containerId: 'c1',
    });
    expect(finished.map(([id, o]) => [id, o.status])).toEqual([['t1', 'completed']]);
    expect(runner.completed).toBe(1);
    expect(runner.unacknowledgedCount).toBe(1);
    expect(runner.heldIds()).toEqual(['t1']);
    expect(meter.total('baaaht_agent_tasks_received_total', { tool: 'echo' })).toBe(1);
    expect(meter.total('baaaht_agent_results_reported_total', { status: 'completed' })).toBe(1);

    runner.ack('t1');
    expect(runner.unacknowledgedCount).toBe(0);
    expect(runner.heldIds()).toEqual([]);
  });

  test('rejects what it cannot run, each with its code, and counts every assignment it received', async () => {
    let accepting = true;
    const { meter, sent, runner } = setup({ accepting: () => accepting, maxConcurrentTasks: 1 });
    runner.assign(assignment(''));
    runner.assign(assignment('u', 'nope'));
    runner.assign(assignment('a'));
    await flush();
    runner.assign(assignment('b'));
    accepting = false;
    runner.assign(assignment('c'));
    const rejected = sent.flatMap((m) =>
      m.payload?.$case === 'rejected' ? [[m.payload.value.taskId, m.payload.value.code]] : [],
    );
    expect(rejected).toEqual([
      ['', 'INVALID_ASSIGNMENT'],
      ['u', 'UNKNOWN_TOOL'],
      ['b', 'NO_CAPACITY'],
      ['c', 'DRAINING'],
    ]);
    expect(meter.total('baaaht_agent_tasks_received_total')).toBe(5);
    expect(meter.total('baaaht_agent_tasks_received_total', { tool: 'echo' })).toBe(4);
    expect(meter.total('baaaht_agent_tasks_received_total', { tool: 'nope' })).toBe(1);
    expect(meter.total('baaaht_agent_results_reported_total')).toBe(0);
  });

  test('a re-sent assignment is accepted again while it runs and answered with its report once finished', async () => {
    const { meter, cases, runs, runner } = setup();
    runner.assign(assignment('t'));
    await flush();
    runner.assign(assignment('t'));
    runs.get('t')!.finish(completed);
    await flush();
    runner.assign(assignment('t'));
    expect(cases()).toEqual(['accepted', 'accepted', 'finished', 'finished']);
    expect(runs.size).toBe(1);
    // One task, one result; the re-sends are not new results.
    expect(meter.total('baaaht_agent_results_reported_total')).toBe(1);
  });

  test('a handler that throws is reported as error HANDLER_ERROR', async () => {
    const { meter, finished, runs, runner } = setup();
    runner.assign(assignment('t'));
    await flush();
    runs.get('t')!.fail(new Error('boom'));
    await flush();
    expect(finished[0]?.[1]).toMatchObject({ status: 'error', error: { code: 'HANDLER_ERROR', message: 'boom' } });
    expect(runner.failed).toBe(1);
    expect(meter.total('baaaht_agent_results_reported_total', { status: 'error' })).toBe(1);
  });

  test('cancel aborts the signal and asks the handler; abandonRemaining reports for a handler that never returns', async () => {
    const { meter, finished, runs, cancels, runner } = setup();
    runner.assign(assignment('t'));
    await flush();
    runner.cancel({ taskId: 't', force: true, reason: '' });
    runner.cancel({ taskId: 'unknown', force: false, reason: '' });
    await flush();
    const signal = runs.get('t')!.ctx.signal;
    expect(signal.aborted).toBe(true);
    expect(signal.reason).toMatchObject({ code: 'SHUTDOWN', message: 'cancelled by hub', taskId: 't' });
    expect(cancels).toEqual([{ taskId: 't', force: true }]);
    runner.abandonRemaining();
    expect(finished[0]?.[1]).toMatchObject({ status: 'cancelled', error: { code: 'SHUTDOWN' } });
    expect(runner.runningCount).toBe(0);
    // A late return after the agent reported for it changes nothing.
    runs.get('t')!.finish(completed);
    await flush();
    expect(finished).toHaveLength(1);
    expect(meter.total('baaaht_agent_results_reported_total', { status: 'cancelled' })).toBe(1);
  });

  test('awaitAcks resolves on the last ack, on the clock, or when woken', async () => {
    const { runs, runner, clock } = setup();
    await runner.awaitAcks(1000); // nothing outstanding: at once
    runner.assign(assignment('a'));
    runner.assign(assignment('b'));
    await flush();
    runs.get('a')!.finish(completed);
    runs.get('b')!.finish(completed);
    await flush();
    let done = false;
    const acks = runner.awaitAcks(1000).then(() => (done = true));
    runner.ack('a');
    await flush();
    expect(done).toBe(false);
    runner.ack('b');
    await acks;

    runner.assign(assignment('c'));
    await flush();
    runs.get('c')!.finish(completed);
    await flush();
    const timed = runner.awaitAcks(1000);
    expect(clock.fire((ms) => ms === 1000)).toBe(1000);
    await timed;
    const woken = runner.awaitAcks(1000);
    runner.wakeAckWaiters();
    await woken;
  });
});
