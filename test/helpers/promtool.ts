/** @module test/helpers/promtool — `promtool check metrics` (Debian's prometheus package) on a scrape. */
import { spawnSync } from 'node:child_process';

/** Runs `promtool check metrics` on a text; returns its exit status and complaints ('' when it has none). */
export function promtoolCheck(text: string): { status: number | null; output: string } {
  const r = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  if (r.error) throw r.error;
  return { status: r.status, output: `${r.stdout}${r.stderr}`.trim() };
}
