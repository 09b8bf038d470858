/**
 * Human-readable rendering of one pino JSON line, done in-process (pino-pretty
 * would need a worker thread): `2026-01-01T00:00:00.000Z INFO  message key=value ...`.
 */
import { paint } from './terminal';

const FIRST_KEYS = ['component', 'taskId', 'tool', 'containerId'];
const SKIP = new Set(['level', 'time', 'msg', 'pid', 'hostname', 'err']);

const LEVEL_COLOR: Record<string, number> = { TRACE: 90, DEBUG: 90, WARN: 33, ERROR: 31, FATAL: 31 };

export interface TextLineOptions {
  /** Colour the level (warn yellow, error red, debug grey). @default false */
  color?: boolean;
}

export function formatTextLine(jsonLine: string, options: TextLineOptions = {}): string {
  let rec: Record<string, unknown>;
  try {
    rec = JSON.parse(jsonLine) as Record<string, unknown>;
  } catch {
    return jsonLine.endsWith('\n') ? jsonLine : `${jsonLine}\n`;
  }
  const name = String(rec['level'] ?? 'info').toUpperCase();
  const color = LEVEL_COLOR[name];
  const level = options.color && color !== undefined ? paint(true, color, name.padEnd(5)) : name.padEnd(5);
  const time = typeof rec['time'] === 'string' ? rec['time'] : new Date().toISOString();
  const parts = [time, level, String(rec['msg'] ?? '')];
  const keys = [
    ...FIRST_KEYS.filter((k) => k in rec),
    ...Object.keys(rec).filter((k) => !FIRST_KEYS.includes(k) && !SKIP.has(k)),
  ];
  for (const key of keys) parts.push(`${key}=${renderValue(rec[key])}`);
  let line = parts.join(' ');
  const err = rec['err'] as { message?: string; stack?: string } | undefined;
  if (err && typeof err === 'object') {
    line += ` err=${renderValue(err.message ?? '')}`;
    if (err.stack) line += `\n    ${err.stack.split('\n').join('\n    ')}`;
  }
  return `${line}\n`;
}

function renderValue(value: unknown): string {
  if (typeof value === 'string') return /^[^\s"=]+$/.test(value) ? value : JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value);
  return JSON.stringify(value);
}
