/**
 * @module cli/wait — `--wait`: follows one object and prints a line for each change of its
 * provisioning or operating status, with the time since the command started, until ACTIVE, ERROR
 * or gone. It follows the API's event stream; a server without one (404) is polled instead.
 */
import { ApiError, type ApiClient, type ApiObject, type Resource } from './client.js';
import type { StatusEvent } from './event-stream.js';
import { CliError } from './errors.js';
import type { Writer } from './output.js';

/** How to wait and where the progress lines go. */
export interface WaitOptions {
  /** Progress lines (stderr, so that stdout stays parseable with `-f json`). */
  err: Writer;
  /** `Date.now()` when the command started: elapsed times count from there. */
  startedAt: number;
  /** Time between two reads of the object when polling (a server without an event stream). */
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

/** What following the event stream came to: the object (ACTIVE), gone, or "poll instead". */
type Followed = { done: ApiObject | null } | 'poll';

/** Answers of a server that has no event stream (an older Fulcrum, another Octavia). */
const NO_EVENT_STREAM = new Set([404, 405, 501]);

/**
 * Follows one object through the event stream until `goal`: subscribes first, then reads the
 * object once (a change committed in between would otherwise be missed), then takes each event
 * of the object whose `previous` statuses are the ones last seen; an event already reflected is
 * skipped, and anything else (a `reset`, a gap) is settled by reading the object again.
 * Returns 'poll' when the server has no event stream, or closed it before the goal.
 * @throws CliError on ERROR, on a deletion while waiting for ACTIVE, and when the deadline passes.
 */
async function follow(
  client: ApiClient, res: Resource, id: string, goal: 'active' | 'gone', progress: Progress, opts: WaitOptions,
  deadline: number, loadBalancerId: string | undefined, parentId?: string,
): Promise<Followed> {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), Math.max(0, deadline - Date.now()));
  try {
    let stream;
    try {
      stream = await client.events({ ...(loadBalancerId ? { loadBalancerId } : {}), signal: abort.signal });
    } catch (err) {
      if (err instanceof ApiError && NO_EVENT_STREAM.has(err.status)) return 'poll';
      if (abort.signal.aborted) throw timedOut(progress, opts);
      throw err;
    }
    const read = async (): Promise<ApiObject | null> => {
      try {
        return await client.get(res, id, parentId);
      } catch (err) {
        if (err instanceof ApiError && err.status === 404) return null;
        throw err;
      }
    };
    /** The outcome once the object is seen as `obj` (null: gone), or undefined to go on. */
    const reached = (obj: ApiObject | null): { done: ApiObject | null } | undefined => {
      if (obj === null) {
        if (goal === 'active') throw new CliError(`${progress.label} was deleted`);
        progress.line('deleted');
        return { done: null };
      }
      progress.see(obj);
      if (obj.provisioning_status === 'ERROR') throw new CliError(`${progress.label} went to ERROR`);
      if (goal === 'active' && obj.provisioning_status === 'ACTIVE') return { done: obj };
      return undefined;
    };
    let state = await read();
    let outcome = reached(state);
    if (outcome) return outcome;
    for await (const m of stream) {
      let e: StatusEvent | undefined;
      if (m.event === 'status') {
        e = JSON.parse(m.data) as StatusEvent;
        if (e.kind !== res.key || e.id !== id) continue;
      } else if (m.event !== 'reset') continue;
      if (e && e.provisioning_status === 'DELETED') state = null;
      else if (e && state && e.previous && sameStatuses(e.previous, state)) {
        state = { ...state, provisioning_status: e.provisioning_status, operating_status: e.operating_status };
      } else if (e && state && sameStatuses(e, state)) continue;
      else state = await read();
      outcome = reached(state);
      // ACTIVE: the object as it is now, not patched from events.
      if (outcome) return outcome.done !== null ? { done: (await read()) ?? outcome.done } : outcome;
    }
    if (abort.signal.aborted) throw timedOut(progress, opts);
    return 'poll';
  } finally {
    clearTimeout(timer);
    abort.abort();
  }
}

const sameStatuses = (a: { provisioning_status: unknown; operating_status: unknown }, b: Record<string, unknown>): boolean =>
  a.provisioning_status === b.provisioning_status && a.operating_status === b.operating_status;

/** The load balancer an object belongs to, when its wire shape names it (to ask the server for its events only). */
function loadBalancerOf(res: Resource, obj: Record<string, unknown>): string | undefined {
  if (res.key === 'loadbalancer') return String(obj.id);
  const lbs = obj.loadbalancers;
  if (Array.isArray(lbs) && lbs.length === 1 && typeof (lbs[0] as { id?: unknown }).id === 'string') return (lbs[0] as { id: string }).id;
  return undefined;
}

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
  progress.see(first);
  if (first.provisioning_status === 'ACTIVE') return first;
  if (first.provisioning_status === 'ERROR') throw new CliError(`${progress.label} went to ERROR`);
  const followed = await follow(client, res, first.id, 'active', progress, opts, deadline, loadBalancerOf(res, first), parentId);
  if (followed !== 'poll') return followed.done!;
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
  const followed = await follow(client, res, ref.id, 'gone', progress, opts, deadline, res.key === 'loadbalancer' ? ref.id : undefined, parentId);
  if (followed !== 'poll') return;
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
