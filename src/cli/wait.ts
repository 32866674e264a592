/**
 * @module cli/wait — `--wait`: polls one object and prints a line for each change of its
 * provisioning or operating status, with the time since the command started, until ACTIVE, ERROR or gone.
 */
import { ApiError, type ApiClient, type ApiObject, type Resource } from './client.js';
import { CliError } from './errors.js';
import type { Writer } from './output.js';

/** How to wait and where the progress lines go. */
export interface WaitOptions {
  /** Progress lines (stderr, so that stdout stays parseable with `-f json`). */
  err: Writer;
  /** `Date.now()` when the command started: elapsed times count from there. */
  startedAt: number;
  /** Time between two reads of the object. */
  intervalMs: number;
  /** Give up (exit 1) after this long. */
  timeoutMs: number;
}

const STATUS_FIELDS = ['provisioning_status', 'operating_status'] as const;

/** Tracks one object's statuses and prints what changed. */
class Progress {
  private last: Partial<Record<(typeof STATUS_FIELDS)[number], string>> = {};
  readonly label: string;

  constructor(res: Resource, ref: { id: string; name?: unknown }, private readonly opts: WaitOptions) {
    this.label = `${res.title} ${typeof ref.name === 'string' && ref.name !== '' ? ref.name : ref.id}`;
  }

  /** Prints `[1.23s] load balancer lb1: provisioning_status PENDING_CREATE → ACTIVE, …` when anything changed. */
  see(obj: Record<string, unknown>): void {
    const parts: string[] = [];
    for (const f of STATUS_FIELDS) {
      const now = String(obj[f]);
      const before = this.last[f];
      if (before === now) continue;
      parts.push(before === undefined ? `${f} ${now}` : `${f} ${before} → ${now}`);
      this.last[f] = now;
    }
    if (parts.length > 0) this.line(parts.join(', '));
  }

  line(text: string): void {
    this.opts.err.write(`[${((Date.now() - this.opts.startedAt) / 1000).toFixed(2)}s] ${this.label}: ${text}\n`);
  }

  get provisioning(): string | undefined {
    return this.last.provisioning_status;
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Waits until the object's provisioning_status is ACTIVE and returns it as last read. `first` is
 * the object as a create or update answered, shown as the first line. Throws {@link CliError} on
 * ERROR or when `timeoutMs` passes.
 */
export async function waitForActive(
  client: ApiClient, res: Resource, first: ApiObject, opts: WaitOptions, parentId?: string,
): Promise<ApiObject> {
  const progress = new Progress(res, first, opts);
  const deadline = Date.now() + opts.timeoutMs;
  let obj = first;
  for (;;) {
    progress.see(obj);
    if (obj.provisioning_status === 'ACTIVE') return obj;
    if (obj.provisioning_status === 'ERROR') throw new CliError(`${progress.label} went to ERROR`);
    if (Date.now() >= deadline) throw timedOut(progress, opts);
    await sleep(opts.intervalMs);
    obj = await client.get(res, first.id, parentId);
  }
}

/** Waits until reading the object answers 404. Throws {@link CliError} on ERROR or when `timeoutMs` passes. */
export async function waitForGone(
  client: ApiClient, res: Resource, ref: { id: string; name?: unknown }, opts: WaitOptions, parentId?: string,
): Promise<void> {
  const progress = new Progress(res, ref, opts);
  const deadline = Date.now() + opts.timeoutMs;
  for (;;) {
    let obj: ApiObject;
    try {
      obj = await client.get(res, ref.id, parentId);
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) {
        progress.line('deleted');
        return;
      }
      throw err;
    }
    progress.see(obj);
    if (obj.provisioning_status === 'ERROR') throw new CliError(`${progress.label} went to ERROR`);
    if (Date.now() >= deadline) throw timedOut(progress, opts);
    await sleep(opts.intervalMs);
  }
}

const timedOut = (p: Progress, opts: WaitOptions): CliError =>
  new CliError(`Timed out after ${opts.timeoutMs / 1000} s waiting for ${p.label} (provisioning_status ${p.provisioning ?? 'unknown'})`);
