/**
 * `orchestrator exec <tool>`: submits one task, streams its output, waits for its result. Ctrl-C cancels
 * the task on the orchestrator and still waits for the report; a second one leaves without it.
 */
import { OutputStream, TaskState } from '@baaaht/proto';
import type { TaskFinished } from '@baaaht/proto';
import { stringValue } from '../args';
import type { CommandSpec, ParsedCommand } from '../args';
import type { CliIo } from '../cli-io';
import { writeOut } from '../cli-io';
import { WorkerCliError } from '../errors';
import { reportFromFinished } from '../hub-results';
import { createProgress } from '../progress';
import { errorReport, printTaskReport } from '../task-output';
import type { TaskReport } from '../task-output';
import { spinnerEnabled } from '../terminal';
import { TOOL_CALL_FLAGS, prepareToolCall, toolCallRequest } from '../tool-call';
import { toolNames } from '../tool-catalog';
import {
  EXEC_QUEUE_FLAGS,
  noWorkerWarning,
  queueTimeoutError,
  queueTimeoutMs,
  queueTimer,
  someWorkerOffers,
} from './exec-queue';
import { clientAddress, clientFor, hubFailure } from './orchestrator-client';
import { clientTls } from './tls-files';
import { ADDR_FLAG, CLIENT_TLS_FLAGS, TOKEN_FLAG } from './orchestrator-flags';

export const execCommand: CommandSpec = {
  name: 'orchestrator exec',
  brief: 'submit a task and wait for the result',
  usage:
    'orchestrator exec <tool> --addr ADDR [--mount DIR] [--param key=value]... [--timeout D] [--queue-timeout 60s]\n' +
    "                  [--command 'STR' | --argv WORD...] [--session ID] [--detach] [--json]",
  summary:
    'Submits one task to a running orchestrator and waits for its result; streams output as it arrives. ' +
    'The summary line (and --json) names the task id.',
  flags: {
    ...TOOL_CALL_FLAGS,
    ...EXEC_QUEUE_FLAGS,
    session: {
      type: 'string',
      valueName: 'ID',
      description: 'run in this sandbox session: the call goes to the worker holding it (or starts it on one)',
    },
    addr: ADDR_FLAG,
    'auth-token': TOKEN_FLAG,
    ...CLIENT_TLS_FLAGS,
  },
  configFlags: false,
  minPositionals: 1,
  maxPositionals: 1,
  positionalChoices: toolNames,
  epilog:
    '--timeout is the run time on the worker; --queue-timeout the wait for one (QUEUE_TIMEOUT, exit 1).\n' +
    "--session waits for the session's worker while it is busy; if that worker is gone the call starts a new\n" +
    'session on another one and says so on stderr.\n' +
    'Exit status: 0 when the task completed (or was submitted, with --detach), 1 when it did not, 2 for usage errors.',
};

export async function runExecCommand(parsed: ParsedCommand, io: CliIo): Promise<number> {
  const json = parsed.values['json'] === true;
  const toolName = parsed.positionals[0] ?? '';
  let taskId: string | undefined;
  const fail = async (code: string, message: string, exitCode: number): Promise<number> => {
    const report = errorReport(toolName, code, message);
    if (json) await writeOut(io.stdout, JSON.stringify(taskId === undefined ? report : { taskId, ...report }) + '\n');
    io.stderr.write(`orchestrator: ${message}\n`);
    return exitCode;
  };
  let call;
  let queueLimitMs: number;
  try {
    call = prepareToolCall(parsed, {}, '--tool-image');
    queueLimitMs = queueTimeoutMs(parsed);
  } catch (err) {
    if (err instanceof WorkerCliError) return fail(err.code, err.message, err.exitCode);
    throw err;
  }
  const client = clientFor(parsed, io);
  const progress = createProgress({
    stream: io.stderr as NodeJS.WriteStream,
    enabled: !json && spinnerEnabled(io.stderr, io.env),
  });
  let report: TaskReport | undefined;
  let finished: TaskFinished | undefined;
  const sessionId = stringValue(parsed.values, 'session');
  let streamed = false;
  let interrupts = 0;
  let onInterrupt: (() => void) | undefined;
  let abandon: (() => void) | undefined;
  let queueTimedOut = false;
  const queue = queueTimer(queueLimitMs, () => {
    if (taskId === undefined) return;
    queueTimedOut = true;
    // A queued task finishes CANCELLED at once; its `finished` event then ends the watch below.
    client.cancel(taskId, { reason: `no worker within --queue-timeout` }).catch(() => undefined);
  });
  const detach = (): void => {
    queue.stop();
    if (onInterrupt === undefined) return;
    io.signals.off('SIGINT', onInterrupt);
    io.signals.off('SIGTERM', onInterrupt);
  };
  try {
    const submitted = await client.submit({
      ...toolCallRequest(call),
      ...(sessionId !== undefined ? { sessionId } : {}),
    });
    taskId = submitted.taskId;
    if (parsed.values['detach'] === true) {
      client.close();
      await writeOut(io.stdout, json ? JSON.stringify({ taskId }) + '\n' : `${taskId}\n`);
      if (!json) io.stderr.write(`orchestrator: submitted task ${taskId}; see orchestrator status ${taskId}\n`);
      return 0;
    }
    if (submitted.state === TaskState.TASK_STATE_QUEUED) {
      queue.start();
      if (!(await someWorkerOffers(client, call.tool)))
        io.stderr.write(`orchestrator: ${noWorkerWarning(call.tool, queueLimitMs)}\n`);
    }
    progress.update(`task ${submitted.taskId}: waiting for a worker…`);
    // Ctrl-C cancels the task on the orchestrator and still waits for its final report; a second one leaves.
    interrupts = 0;
    onInterrupt = (): void => {
      interrupts++;
      if (interrupts === 1) {
        progress.update(`task ${submitted.taskId}: cancelling…`);
        client.cancel(submitted.taskId, { reason: 'interrupted from orchestrator exec' }).catch(() => undefined);
      } else {
        progress.stop();
        io.stderr.write(`orchestrator: left task ${submitted.taskId} without waiting for its result\n`);
        abandon?.();
      }
    };
    io.signals.on('SIGINT', onInterrupt);
    io.signals.on('SIGTERM', onInterrupt);
    const abandoned = new Promise<'abandoned'>((resolve) => {
      abandon = () => resolve('abandoned');
    });
    const watching = (async () => {
      for await (const event of client.watch(submitted.taskId)) {
        const payload = event.payload;
        if (payload === undefined) continue;
        switch (payload.$case) {
          case 'assigned':
            queue.stop();
            // Taken just before the timeout's cancel arrived: whatever it reports now is not a queue timeout.
            queueTimedOut = false;
            progress.update(`task ${submitted.taskId}: running on ${payload.value.agentId}…`);
            break;
          case 'requeued':
            queue.start();
            progress.update(`task ${submitted.taskId}: requeued (${payload.value.reason}), waiting for a worker…`);
            break;
          case 'output':
            if (!json && call.streamable) {
              streamed = true;
              progress.stop();
              (payload.value.stream === OutputStream.OUTPUT_STREAM_STDERR ? io.stderr : io.stdout).write(
                payload.value.data,
              );
            }
            break;
          case 'finished':
            finished = payload.value;
            report = reportFromFinished(call.tool, payload.value);
            break;
          default:
            break;
        }
      }
    })();
    if ((await Promise.race([watching, abandoned])) === 'abandoned') {
      detach();
      client.close();
      return 130;
    }
  } catch (err) {
    detach();
    progress.stop();
    client.close();
    const failure = await hubFailure(err, clientAddress(parsed, io), clientTls(parsed));
    if (failure instanceof WorkerCliError) return fail(failure.code, failure.message, failure.exitCode);
    throw failure;
  }
  detach();
  progress.stop();
  client.close();
  if (report === undefined) return fail('ORCHESTRATOR_UNAVAILABLE', 'the task stream ended without a result', 1);
  if (sessionId !== undefined && finished?.sessionMoved === true)
    io.stderr.write(
      `orchestrator: session ${sessionId}: its worker is gone, so this call started a new session on another worker\n`,
    );
  if (sessionId !== undefined && finished?.sessionRestarted === true)
    io.stderr.write(`orchestrator: session ${sessionId}: its container had died; this call ran in a new one\n`);
  if (queueTimedOut && report.status === 'cancelled') {
    const error = queueTimeoutError(taskId as string, call.tool, queueLimitMs);
    return fail(error.code, error.message, error.exitCode);
  }
  return printTaskReport(io, { taskId, ...report }, { json, streamed });
}
