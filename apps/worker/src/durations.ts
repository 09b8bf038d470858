/**
 * Go-style duration strings (`30s`, `1m30s`, `500ms`, `2h`, `1.5s`), accepted only at
 * the CLI edge; everything inside works in milliseconds.
 */
const UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

const PART = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/y;

/** Milliseconds for a Go duration string, or `undefined` when it is not one. Negative durations are refused. */
export function parseDuration(text: string): number | undefined {
  const s = text.trim();
  if (s === '0') return 0;
  if (s === '') return undefined;
  let total = 0;
  PART.lastIndex = 0;
  while (PART.lastIndex < s.length) {
    const start = PART.lastIndex;
    const m = PART.exec(s);
    if (m === null || m.index !== start) return undefined;
    total += Number(m[1]) * (UNIT_MS[m[2] as string] as number);
  }
  return Math.round(total);
}

/**
 * THE rendering of a duration in every CLI output (task summaries, the tool list, config,
 * errors, the demo): compact Go-style and exact, so what is printed can be passed back to
 * a duration flag: 90000 -> `1m30s`, 1234 -> `1.234s`, 500 -> `500ms`, 0 -> `0s`.
 */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  if (ms < 1000) return `${ms}ms`;
  let rest = ms;
  let out = '';
  const h = Math.floor(rest / 3_600_000);
  rest -= h * 3_600_000;
  const m = Math.floor(rest / 60_000);
  rest -= m * 60_000;
  if (h) out += `${h}h`;
  if (m) out += `${m}m`;
  if (rest) out += `${rest % 1000 === 0 ? rest / 1000 : (rest / 1000).toString()}s`;
  return out;
}
