/**
 * The one way the CLIs print rows (`orchestrator tasks`, `orchestrator workers`, `worker status`): columns
 * aligned for a person on a terminal, tab-separated for a pipe, with the header first in both.
 */
import { formatDuration } from './durations';

export interface TableOptions {
  /** Align the columns with spaces (a terminal); otherwise separate them with one tab (a pipe, a file). */
  aligned: boolean;
}

// Control characters (a tab or newline among them) would break a row or a column: such a cell is shown quoted.
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f-\u009f]/;

/** A cell as printed: as is, or JSON-quoted when it holds a control character; `-` when empty. */
export function tableCell(value: string): string {
  if (value === '') return '-';
  return UNSAFE.test(value) ? JSON.stringify(value) : value;
}

/** Header and rows as text, one line each, ending in a newline. Missing cells print as `-`. */
export function formatTable(
  header: readonly string[],
  rows: readonly (readonly string[])[],
  options: TableOptions,
): string {
  const cells = [header.map(tableCell), ...rows.map((r) => header.map((_, i) => tableCell(r[i] ?? '')))];
  if (!options.aligned) return cells.map((r) => r.join('\t')).join('\n') + '\n';
  const widths = header.map((_, i) => Math.max(...cells.map((r) => [...(r[i] ?? '')].length)));
  const line = (r: string[]): string =>
    r
      .map((c, i) => c + ' '.repeat((widths[i] ?? 0) - [...c].length))
      .join('  ')
      .trimEnd();
  return cells.map(line).join('\n') + '\n';
}

/** An age or elapsed time for a table: whole seconds from a second up (`3m12s`), milliseconds below. */
export function roughDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '-';
  return formatDuration(ms < 1000 ? Math.round(ms) : Math.round(ms / 1000) * 1000);
}
