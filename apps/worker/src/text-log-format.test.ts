import { formatTextLine } from './text-log-format';

describe('formatTextLine', () => {
  it('puts the ids first and quotes values with spaces', () => {
    const line = formatTextLine(
      JSON.stringify({
        level: 'info',
        time: '2026-01-01T00:00:00.000Z',
        msg: 'task done',
        durationMs: 12,
        containerId: 'abcdef123456',
        taskId: 't1',
        note: 'a b',
      }),
    );
    expect(line).toBe(
      '2026-01-01T00:00:00.000Z INFO  task done taskId=t1 containerId=abcdef123456 durationMs=12 note="a b"\n',
    );
  });

  it('prints error stacks indented under the line', () => {
    const line = formatTextLine(
      JSON.stringify({
        level: 'error',
        time: 't',
        msg: 'boom',
        err: { message: 'bad', stack: 'Error: bad\n    at x' },
      }),
    );
    expect(line).toBe('t ERROR boom err=bad\n    Error: bad\n        at x\n');
  });

  it('passes through lines that are not JSON', () => expect(formatTextLine('plain')).toBe('plain\n'));

  it('colours the level only when asked, and never anything else', () => {
    const line = JSON.stringify({ level: 'error', time: 't', msg: 'boom', component: 'worker' });
    expect(formatTextLine(line, { color: true })).toBe('t \x1b[31mERROR\x1b[0m boom component=worker\n');
    expect(formatTextLine(line)).toBe('t ERROR boom component=worker\n');
    const info = JSON.stringify({ level: 'info', time: 't', msg: 'ok' });
    expect(formatTextLine(info, { color: true })).toBe('t INFO  ok\n');
  });
});
