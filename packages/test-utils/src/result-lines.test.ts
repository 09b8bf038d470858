import { notCompletedLines, resultLines } from './result-lines';

describe('resultLines', () => {
  it('prints task id, status, and the error code and message when there is one', () => {
    expect(
      resultLines([
        { taskId: 't1', status: 'completed' },
        { taskId: 't2', status: 'failed', error: { code: 'TOOL_FAILED', message: 'grep exited with code 2' } },
      ]),
    ).toEqual(['t1 completed', 't2 failed TOOL_FAILED: grep exited with code 2']);
  });

  it('keeps only the results that did not complete', () => {
    const results = [
      { taskId: 'a', status: 'completed' },
      { taskId: 'b', status: 'timeout', error: { code: 'TIMEOUT', message: 'ran past 5 s' } },
    ];
    expect(notCompletedLines(results)).toEqual(['b timeout TIMEOUT: ran past 5 s']);
    expect(notCompletedLines(results.slice(0, 1))).toEqual([]);
  });
});
