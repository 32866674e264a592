/** @module bench/lib/goals — whether a figure of the API bench meets the goal, and how to print its ratio. */
import { formatAcrossRounds, type AcrossRounds } from './stats.js';

/** What the helpers need of a row of bench/api.ts (Row). */
export interface RatioRow {
  ratio?: AcrossRounds;
  goal?: number;
  /** Rounds whose ratio is only a lower bound (Octavia completed no request in wrk's run). */
  boundedRounds?: number;
}

/**
 * Whether a row meets its goal. With bounded rounds the ratio is a lower bound: above the goal
 * it is met all the same; below it the run cannot tell ('undecided'), never a ✓.
 */
export function goalOf(row: RatioRow): 'met' | 'missed' | 'undecided' | undefined {
  if (!row.ratio || row.goal === undefined) return undefined;
  if (row.ratio.median >= row.goal) return 'met';
  return (row.boundedRounds ?? 0) > 0 ? 'undecided' : 'missed';
}

/** The goal cell's mark: ✓, ✗, or "? (lower bound)". */
export function goalMark(row: RatioRow): string {
  const g = goalOf(row);
  return g === 'met' ? ' ✓' : g === 'missed' ? ' ✗' : g === 'undecided' ? ' ? (the bound is below the goal)' : '';
}

/** The ratio as a reader must read it: "≥ …" when some rounds give only a lower bound. */
export function formatRatio(row: RatioRow, decimals: number): string {
  if (!row.ratio) return '–';
  return `${(row.boundedRounds ?? 0) > 0 ? '≥ ' : ''}${formatAcrossRounds(row.ratio, decimals)}×`;
}

