/**
 * @module store/store — the Store and Tx interfaces: intent-named operations over the
 * desired state, statuses and counters. One SQL implementation (sql-store.ts) over two dialects.
 */
import type { AgentRecord, PlacementRole } from '../domain/agents.js';
import type { LoadBalancerGraph, LoadBalancer, OctaviaKind, Stats } from '../domain/model.js';
import type { OperatingStatus, ProvisioningStatus } from '../domain/status.js';
import type { StoredByKind, StoredKind } from './tables.js';

export type { StoredByKind, StoredKind } from './tables.js';

/** A filter value: a list means "any of". */
export type FilterValue = string | number | boolean | null;

/** What a list asks for, in domain names. */
export interface ListQuery {
  /** Equality filters; several values for one key mean "any of them". */
  filters?: Readonly<Record<string, readonly FilterValue[]>>;
  /** Octavia's tag filters: all of `tags`, any of `tagsAny`, not all of `notTags`, none of `notTagsAny`. */
  tags?: { all?: readonly string[]; any?: readonly string[]; notAll?: readonly string[]; notAny?: readonly string[] };
  /** Sort keys in order; `createdAt` and `id` ascending are appended when missing (Octavia's default). */
  sort?: readonly { key: string; dir: 'asc' | 'desc' }[];
  /** At most this many rows (null: all). */
  limit?: number | null;
  /** The id of the last object of the previous page. */
  marker?: string;
  /** Walk backwards from the marker (Octavia `page_reverse=True`). */
  pageReverse?: boolean;
}

/** Reads available both inside and outside a transaction. */
export interface Reader {
  /** One object, or undefined. */
  get<K extends StoredKind>(kind: K, id: string): Promise<StoredByKind[K] | undefined>;
  /**
   * Objects matching the query, sorted and paged.
   * @throws FulcrumError INVALID_SORT_KEY for a key that is not a field; VALIDATION for an unknown marker.
   */
  list<K extends StoredKind>(kind: K, query?: ListQuery): Promise<StoredByKind[K][]>;
  /** For each parent id, the ids of `kind` objects whose `field` names it (e.g. listeners by loadBalancerId). */
  idsBy(kind: StoredKind, field: string, parentIds: readonly string[]): Promise<Map<string, string[]>>;
  /** True when the kind has a domain field of this name (for filter and sort validation). */
  hasField(kind: StoredKind, field: string): boolean;
  /** Addresses already allocated on a subnet. */
  allocatedAddresses(subnetId: string): Promise<Set<string>>;
  /**
   * Every registered agent, by host name, with its heartbeat age by the database's clock and its
   * load balancers (`withLoadBalancerIds: false`: their lists are left empty, for callers that
   * need only counts, from {@link Reader.loadBalancerCounts}).
   */
  listAgents(opts?: { withLoadBalancerIds?: boolean }): Promise<AgentRecord[]>;
  /** How many load balancer placements each agent holds, by agent id (agents with none are absent). */
  loadBalancerCounts(): Promise<Map<string, number>>;
  /** Where one load balancer runs (no rows: not placed yet). */
  placementsOf(lbId: string): Promise<Placement[]>;
  /** Every load balancer with its placements; one row with `agentId: null` for each not placed. */
  placements(): Promise<PlacementRow[]>;
  /** Segment ids (VNIs) networks hold. */
  segmentationIds(): Promise<Set<number>>;
}

/** One load balancer's place on one agent. */
export interface Placement {
  loadBalancerId: string;
  role: PlacementRole;
  agentId: string;
}

/** A load balancer with one of its placements, or none. */
export interface PlacementRow {
  loadBalancerId: string;
  provisioningStatus: ProvisioningStatus;
  availabilityZone: string | null;
  role: PlacementRole | null;
  agentId: string | null;
}

/** Writes, inside one transaction. */
export interface Tx extends Reader {
  /**
   * Reads the load balancer under a row lock held until commit (Octavia's test-and-set):
   * concurrent writers to one load balancer are serialised here.
   */
  lockLoadBalancer(id: string): Promise<LoadBalancer | undefined>;
  /** Inserts an object. @throws the dialect's unique violation (see isUniqueViolation) on a duplicate. */
  insert<K extends StoredKind>(kind: K, obj: StoredByKind[K]): Promise<void>;
  /** Sets some fields of an object and its `updatedAt`. */
  update<K extends StoredKind>(kind: K, id: string, patch: Partial<StoredByKind[K]>): Promise<void>;
  /** Removes an object row (and its tags). */
  remove(kind: StoredKind, id: string): Promise<void>;
  /**
   * Accepts a change to a load balancer: bumps its generation, sets its provisioning status,
   * and marks each listed object with the status and the new generation. Returns the generation.
   * The agent hears of it after commit.
   */
  beginChange(
    lbId: string,
    lbStatus: ProvisioningStatus,
    objects: readonly { kind: StoredKind; id: string; status: ProvisioningStatus }[],
  ): Promise<number>;
  /** Records an address allocation; fails with a unique violation if it is taken. */
  allocateAddress(subnetId: string, address: string, portId: string): Promise<void>;
  /** Frees every address of a port. */
  releaseAddresses(portId: string): Promise<void>;
  /** Holds the scheduling lock until commit: sweeps that move load balancers run one at a time across processes. */
  lockScheduling(): Promise<void>;
  /**
   * Puts a load balancer's `role` on an agent, replacing the agent that held the role (one owner
   * per role, by the primary key). The agent hears of it once the caller begins a change.
   */
  place(lbId: string, role: PlacementRole, agentId: string): Promise<void>;
  /** Sets an agent's admin state or description. False when there is no such agent. */
  updateAgent(id: string, patch: { adminStateUp?: boolean; description?: string }): Promise<boolean>;
  /** Removes an agent row (the caller checked it hosts nothing). */
  removeAgent(id: string): Promise<void>;
  /**
   * Takes the project's quota lock until commit (creating its quota row, all defaults, if it has
   * none): creates of one project that check quotas are serialised here, so two cannot both take
   * the last slot. Take it after any load balancer lock (the order every writer keeps).
   */
  lockQuota(projectId: string): Promise<void>;
  /** How many objects of a kind the project owns (rows not yet removed, pending deletes included). */
  countOwned(kind: StoredKind, projectId: string): Promise<number>;
}

/** The outcome of one apply by the agent. */
export interface ApplyOutcome {
  /** The generation that was applied (or failed). */
  generation: number;
  /** True when the data plane now serves this generation. */
  ok: boolean;
  /** Operating statuses to record, from HAProxy's stats when known. */
  operating?: readonly OperatingUpdate[];
  /**
   * The side that applied, for a load balancer with several placements (ACTIVE_STANDBY): its
   * placement records the generation, and the load balancer's objects finish only when every
   * side it needs has applied it. A failure finishes them at once (ERROR).
   */
  role?: PlacementRole;
}

/** One object's operating status. */
export interface OperatingUpdate {
  kind: StoredKind;
  id: string;
  status: OperatingStatus;
}

/** One object's statuses as a commit left them. */
export interface StatusSnapshot {
  provisioningStatus: ProvisioningStatus;
  operatingStatus: OperatingStatus;
}

/**
 * A committed change of one object's provisioning or operating status, its creation or its
 * removal (`provisioningStatus: 'DELETED'`, with the statuses it had before as `previous`).
 */
export interface StatusChange extends StatusSnapshot {
  type: 'status';
  kind: OctaviaKind;
  id: string;
  /** The load balancer the object belongs to (its own id for a load balancer). */
  loadBalancerId: string;
  /** The pool of a member or health monitor, else null. */
  poolId: string | null;
  projectId: string;
  /** Tenant free text, passed through as it is. */
  name: string;
  /** The statuses before the commit; null when the commit created the object. */
  previous: StatusSnapshot | null;
}

/** A load balancer's counters right after a sample was recorded (totals, as `stats()` reads them). */
export interface CountersRecorded {
  type: 'stats';
  loadBalancerId: string;
  projectId: string;
  /** Summed over the listeners. */
  total: Stats;
  byListener: ReadonlyMap<string, Stats>;
}

/** What one commit changed that watchers hear of. */
export type CommittedEvent = StatusChange | CountersRecorded;

/** One event of the shared log: its database-wide id and commit time. */
export interface LoggedEvent {
  id: number;
  /** When it was committed, by the database's clock (ms since 1970). */
  timeMs: number;
  event: CommittedEvent;
}

/**
 * The log of committed events that every process on one database writes (PostgreSQL): what lets
 * an API server stream the commits of other servers and of agents. Ids are database-wide,
 * increase in commit order and have no gaps.
 */
export interface EventLog {
  /** Events with ids above `afterId`, oldest first, at most `limit`. */
  after(afterId: number, limit: number): Promise<LoggedEvent[]>;
  /** The newest `limit` events, oldest first, and the newest id (0 when the log is empty). */
  latest(limit: number): Promise<{ events: LoggedEvent[]; lastId: number }>;
  /** Calls `fn` after each commit (of any process) that logged events, and after a reconnect. */
  listen(fn: () => void): Promise<() => Promise<void>>;
  /** Deletes all but the newest `keep` events. Idempotent; any process may run it. */
  prune(keep: number): Promise<void>;
}

/** The store of desired state, statuses and counters. */
export interface Store extends Reader {
  /**
   * The shared event log when several processes write this database (PostgreSQL), else
   * undefined (SQLite: {@link Store.watch} hears every commit).
   */
  readonly eventLog: EventLog | undefined;
  /** Runs `fn` in one transaction; changes it began are announced after commit. */
  transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T>;
  /**
   * The desired state of one load balancer (objects pending deletion left out), or undefined.
   * For an ACTIVE_STANDBY load balancer, `role` names the side the graph is for (its amphora id
   * and `activeStandby`); without it, the MASTER side's.
   */
  loadGraph(lbId: string, role?: PlacementRole): Promise<LoadBalancerGraph | undefined>;
  /**
   * Marks what generation `outcome.generation` included as done: PENDING_CREATE/UPDATE → ACTIVE
   * (or ERROR when !ok), PENDING_DELETE → removed (with the VIP port when the load balancer goes).
   * Idempotent; objects changed by a later generation are left pending.
   */
  recordApplied(lbId: string, outcome: ApplyOutcome): Promise<void>;
  /** Sets operating statuses of one load balancer's objects. */
  recordOperating(lbId: string, statuses: readonly OperatingUpdate[]): Promise<void>;
  /** Ids of load balancers whose applied generation lags or that are pending (only those placed on `agentId` when given). */
  pendingLoadBalancers(agentId?: string): Promise<string[]>;
  /** Every load balancer id (only those placed on `agentId` when given), for the agent's resync. */
  allLoadBalancerIds(agentId?: string): Promise<string[]>;
  /**
   * Registers the agent of a host, or finds it again (same id, admin state kept) after a restart,
   * with a fresh heartbeat and start time and these configurations.
   */
  registerAgent(host: string, configurations: Readonly<Record<string, unknown>>): Promise<AgentRecord>;
  /** Records a heartbeat of an agent by the database's clock. False when the agent row is gone (re-register). */
  heartbeatAgent(id: string): Promise<boolean>;
  /**
   * Records a sample of each listener's raw counters from the data-plane process `epoch` (for
   * HAProxy, its worker). Totals grow by the difference from the last sample of the same epoch, or
   * by the whole sample when the epoch is new (a reloaded or restarted process counts from zero);
   * active connections are set. Samples are cumulative, so a repeated sample adds nothing.
   */
  recordCounters(lbId: string, epoch: string, byListener: ReadonlyMap<string, Stats>): Promise<void>;
  /** Stats of one listener, or of a whole load balancer (summed over its listeners). */
  stats(scope: 'listener' | 'loadbalancer', id: string): Promise<Stats>;
  /**
   * Calls `fn` after each commit of this store object that changed statuses (every write path:
   * transactions, recordApplied, recordOperating) or recorded counters, with what it changed, in
   * commit order. Never for a rolled-back transaction. `fn` runs synchronously after the commit
   * and must not throw. Returns the function that stops the calls.
   */
  watch(fn: (events: readonly CommittedEvent[]) => void): () => void;
  /** Calls `fn` with each load balancer id changed by a commit ('*' means "resync everything"). */
  subscribe(fn: (lbId: string) => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}
