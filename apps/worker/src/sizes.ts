/** Byte sizes as the operator writes them: `104857600`, `100MB` (10^6), `100MiB` (2^20), `64k`. */
const UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1024,
  kb: 1000,
  kib: 1024,
  m: 1024 ** 2,
  mb: 1000 ** 2,
  mib: 1024 ** 2,
  g: 1024 ** 3,
  gb: 1000 ** 3,
  gib: 1024 ** 3,
};

/** Bytes for a size, or `undefined` when it is not one (negative, fractional bytes, unknown unit). */
export function parseSize(value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value >= 0 ? value : undefined;
  const m = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(value.trim());
  if (m === null) return undefined;
  const unit = UNITS[(m[2] as string).toLowerCase()];
  if (unit === undefined) return undefined;
  const bytes = Number(m[1]) * unit;
  if (!Number.isSafeInteger(bytes)) return Number.isFinite(bytes) && unit > 1 ? Math.round(bytes) : undefined;
  return bytes;
}
