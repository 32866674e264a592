/**
 * @module service/events — the event stream's hub: what the store committed (status changes,
 * counters samples) as numbered events in a bounded in-memory ring, handed to subscribers that
 * see only what they may read, with replay from a `Last-Event-ID`. Two sources: this process's
 * own commits (`attach`, SQLite: one process serves everything), or the database's shared event
 * log (`attachLog`, PostgreSQL: every server streams every server's and agent's commits, under
 * ids that are the same on every server).
 */
import type { OctaviaKind, Stats } from '../domain/model.js';
import type { OperatingStatus, ProvisioningStatus } from '../domain/status.js';
import { canSee, type Caller, type Store } from './context.js';
import type { CommittedEvent, EventLog } from '../store/store.js';

/** One object's status change, in wire names (the `status` event's data). */
export interface StatusEventData {
  kind: OctaviaKind;
  id: string;
  loadbalancer_id: string;
  pool_id: string | null;
  project_id: string;
  name: string;
  provisioning_status: ProvisioningStatus;
  operating_status: OperatingStatus;
  /** Statuses before the change; null when the object was just created. */
  previous: { provisioning_status: ProvisioningStatus; operating_status: OperatingStatus } | null;
  /** When the change was committed (ISO 8601, UTC). */
  time: string;
}

/** Octavia's statistics fields. */
export interface StatsWire {
  bytes_in: number;
  bytes_out: number;
  active_connections: number;
  total_connections: number;
  request_errors: number;
}

/** A load balancer's counters (the `stats` event's data). */
export interface StatsEventData {
  loadbalancer_id: string;
  project_id: string;
  stats: StatsWire;
  listeners: Record<string, StatsWire>;
  time: string;
}

/** One numbered event of the stream. */
export type HubEvent =
  | { id: number; type: 'status'; projectId: string; loadBalancerId: string; data: StatusEventData }
  | { id: number; type: 'stats'; projectId: string; loadBalancerId: string; data: StatsEventData };

/** Only events of one load balancer (a `?loadbalancer_id=` filter). */
export interface EventFilter {
  loadBalancerId?: string;
}

/** What a subscription starts with: the missed events, or `reset` when they are no longer all kept. */
export type Replay = { kind: 'events'; events: HubEvent[] } | { kind: 'reset'; lastId: number };

export interface EventHubOptions {
  /** How many recent events are kept for resuming (default {@link DEFAULT_RING_SIZE}). */
  capacity?: number;
  /** The clock, for event times and the first id. */
  now?: () => number;
  /** With a shared log: how often it is read without a wake-up, as a safety net (ms, default 2000). */
  pollMs?: number;
  /** With a shared log: how often it is cut down to `capacity` events (ms, default 60 000). */
  pruneMs?: number;
}

/** Events kept for `Last-Event-ID` resumes: a few minutes of a busy cloud's status changes. */
export const DEFAULT_RING_SIZE = 10_000;

const wireStats = (s: Stats): StatsWire => ({
  bytes_in: s.bytesIn, bytes_out: s.bytesOut, active_connections: s.activeConnections,
  total_connections: s.totalConnections, request_errors: s.requestErrors,
});

interface Subscriber {
  caller: Caller;
  filter: EventFilter;
  send: (event: HubEvent) => void;
}

/**
 * Numbers committed events and fans them out. Attached to one store (`attach`), ids increase by
 * one per event and start at the start time in microseconds, so the ids of a restarted server are
 * above every id the previous one gave: an id from before a restart is simply too old, and the
 * client is told to re-read. Attached to a shared log (`attachLog`), ids are the log's: the
 * same event has the same id on every server, so a client resumes on any of them.
 */
export class EventHub {
  readonly #capacity: number;
  readonly #now: () => number;
  /** The ring: the newest `capacity` events, oldest first, `#ring[(#start + i) % capacity]`. */
  readonly #ring: HubEvent[] = [];
  #start = 0;
  #nextId: number;
  readonly #subscribers = new Set<Subscriber>();
  /** The last counters sent per load balancer: unchanged counters are no event. */
  readonly #lastStats = new Map<string, string>();
  #unwatch: (() => void) | undefined;
  readonly #opts: EventHubOptions;
  /** The shared log this hub follows (attachLog), its listener's stop and its timers. */
  #log: EventLog | undefined;
  #unlisten: (() => Promise<void>) | undefined;
  #timers: NodeJS.Timeout[] = [];
  #pulling: Promise<void> | undefined;
  #pullAgain = false;

  constructor(opts: EventHubOptions = {}) {
    this.#opts = opts;
    this.#capacity = Math.max(1, opts.capacity ?? DEFAULT_RING_SIZE);
    this.#now = opts.now ?? Date.now;
    this.#nextId = this.#now() * 1000;
  }

  /** Starts taking the store's committed events. */
  attach(store: Pick<Store, 'watch'>): void {
    this.#unwatch?.();
    this.#unwatch = store.watch((events) => this.publish(events));
  }

  /**
   * Follows the database's shared event log instead of one store's commits: loads its newest
   * `capacity` events (so a client that was streaming from another server resumes here), then
   * reads what comes after at each wake-up of the log, every `pollMs` as a safety net, and prunes
   * the log every `pruneMs`. @throws what the log throws when the database does not answer
   */
  async attachLog(log: EventLog): Promise<void> {
    await this.detach();
    const { events, lastId } = await log.latest(this.#capacity);
    this.#ring.length = 0;
    this.#start = 0;
    this.#nextId = lastId + 1;
    this.#log = log;
    for (const e of events) this.#keep(this.#fromLog(e.id, e.timeMs, e.event));
    this.#unlisten = await log.listen(() => void this.catchUp().catch(() => undefined));
    const poll = setInterval(() => void this.catchUp().catch(() => undefined), this.#opts.pollMs ?? 2000);
    const prune = setInterval(() => void log.prune(this.#capacity).catch(() => undefined), this.#opts.pruneMs ?? 60_000);
    poll.unref();
    prune.unref();
    this.#timers = [poll, prune];
  }

  /**
   * With a shared log, reads and hands out every event logged so far; resolves once a read that
   * began after this call is done (a new stream calls it first, so it sees at least what any
   * server has sent). Without one, resolves at once. @throws when the database does not answer
   */
  catchUp(): Promise<void> {
    if (!this.#log) return Promise.resolve();
    this.#pullAgain = true;
    this.#pulling ??= (async () => {
      try {
        while (this.#pullAgain && this.#log) {
          this.#pullAgain = false;
          await this.#pull(this.#log);
        }
      } finally {
        this.#pulling = undefined;
      }
    })();
    return this.#pulling;
  }

  async #pull(log: EventLog): Promise<void> {
    for (;;) {
      const batch = await log.after(this.lastId, 1000);
      for (const e of batch) {
        // A read that raced a newer one (never with the single-flight above, but cheap to check).
        if (e.id <= this.lastId) continue;
        this.#nextId = e.id + 1;
        this.#deliver(this.#fromLog(e.id, e.timeMs, e.event));
      }
      if (batch.length < 1000) return;
    }
  }

  /** Stops taking events; subscribers stay (the API closes their streams). */
  async detach(): Promise<void> {
    this.#unwatch?.();
    this.#unwatch = undefined;
    for (const t of this.#timers) clearInterval(t);
    this.#timers = [];
    this.#log = undefined;
    const unlisten = this.#unlisten;
    this.#unlisten = undefined;
    await unlisten?.();
    await this.#pulling?.catch(() => undefined);
  }

  /** Number of open subscriptions (a disconnected client must leave none). */
  get subscriberCount(): number {
    return this.#subscribers.size;
  }

  /** The id of the newest event (one below the first id when there is none yet). */
  get lastId(): number {
    return this.#nextId - 1;
  }

  /** Numbers, keeps and hands out what one commit of this process changed (`attach`). */
  publish(committed: readonly CommittedEvent[]): void {
    const time = this.#now();
    for (const c of committed) {
      if (c.type === 'stats') {
        const key = JSON.stringify([wireStats(c.total), [...c.byListener].map(([id, s]) => [id, wireStats(s)])]);
        if (this.#lastStats.get(c.loadBalancerId) === key) continue;
        this.#lastStats.set(c.loadBalancerId, key);
      }
      this.#deliver(this.#fromLog(this.#nextId++, time, c));
    }
  }

  /** One committed event as the stream's event, with its id and commit time. */
  #fromLog(id: number, timeMs: number, c: CommittedEvent): HubEvent {
    const time = new Date(timeMs).toISOString();
    if (c.type === 'status') {
      if (c.provisioningStatus === 'DELETED' && c.kind === 'loadbalancer') this.#lastStats.delete(c.id);
      return {
        id, type: 'status', projectId: c.projectId, loadBalancerId: c.loadBalancerId,
        data: {
          kind: c.kind, id: c.id, loadbalancer_id: c.loadBalancerId, pool_id: c.poolId, project_id: c.projectId, name: c.name,
          provisioning_status: c.provisioningStatus, operating_status: c.operatingStatus,
          previous: c.previous && { provisioning_status: c.previous.provisioningStatus, operating_status: c.previous.operatingStatus },
          time,
        },
      };
    }
    const stats = wireStats(c.total);
    const listeners: Record<string, StatsWire> = {};
    for (const [lid, s] of c.byListener) listeners[lid] = wireStats(s);
    return {
      id, type: 'stats', projectId: c.projectId, loadBalancerId: c.loadBalancerId,
      data: { loadbalancer_id: c.loadBalancerId, project_id: c.projectId, stats, listeners, time },
    };
  }

  /** Keeps an event and hands it to the subscribers that may see it. */
  #deliver(event: HubEvent): void {
    this.#keep(event);
    for (const s of this.#subscribers) if (visible(s, event)) s.send(event);
  }

  #keep(event: HubEvent): void {
    if (this.#ring.length < this.#capacity) {
      this.#ring.push(event);
      return;
    }
    this.#ring[this.#start] = event;
    this.#start = (this.#start + 1) % this.#capacity;
  }

  /**
   * Subscribes `send` to the events `caller` may see (own project; every project for admins and
   * global observers), optionally of one load balancer. With `lastId` (a `Last-Event-ID`), the
   * replay holds the events after it that are still kept, or `reset` when some after it are gone
   * (or it is not an id of this server). Synchronous, so no event falls between replay and live.
   * Returns the replay and the function that ends the subscription.
   */
  subscribe(caller: Caller, filter: EventFilter, lastId: number | null, send: (event: HubEvent) => void): { replay: Replay; close: () => void } {
    const sub: Subscriber = { caller, filter, send };
    let replay: Replay = { kind: 'events', events: [] };
    if (lastId !== null) {
      const oldest = this.#ring.length === 0 ? this.#nextId : this.#ring[this.#start]!.id;
      if (lastId < oldest - 1 || lastId > this.lastId) replay = { kind: 'reset', lastId: this.lastId };
      else {
        const events: HubEvent[] = [];
        // The ring is in id order: binary search for the first event after lastId.
        let lo = 0;
        let hi = this.#ring.length;
        while (lo < hi) {
          const mid = (lo + hi) >> 1;
          if (this.#ring[(this.#start + mid) % this.#capacity]!.id <= lastId) lo = mid + 1;
          else hi = mid;
        }
        for (let i = lo; i < this.#ring.length; i++) {
          const e = this.#ring[(this.#start + i) % this.#capacity]!;
          if (visible(sub, e)) events.push(e);
        }
        replay = { kind: 'events', events };
      }
    }
    this.#subscribers.add(sub);
    return { replay, close: () => void this.#subscribers.delete(sub) };
  }
}

function visible(s: Subscriber, e: HubEvent): boolean {
  if (s.filter.loadBalancerId !== undefined && e.loadBalancerId !== s.filter.loadBalancerId) return false;
  return canSee(s.caller, e.projectId);
}
