/**
 * "did you mean ...?" for mistyped flags and commands: the optimal-string-alignment
 * edit distance (insertions, deletions, substitutions and adjacent transpositions).
 */

/** Edits needed to turn `a` into `b`; a swap of two neighbours counts as one. */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[][] = Array.from({ length: rows }, (_, i) =>
    Array.from({ length: cols }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  const at = (i: number, j: number): number => d[i]?.[j] ?? Number.POSITIVE_INFINITY;
  for (let i = 1; i < rows; i++) {
    const row = d[i] as number[];
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, at(i - 2, j - 2) + 1);
      row[j] = best;
    }
  }
  return at(a.length, b.length);
}

/**
 * The candidate closest to `input`, if it is close enough to be what was meant: at most
 * a third of the input's length in edits (at least 1, at most 3), or the only candidate
 * that `input` (3+ characters) is a prefix of. Ties go to the earlier candidate.
 */
export function closest(input: string, candidates: Iterable<string>): string | undefined {
  const list = [...candidates];
  const limit = Math.min(3, Math.max(1, Math.floor(input.length / 3)));
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const c of list) {
    const dist = editDistance(input, c);
    if (dist < bestDistance) {
      best = c;
      bestDistance = dist;
    }
  }
  if (best !== undefined && bestDistance <= limit) return best;
  const prefixed = input.length >= 3 ? list.filter((c) => c.startsWith(input)) : [];
  return prefixed.length === 1 ? prefixed[0] : undefined;
}

/** `; did you mean X?` or the empty string. */
export function didYouMean(
  input: string,
  candidates: Iterable<string>,
  render: (s: string) => string = (s) => s,
): string {
  const match = closest(input, candidates);
  return match === undefined ? '' : `; did you mean ${render(match)}?`;
}
