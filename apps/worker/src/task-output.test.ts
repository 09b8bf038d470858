import { errorReport, exitCodeText, summaryLine, toErrorField, toTaskReport } from './task-output';

describe('task reports', () => {
  it('normalises results into the fixed JSON shape', () => {
    expect(
      toTaskReport('grep', {
        status: 'failed',
        exitCode: 2,
        stdout: Buffer.from('o'),
        stderr: 'e',
        durationMs: 10.6,
        containerId: 'c',
        error: { code: 'TOOL_FAILED', message: 'm' },
      }),
    ).toEqual({
      tool: 'grep',
      status: 'failed',
      exitCode: 2,
      stdout: 'o',
      stderr: 'e',
      truncated: false,
      durationMs: 11,
      containerId: 'c',
      error: { code: 'TOOL_FAILED', message: 'm' },
    });
    expect(toTaskReport('x', {})).toMatchObject({ status: 'error', exitCode: null, containerId: null, error: null });
  });

  it('summarises in one line', () => {
    expect(
      summaryLine(
        toTaskReport('grep', { status: 'completed', exitCode: 0, durationMs: 1500, containerId: '0123456789abcdef' }),
      ),
    ).toBe('grep completed in 1.5s (exit 0, container 0123456789ab)');
    // orchestrator exec names the task, so it can be found again with status, tasks or cancel.
    expect(summaryLine({ taskId: 't-1', ...errorReport('grep', 'QUEUE_TIMEOUT', 'no worker took it') })).toBe(
      'task t-1: grep error in 0s (exit -): QUEUE_TIMEOUT: no worker took it',
    );
    expect(summaryLine(errorReport('nope', 'UNKNOWN_TOOL', 'unknown tool'))).toBe(
      'nope error in 0s (exit -): UNKNOWN_TOOL: unknown tool',
    );
  });

  it("keeps the error's detail (the stable sub-code) and shows it in the summary", () => {
    const report = toTaskReport('file_edit', {
      status: 'failed',
      exitCode: 1,
      error: { code: 'TOOL_FAILED', message: 'old_string not found', detail: 'EDIT_NO_MATCH' },
    });
    expect(report.error).toEqual({ code: 'TOOL_FAILED', message: 'old_string not found', detail: 'EDIT_NO_MATCH' });
    expect(summaryLine(report)).toBe(
      'file_edit failed in 0s (exit 1): TOOL_FAILED (EDIT_NO_MATCH): old_string not found',
    );
    // The wire's empty string means "no detail": the field is left out, as for a result without one.
    expect(toErrorField({ code: 'TIMEOUT', message: 't', detail: '' })).toEqual({ code: 'TIMEOUT', message: 't' });
  });

  it('accepts errors of any shape', () => {
    expect(toErrorField('boom')).toEqual({ code: 'ERROR', message: 'boom' });
    expect(toErrorField(new Error('x'))).toEqual({ code: 'ERROR', message: 'x' });
    expect(toErrorField(undefined)).toBeNull();
  });
});

describe('exit codes, one way', () => {
  it("prints the number, or - when the process never exited with one (null, the wire's -1)", () => {
    expect([0, 1, 137, null, undefined, -1].map(exitCodeText)).toEqual(['0', '1', '137', '-', '-', '-']);
    const report = toTaskReport('grep', { status: 'denied', exitCode: -1, durationMs: 1234 });
    expect(summaryLine(report)).toBe('grep denied in 1.234s (exit -)');
  });
});
