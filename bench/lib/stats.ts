/** @module bench/lib/stats — the summary statistics every bench prints. */

/** The p-th percentile (0–100) by linear interpolation between closest ranks, as numpy's default; NaN when empty. */
export function percentile(xs: readonly number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const rank = (p / 100) * (s.length - 1);
  const lo = Math.floor(rank);
  return s[lo]! + (s[Math.ceil(rank)]! - s[lo]!) * (rank - lo);
}

/** The median of a sample; NaN when empty. */
export function median(xs: readonly number[]): number {
  return percentile(xs, 50);
}

/** A figure measured once per round: the median across rounds and the spread (min and max) of the rounds. */
export interface AcrossRounds {
  /** Median of the per-round values. */
  median: number;
  /** Smallest per-round value. */
  min: number;
  /** Largest per-round value. */
  max: number;
}

/** Summarises one value per round as median and min–max. */
export function acrossRounds(perRound: readonly number[]): AcrossRounds {
  return { median: median(perRound), min: Math.min(...perRound), max: Math.max(...perRound) };
}

/** "median (min–max)" with the given number of decimals. */
export function formatAcrossRounds(x: AcrossRounds, decimals: number): string {
  return `${x.median.toFixed(decimals)} (${x.min.toFixed(decimals)}–${x.max.toFixed(decimals)})`;
}

/** A sample's size, median, p99 and range. */
export interface Distribution {
  n: number;
  median: number;
  p99: number;
  min: number;
  max: number;
}

/** Summarises a sample (NaN fields when it is empty). */
export function distribution(xs: readonly number[]): Distribution {
  return {
    n: xs.length, median: median(xs), p99: percentile(xs, 99),
    min: xs.length === 0 ? NaN : Math.min(...xs), max: xs.length === 0 ? NaN : Math.max(...xs),
  };
}
