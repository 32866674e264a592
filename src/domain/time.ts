/** @module domain/time — timestamps: stored as UTC ISO-8601 with milliseconds, shown to clients to the second as Octavia does. */

/** Now, as `2026-11-24T20:37:19.123` (UTC, no zone suffix, as Octavia stores it). */
export function nowTimestamp(): string {
  return new Date().toISOString().slice(0, 23);
}

/** A stored timestamp as Octavia shows it: `2026-11-24T20:37:19`. */
export function wireTimestamp(ts: string | null): string | null {
  return ts === null ? null : ts.slice(0, 19);
}
