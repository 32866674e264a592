/** @module bench/lib/stats — the summary statistics every bench prints. */

/** The median of a sample (NaN when empty). */
export function median(xs: readonly number[]): number {
  return percentile(xs, 50);
}

/** The p-th percentile by linear interpolation between closest ranks. */
export function percentile(xs: readonly number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const rank = (p / 100) * (s.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  return s[lo]! + (s[hi]! - s[lo]!) * (rank - lo);
}

/** "min–max" of a sample, to two decimals. */
export function spread(xs: readonly number[]): string {
  return `${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)}`;
}
