import { colorEnabled, paint, spinnerEnabled } from './terminal';

const tty = { isTTY: true };
const pipe = { isTTY: false };

describe('colour and spinner', () => {
  it('decorate a terminal only', () => {
    expect(colorEnabled(tty, {})).toBe(true);
    expect(spinnerEnabled(tty, {})).toBe(true);
    expect(colorEnabled(pipe, {})).toBe(false);
    expect(spinnerEnabled(pipe, {})).toBe(false);
  });

  it('never with NO_COLOR set to anything non-empty, even with FORCE_COLOR', () => {
    for (const value of ['1', '0', 'false', 'yes']) {
      expect(colorEnabled(tty, { NO_COLOR: value })).toBe(false);
      expect(spinnerEnabled(tty, { NO_COLOR: value })).toBe(false);
      expect(colorEnabled(tty, { NO_COLOR: value, FORCE_COLOR: '1' })).toBe(false);
    }
    expect(colorEnabled(tty, { NO_COLOR: '' })).toBe(true);
  });

  it('FORCE_COLOR colours a pipe but never spins on it; TERM=dumb gets neither', () => {
    expect(colorEnabled(pipe, { FORCE_COLOR: '1' })).toBe(true);
    expect(colorEnabled(tty, { FORCE_COLOR: '0' })).toBe(true);
    expect(colorEnabled(pipe, { FORCE_COLOR: '0' })).toBe(false);
    expect(spinnerEnabled(pipe, { FORCE_COLOR: '1' })).toBe(false);
    expect(colorEnabled(tty, { TERM: 'dumb' })).toBe(false);
    expect(spinnerEnabled(tty, { TERM: 'dumb' })).toBe(false);
  });

  it('paint wraps in SGR only when on', () => {
    expect(paint(true, 31, 'x')).toBe('\x1b[31mx\x1b[0m');
    expect(paint(false, 31, 'x')).toBe('x');
  });
});
