import fs from 'node:fs';
import path from 'node:path';
import pino from 'pino';
import type { Logger } from '@baaaht/agent';
import type { LogFormat, LogLevel } from './config-schema';
import type { CliIo } from './cli-io';
import { colorEnabled } from './terminal';
import { formatTextLine } from './text-log-format';

/** The logger interface every baaaht library accepts (they all declare the same shape). */
export type { Logger };

/** A `Logger` that can carry bound fields (component, taskId, ...) into child loggers. */
export interface CliLogger extends Logger {
  child(bindings: Record<string, unknown>): CliLogger;
  /** Writes everything buffered; call before exiting. */
  flush(): void;
}

export interface CreateLoggerOptions {
  /** @default 'info' */
  level?: LogLevel;
  /** @default 'text' */
  format?: LogFormat;
  /** `stdout`, `stderr` or a file path. @default 'stdout' */
  output?: string;
  /** Bound to every line. @default {} */
  base?: Record<string, unknown>;
  /** Colour the level of text lines (pass `colorEnabled(stream, env)`: a terminal, NO_COLOR unset). @default false */
  color?: boolean;
}

/** Whether text logs to `output` get colour: only stdout/stderr on a terminal, never with NO_COLOR. */
export function logColor(output: string, io: Pick<CliIo, 'stdout' | 'stderr' | 'env'>): boolean {
  if (output === 'stdout') return colorEnabled(io.stdout, io.env);
  if (output === 'stderr') return colorEnabled(io.stderr, io.env);
  return false;
}

/** Logs nothing; the default for code that was given no logger. */
export const quietLogger: CliLogger = {
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  child: () => quietLogger,
  flush: () => undefined,
};

interface LineSink {
  write(line: string): void;
}

function openSink(output: string): { write(chunk: string): void; fsync(): void } {
  if (output === 'stdout' || output === 'stderr') {
    const fd = output === 'stdout' ? 1 : 2;
    return { write: (chunk) => writeAllSync(fd, chunk), fsync: () => undefined };
  }
  fs.mkdirSync(path.dirname(path.resolve(output)), { recursive: true });
  const fd = fs.openSync(output, 'a');
  return { write: (chunk) => writeAllSync(fd, chunk), fsync: () => fs.fsyncSync(fd) };
}

// Synchronous writes: a worker that exits right after "drained" must not lose that line.
function writeAllSync(fd: number, chunk: string): void {
  const buf = Buffer.from(chunk, 'utf8');
  let off = 0;
  while (off < buf.length) {
    try {
      off += fs.writeSync(fd, buf, off);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EAGAIN') continue;
      if ((err as NodeJS.ErrnoException).code === 'EPIPE') return;
      throw err;
    }
  }
}

/** A pino logger writing JSON lines, or readable text lines (`format: 'text'`) without a worker thread. */
export function createLogger(options: CreateLoggerOptions = {}): CliLogger {
  const sink = openSink(options.output ?? 'stdout');
  const format = options.format ?? 'text';
  const destination: LineSink =
    format === 'json'
      ? { write: (line) => sink.write(line) }
      : { write: (line) => sink.write(formatTextLine(line, { color: options.color ?? false })) };
  const root = pino(
    {
      level: options.level ?? 'info',
      // Bound fields are merged by `wrap`, not by pino: pino writes a child's bindings and a line's
      // own fields side by side, so `component` bound and `component` logged came out twice.
      base: {},
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      serializers: { err: pino.stdSerializers.err },
    },
    destination,
  );
  return wrap(root, sink.fsync, normalizeMeta(options.base ?? {}));
}

/** Every line is `{...bindings, ...meta}`: one key, once; a line's own value wins over a bound one. */
function wrap(p: pino.Logger, fsync: () => void, bindings: Record<string, unknown>): CliLogger {
  const log =
    (level: 'trace' | 'debug' | 'info' | 'warn' | 'error') =>
    (message: string, meta?: Record<string, unknown>): void => {
      if (!p.isLevelEnabled(level)) return;
      p[level]({ ...bindings, ...(meta === undefined ? {} : normalizeMeta(meta)) }, message);
    };
  return {
    trace: log('trace'),
    debug: log('debug'),
    info: log('info'),
    warn: log('warn'),
    error: log('error'),
    child: (more) => wrap(p, fsync, { ...bindings, ...normalizeMeta(more) }),
    flush: () => {
      p.flush();
      try {
        fsync();
      } catch {
        // Best effort: a log file on a pipe or a full disk must not turn an exit into a crash.
      }
    },
  };
}

/** Container ids are logged as their first 12 characters, like `docker ps`; errors as `err` with a stack. */
export function normalizeMeta(meta: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(meta)) {
    if (value === undefined) continue;
    if (key === 'containerId' && typeof value === 'string') out[key] = value.slice(0, 12);
    else if (value instanceof Error && key !== 'err') out['err'] = value;
    else out[key] = value;
  }
  return out;
}
