/**
 * Whether to decorate output. Colour and the spinner only ever go to a terminal, and
 * never when `NO_COLOR` is set to anything non-empty (https://no-color.org); `FORCE_COLOR`
 * (non-empty, not `0`) turns colour on for a pipe too, but never the spinner, whose
 * carriage returns would corrupt a log. `TERM=dumb` gets neither.
 */
export interface TerminalLike {
  isTTY?: boolean;
}

const set = (value: string | undefined): boolean => value !== undefined && value !== '';

/** ANSI colour on `stream`. */
export function colorEnabled(stream: TerminalLike, env: NodeJS.ProcessEnv = process.env): boolean {
  if (set(env['NO_COLOR'])) return false;
  const force = env['FORCE_COLOR'];
  if (set(force) && force !== '0' && force !== 'false') return true;
  if (env['TERM'] === 'dumb') return false;
  return stream.isTTY === true;
}

/** A redrawn one-line spinner on `stream`. */
export function spinnerEnabled(stream: TerminalLike, env: NodeJS.ProcessEnv = process.env): boolean {
  if (set(env['NO_COLOR']) || env['TERM'] === 'dumb') return false;
  return stream.isTTY === true;
}

/** Wraps `text` in an SGR colour when `on`. */
export function paint(on: boolean, code: number, text: string): string {
  return on ? `\x1b[${code}m${text}\x1b[0m` : text;
}
