import { TaskFinished, TaskState } from '@baaaht/proto';
import { reportFromFinished } from './hub-results';

describe('reportFromFinished', () => {
  it("keeps the error's detail and a stopped task's partial output", () => {
    const report = reportFromFinished(
      'fetch_url',
      TaskFinished.fromPartial({
        state: TaskState.TASK_STATE_TIMEOUT,
        exitCode: -1,
        stdout: Buffer.from('partial body'),
        truncated: true,
        error: { code: 'TIMEOUT', message: 'fetch_url timed out' },
      }),
    );
    expect(report).toMatchObject({
      status: 'timeout',
      stdout: 'partial body',
      truncated: true,
      error: { code: 'TIMEOUT', message: 'fetch_url timed out' },
    });
    expect(report.error).not.toHaveProperty('detail');
    const failed = reportFromFinished(
      'file_edit',
      TaskFinished.fromPartial({
        state: TaskState.TASK_STATE_FAILED,
        exitCode: 1,
        error: { code: 'TOOL_FAILED', message: 'no match', detail: 'EDIT_NO_MATCH' },
      }),
    );
    expect(failed.error).toEqual({ code: 'TOOL_FAILED', message: 'no match', detail: 'EDIT_NO_MATCH' });
  });
});
