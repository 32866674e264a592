/**
 * @module store/sql-store — the Store over SQL, shared by both dialects. Generic row mapping
 * comes from tables.ts; everything dialect-specific sits behind SqlDialect.
 */
import { FulcrumError } from '../domain/errors.js';
import { nowTimestamp } from '../domain/time.js';
import { VIP_PORT_OWNER, VRRP_PORT_OWNER, type ActiveStandby, type VrrpSide, type LoadBalancer, type LoadBalancerGraph, type Network, type Port, type Stats, type Subnet } from '../domain/model.js';
import type { OctaviaKind } from '../domain/model.js';
import { flavorSettings, type Amphora, type FlavorSettings } from '../domain/operator.js';
import type { OperatingStatus, ProvisioningStatus } from '../domain/status.js';
import type { AgentRecord, PlacementRole } from '../domain/agents.js';
import { newId } from '../domain/ids.js';
import { migrate } from './migrate.js';
import type { Row, SqlConn, SqlDialect, SqlValue } from './sql.js';
import type { ApplyOutcome, CommittedEvent, EventLog, ListQuery, LoggedEvent, OperatingUpdate, Placement, PlacementRow, Reader, StatusChange, Store, Tx } from './store.js';
import { TABLES, type ColumnKind, type StoredByKind, type StoredKind } from './tables.js';

/** Child tables of a load balancer, in the order rows must be removed (foreign keys point up this list). */
const CHILD_KINDS = ['l7rule', 'l7policy', 'healthmonitor', 'member', 'pool', 'listener'] as const;

interface Compiled {
  table: string;
  select: string;
  fields: [field: string, column: string, kind: ColumnKind][];
  byField: Map<string, [column: string, kind: ColumnKind]>;
}

const compiled = new Map<StoredKind, Compiled>();
for (const kind of Object.keys(TABLES) as StoredKind[]) {
  const spec = TABLES[kind];
  const fields = Object.entries(spec.columns).map(([f, c]) => [f, c![0], c![1]] as [string, string, ColumnKind]);
  compiled.set(kind, {
    table: spec.table,
    select: `SELECT ${fields.map(([, c]) => c).join(', ')} FROM ${spec.table}`,
    fields,
    byField: new Map(fields.map(([f, c, k]) => [f, [c, k]])),
  });
}

function spec(kind: StoredKind): Compiled {
  return compiled.get(kind)!;
}

function encode(kind: ColumnKind, v: unknown): SqlValue {
  if (v === undefined || v === null) return null;
  switch (kind) {
    case 'bool': return v ? 1 : 0;
    case 'json': return JSON.stringify(v);
    case 'int': return Number(v);
    default: return String(v);
  }
}

function decodeRow<T>(c: Compiled, row: Row): T {
  const out: Record<string, unknown> = {};
  for (const [f, col, kind] of c.fields) {
    const v = row[col];
    if (v === null || v === undefined) out[f] = null;
    else if (kind === 'bool') out[f] = v === true || v === 1 || v === '1';
    else if (kind === 'json') out[f] = JSON.parse(String(v));
    else if (kind === 'int') out[f] = Number(v);
    else out[f] = v;
  }
  return out as T;
}

/** Sort keys whose columns are NOT NULL in every table (migrations), compared without COALESCE. */
const NOT_NULL_SORT_KEYS: ReadonlySet<string> = new Set(['id', 'createdAt']);

function sortDefault(kind: ColumnKind): SqlValue {
  return kind === 'int' || kind === 'bool' ? 0 : '';
}

/** Reads shared by the store and its transactions. */
class SqlReader implements Reader {
  constructor(protected readonly conn: SqlConn, private readonly clock: string) {}

  async get<K extends StoredKind>(kind: K, id: string): Promise<StoredByKind[K] | undefined> {
    const c = spec(kind);
    const rows = await this.conn.all(`${c.select} WHERE id = ?`, [id]);
    return rows[0] ? decodeRow<StoredByKind[K]>(c, rows[0]) : undefined;
  }

  hasField(kind: StoredKind, field: string): boolean {
    return spec(kind).byField.has(field);
  }

  async list<K extends StoredKind>(kind: K, q: ListQuery = {}): Promise<StoredByKind[K][]> {
    const c = spec(kind);
    const where: string[] = [];
    const params: SqlValue[] = [];
    for (const [field, values] of Object.entries(q.filters ?? {})) {
      const col = c.byField.get(field);
      if (!col) throw new FulcrumError('VALIDATION', `Invalid filter argument: ${field}`, { field });
      const nonNull = values.filter((v) => v !== null);
      const parts: string[] = [];
      if (nonNull.length > 0) {
        parts.push(`${col[0]} IN (${nonNull.map(() => '?').join(', ')})`);
        params.push(...nonNull.map((v) => encode(col[1], v)));
      }
      if (nonNull.length < values.length) parts.push(`${col[0]} IS NULL`);
      if (parts.length > 0) where.push(`(${parts.join(' OR ')})`);
    }
    const t = q.tags ?? {};
    const tagIn = (tags: readonly string[]): string => {
      params.push(...tags);
      return `SELECT 1 FROM tags WHERE tags.resource_id = ${c.table}.id AND tags.tag IN (${tags.map(() => '?').join(', ')})`;
    };
    for (const tag of t.all ?? []) where.push(`EXISTS (${tagIn([tag])})`);
    if (t.any?.length) where.push(`EXISTS (${tagIn(t.any)})`);
    if (t.notAll?.length) {
      where.push(`NOT (${t.notAll.map((tag) => `EXISTS (${tagIn([tag])})`).join(' AND ')})`);
    }
    if (t.notAny?.length) where.push(`NOT EXISTS (${tagIn(t.notAny)})`);

    const sort = [...(q.sort ?? [])];
    for (const key of ['createdAt', 'id']) {
      if (c.byField.has(key) && !sort.some((s) => s.key === key)) sort.push({ key, dir: 'asc' });
    }
    const keys = sort.map(({ key, dir }) => {
      const col = c.byField.get(key);
      if (!col || col[1] === 'json') throw new FulcrumError('INVALID_SORT_KEY', `Supplied sort key '${key}' is not valid.`);
      const effective = q.pageReverse ? (dir === 'asc' ? 'desc' : 'asc') : dir;
      // id and created_at are NOT NULL in every table: sorted bare, an index on (…, created_at)
      // gives the order (a COALESCE would make SQLite sort every row in a temporary B-tree).
      const expr = NOT_NULL_SORT_KEYS.has(key) ? col[0] : `COALESCE(${col[0]}, ${col[1] === 'int' || col[1] === 'bool' ? '0' : "''"})`;
      return { expr, field: key, dir: effective, kind: col[1] };
    });
    if (q.marker !== undefined) {
      const marker = await this.get(kind, q.marker);
      if (!marker) throw new FulcrumError('VALIDATION', `Invalid marker: ${q.marker}`, { field: 'marker' });
      const values = keys.map((k) => {
        const v = (marker as unknown as Record<string, unknown>)[k.field];
        return v === null || v === undefined ? sortDefault(k.kind) : encode(k.kind, v);
      });
      const ors: string[] = [];
      keys.forEach((k, i) => {
        const ands = keys.slice(0, i).map((p, j) => {
          params.push(values[j]!);
          return `${p.expr} = ?`;
        });
        params.push(values[i]!);
        ands.push(`${k.expr} ${k.dir === 'asc' ? '>' : '<'} ?`);
        ors.push(`(${ands.join(' AND ')})`);
      });
      where.push(`(${ors.join(' OR ')})`);
    }
    let sql = c.select;
    if (where.length) sql += ` WHERE ${where.join(' AND ')}`;
    sql += ` ORDER BY ${keys.map((k) => `${k.expr} ${k.dir.toUpperCase()}`).join(', ')}`;
    if (q.limit !== undefined && q.limit !== null) {
      sql += ' LIMIT ?';
      params.push(q.limit);
    }
    const rows = (await this.conn.all(sql, params)).map((r) => decodeRow<StoredByKind[K]>(c, r));
    return q.pageReverse ? rows.reverse() : rows;
  }

  async idsBy(kind: StoredKind, field: string, parentIds: readonly string[]): Promise<Map<string, string[]>> {
    const c = spec(kind);
    const col = c.byField.get(field);
    if (!col) throw new Error(`${kind} has no field ${field}`);
    const out = new Map<string, string[]>(parentIds.map((id) => [id, []]));
    for (let i = 0; i < parentIds.length; i += 500) {
      const chunk = parentIds.slice(i, i + 500);
      const rows = await this.conn.all(
        `SELECT id, ${col[0]} AS parent FROM ${c.table} WHERE ${col[0]} IN (${chunk.map(() => '?').join(', ')})
         ORDER BY created_at, id`,
        chunk,
      );
      for (const r of rows) out.get(String(r.parent))?.push(String(r.id));
    }
    return out;
  }

  async allocatedAddresses(subnetId: string): Promise<Set<string>> {
    const rows = await this.conn.all('SELECT ip_address FROM ip_allocations WHERE subnet_id = ?', [subnetId]);
    return new Set(rows.map((r) => String(r.ip_address)));
  }

  async listAgents(opts: { withLoadBalancerIds?: boolean } = {}): Promise<AgentRecord[]> {
    const rows = await this.conn.all(
      `SELECT id, host, admin_state_up, description, configurations, heartbeat_ms, started_at, created_at,
       ${this.nowMs} - heartbeat_ms AS age FROM agents ORDER BY host`,
    );
    const placed = opts.withLoadBalancerIds === false ? []
      : await this.conn.all('SELECT agent_id, load_balancer_id FROM lb_placements ORDER BY placed_at, load_balancer_id');
    const byAgent = new Map<string, string[]>();
    // Pushed, not copied: a copy per row made this quadratic, and every create calls it (placement).
    for (const p of placed) {
      const ids = byAgent.get(String(p.agent_id));
      if (ids) ids.push(String(p.load_balancer_id));
      else byAgent.set(String(p.agent_id), [String(p.load_balancer_id)]);
    }
    return rows.map((r) => ({
      id: String(r.id), host: String(r.host), adminStateUp: r.admin_state_up === true || Number(r.admin_state_up) === 1,
      description: String(r.description ?? ''), configurations: JSON.parse(String(r.configurations ?? '{}')) as Record<string, unknown>,
      heartbeatAgeMs: Math.max(0, Number(r.age)), heartbeatAt: new Date(Number(r.heartbeat_ms)).toISOString().slice(0, 23),
      startedAt: String(r.started_at), createdAt: String(r.created_at), loadBalancerIds: byAgent.get(String(r.id)) ?? [],
    }));
  }

  async loadBalancerCounts(): Promise<Map<string, number>> {
    const rows = await this.conn.all('SELECT agent_id, COUNT(*) AS n FROM lb_placements GROUP BY agent_id');
    return new Map(rows.map((r) => [String(r.agent_id), Number(r.n)]));
  }

  async placementsOf(lbId: string): Promise<Placement[]> {
    const rows = await this.conn.all('SELECT load_balancer_id, role, agent_id FROM lb_placements WHERE load_balancer_id = ? ORDER BY role', [lbId]);
    return rows.map((r) => ({ loadBalancerId: String(r.load_balancer_id), role: String(r.role) as PlacementRole, agentId: String(r.agent_id) }));
  }

  async placements(): Promise<PlacementRow[]> {
    // One row per role the load balancer needs (its amphorae's roles; STANDALONE without any), with
    // the agent holding it or null: a pair's side no agent could take is a row to place.
    const rows = await this.conn.all(
      `SELECT lb.id, lb.provisioning_status, lb.availability_zone, r.role, p.agent_id
       FROM load_balancers lb
       JOIN (SELECT id AS lb_id, COALESCE((SELECT MIN(role) FROM amphorae a WHERE a.load_balancer_id = l.id), 'STANDALONE') AS role FROM load_balancers l
             UNION SELECT load_balancer_id, role FROM amphorae) r ON r.lb_id = lb.id
       LEFT JOIN lb_placements p ON p.load_balancer_id = lb.id AND p.role = r.role
       ORDER BY lb.created_at, lb.id, r.role`,
    );
    return rows.map((r) => ({
      loadBalancerId: String(r.id), provisioningStatus: String(r.provisioning_status) as ProvisioningStatus,
      availabilityZone: r.availability_zone === null || r.availability_zone === undefined ? null : String(r.availability_zone),
      role: r.role === null || r.role === undefined ? null : String(r.role) as PlacementRole,
      agentId: r.agent_id === null || r.agent_id === undefined ? null : String(r.agent_id),
    }));
  }

  async segmentationIds(): Promise<Set<number>> {
    const rows = await this.conn.all('SELECT segmentation_id FROM networks WHERE segmentation_id IS NOT NULL');
    return new Set(rows.map((r) => Number(r.segmentation_id)));
  }

  /** The database clock's expression (milliseconds). */
  protected get nowMs(): string {
    return this.clock;
  }
}

/** The kinds whose statuses are watched. */
const STATUS_KINDS: ReadonlySet<string> = new Set<OctaviaKind>(['loadbalancer', 'listener', 'pool', 'member', 'healthmonitor']);

/** What a watcher needs of one object, read inside the transaction. */
type StatusRow = Omit<StatusChange, 'type' | 'previous'>;

/** Reads the status rows of some objects of one kind (absent ones are left out). */
async function readStatusRows(conn: SqlConn, kind: OctaviaKind, ids: readonly string[]): Promise<Map<string, StatusRow>> {
  const out = new Map<string, StatusRow>();
  const c = spec(kind);
  const lb = kind === 'loadbalancer' ? 'id' : 'load_balancer_id';
  const pool = kind === 'member' || kind === 'healthmonitor' ? 'pool_id' : 'NULL';
  for (let i = 0; i < ids.length; i += 500) {
    const chunk = ids.slice(i, i + 500);
    const rows = await conn.all(
      `SELECT id, ${lb} AS lb, ${pool} AS pool, project_id, name, provisioning_status, operating_status FROM ${c.table}
       WHERE id IN (${chunk.map(() => '?').join(', ')})`,
      chunk,
    );
    for (const r of rows) {
      out.set(String(r.id), {
        kind, id: String(r.id), loadBalancerId: String(r.lb), poolId: r.pool === null || r.pool === undefined ? null : String(r.pool),
        projectId: String(r.project_id ?? ''), name: String(r.name ?? ''),
        provisioningStatus: String(r.provisioning_status) as ProvisioningStatus, operatingStatus: String(r.operating_status) as OperatingStatus,
      });
    }
  }
  return out;
}

class SqlTx extends SqlReader implements Tx {
  readonly changed = new Set<string>();
  /**
   * Objects whose statuses this transaction may change, by `kind:id`, with their row as it was
   * before (null: created here). Filled before each write, compared at the end ({@link statusChanges}).
   */
  readonly #touched = new Map<string, StatusRow | null>();

  /** Remembers the current rows of objects about to be written (once per object per transaction). */
  async touch(kind: StoredKind, ids: readonly string[]): Promise<void> {
    if (!STATUS_KINDS.has(kind)) return;
    const fresh = [...new Set(ids)].filter((id) => !this.#touched.has(`${kind}:${id}`));
    if (fresh.length === 0) return;
    const rows = await readStatusRows(this.conn, kind as OctaviaKind, fresh);
    for (const id of fresh) this.#touched.set(`${kind}:${id}`, rows.get(id) ?? null);
  }

  /** The status changes of this transaction: touched objects whose statuses differ now, appeared or vanished. */
  async statusChanges(): Promise<StatusChange[]> {
    if (this.#touched.size === 0) return [];
    const byKind = new Map<OctaviaKind, string[]>();
    for (const key of this.#touched.keys()) {
      const [kind, id] = key.split(':') as [OctaviaKind, string];
      // Pushed, not copied: a batch of 1,000 members touches 1,000 objects (copying was quadratic).
      const ids = byKind.get(kind);
      if (ids) ids.push(id);
      else byKind.set(kind, [id]);
    }
    const now = new Map<string, StatusRow>();
    for (const [kind, ids] of byKind) for (const [id, row] of await readStatusRows(this.conn, kind, ids)) now.set(`${kind}:${id}`, row);
    const out: StatusChange[] = [];
    for (const [key, before] of this.#touched) {
      const after = now.get(key);
      const previous = before ? { provisioningStatus: before.provisioningStatus, operatingStatus: before.operatingStatus } : null;
      if (after === undefined) {
        if (before) out.push({ type: 'status', ...before, provisioningStatus: 'DELETED', previous });
      } else if (!before || before.provisioningStatus !== after.provisioningStatus || before.operatingStatus !== after.operatingStatus) {
        out.push({ type: 'status', ...after, previous });
      }
    }
    return out;
  }

  constructor(conn: SqlConn, private readonly dialect: SqlDialect) {
    super(conn, dialect.nowMs);
  }

  async lockScheduling(): Promise<void> {
    await this.dialect.lockScheduling(this.conn);
  }

  async place(lbId: string, role: PlacementRole, agentId: string): Promise<void> {
    const ts = nowTimestamp();
    await this.conn.run(
      `INSERT INTO lb_placements (load_balancer_id, role, agent_id, placed_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (load_balancer_id, role) DO UPDATE SET agent_id = excluded.agent_id, placed_at = excluded.placed_at`,
      [lbId, role, agentId, ts],
    );
  }

  async updateAgent(id: string, patch: { adminStateUp?: boolean; description?: string }): Promise<boolean> {
    const sets: string[] = [];
    const params: SqlValue[] = [];
    if (patch.adminStateUp !== undefined) { sets.push('admin_state_up = ?'); params.push(patch.adminStateUp ? 1 : 0); }
    if (patch.description !== undefined) { sets.push('description = ?'); params.push(patch.description); }
    if (sets.length === 0) return (await this.conn.all('SELECT id FROM agents WHERE id = ?', [id])).length > 0;
    return (await this.conn.run(`UPDATE agents SET ${sets.join(', ')} WHERE id = ?`, [...params, id])) > 0;
  }

  async removeAgent(id: string): Promise<void> {
    await this.conn.run('DELETE FROM agents WHERE id = ?', [id]);
  }

  async lockLoadBalancer(id: string): Promise<LoadBalancer | undefined> {
    const c = spec('loadbalancer');
    const rows = await this.conn.all(`${c.select} WHERE id = ?${this.dialect.forUpdate}`, [id]);
    return rows[0] ? decodeRow<LoadBalancer>(c, rows[0]) : undefined;
  }

  async insert<K extends StoredKind>(kind: K, obj: StoredByKind[K]): Promise<void> {
    const c = spec(kind);
    const record = obj as unknown as Record<string, unknown>;
    const key = `${kind}:${String(record.id)}`;
    if (STATUS_KINDS.has(kind) && !this.#touched.has(key)) this.#touched.set(key, null);
    const present = c.fields.filter(([f]) => record[f] !== undefined);
    await this.conn.run(
      `INSERT INTO ${c.table} (${present.map(([, col]) => col).join(', ')}) VALUES (${present.map(() => '?').join(', ')})`,
      present.map(([f, , k]) => encode(k, record[f])),
    );
    const tags = record.tags;
    if (Array.isArray(tags)) await this.#writeTags(String(record.id), tags as string[]);
  }

  async update<K extends StoredKind>(kind: K, id: string, patch: Partial<StoredByKind[K]>): Promise<void> {
    const c = spec(kind);
    const record = { ...(patch as Record<string, unknown>) };
    if (record.provisioningStatus !== undefined || record.operatingStatus !== undefined) await this.touch(kind, [id]);
    if (c.byField.has('updatedAt') && record.updatedAt === undefined) record.updatedAt = nowTimestamp();
    const present = c.fields.filter(([f]) => f !== 'id' && record[f] !== undefined);
    if (present.length === 0) return;
    await this.conn.run(
      `UPDATE ${c.table} SET ${present.map(([, col]) => `${col} = ?`).join(', ')} WHERE id = ?`,
      [...present.map(([f, , k]) => encode(k, record[f])), id],
    );
    if (Array.isArray(record.tags)) await this.#writeTags(id, record.tags as string[]);
  }

  async remove(kind: StoredKind, id: string): Promise<void> {
    await this.touch(kind, [id]);
    await this.conn.run('DELETE FROM tags WHERE resource_id = ?', [id]);
    await this.conn.run(`DELETE FROM ${spec(kind).table} WHERE id = ?`, [id]);
  }

  async #writeTags(id: string, tags: readonly string[]): Promise<void> {
    await this.conn.run('DELETE FROM tags WHERE resource_id = ?', [id]);
    for (const tag of new Set(tags)) await this.conn.run('INSERT INTO tags (resource_id, tag) VALUES (?, ?)', [id, tag]);
  }

  async beginChange(
    lbId: string,
    lbStatus: ProvisioningStatus,
    objects: readonly { kind: StoredKind; id: string; status: ProvisioningStatus }[],
  ): Promise<number> {
    const ts = nowTimestamp();
    await this.touch('loadbalancer', [lbId]);
    for (const kind of new Set(objects.map((o) => o.kind))) await this.touch(kind, objects.filter((o) => o.kind === kind).map((o) => o.id));
    const rows = await this.conn.all(
      `UPDATE load_balancers SET generation = generation + 1, provisioning_status = ?, updated_at = ?,
       pending_generation = generation + 1 WHERE id = ? RETURNING generation`,
      [lbStatus, ts, lbId],
    );
    const generation = Number(rows[0]?.generation);
    for (const o of objects) {
      await this.conn.run(
        `UPDATE ${spec(o.kind).table} SET provisioning_status = ?, pending_generation = ?, updated_at = ? WHERE id = ?`,
        [o.status, generation, ts, o.id],
      );
    }
    this.changed.add(lbId);
    return generation;
  }

  async allocateAddress(subnetId: string, address: string, portId: string): Promise<void> {
    await this.conn.run('INSERT INTO ip_allocations (subnet_id, ip_address, port_id) VALUES (?, ?, ?)', [
      subnetId, address, portId,
    ]);
  }

  async releaseAddresses(portId: string): Promise<void> {
    await this.conn.run('DELETE FROM ip_allocations WHERE port_id = ?', [portId]);
  }

  async lockQuota(projectId: string): Promise<void> {
    // A second creator of the row waits here for the first to commit, then finds it.
    await this.conn.run('INSERT INTO quotas (id) VALUES (?) ON CONFLICT (id) DO NOTHING', [projectId]);
    await this.conn.all(`SELECT id FROM quotas WHERE id = ?${this.dialect.forUpdate}`, [projectId]);
  }

  async countOwned(kind: StoredKind, projectId: string): Promise<number> {
    const rows = await this.conn.all(`SELECT COUNT(*) AS n FROM ${spec(kind).table} WHERE project_id = ?`, [projectId]);
    return Number(rows[0]?.n ?? 0);
  }
}


/** What makes two counters samples the same event. */
const statsKey = (e: Extract<CommittedEvent, { type: 'stats' }>): string => JSON.stringify([e.total, [...e.byListener]]);

/** A committed event as the log's `data` column holds it (a Map as its entries). */
function encodeEvent(e: CommittedEvent): string {
  return JSON.stringify(e.type === 'stats' ? { ...e, byListener: [...e.byListener] } : e);
}

function loggedEvent(r: Row): LoggedEvent {
  const raw = JSON.parse(String(r.data)) as CommittedEvent & { byListener?: [string, Stats][] };
  const event = raw.type === 'stats' ? { ...raw, byListener: new Map(raw.byListener) } : raw;
  return { id: Number(r.id), timeMs: Number(r.created_ms), event: event as CommittedEvent };
}

/** The Store over one SQL dialect. */
export class SqlStore extends SqlReader implements Store {
  readonly #watchers = new Set<(events: readonly CommittedEvent[]) => void>();

  private constructor(private readonly db: SqlDialect) {
    super(db, db.nowMs);
    this.eventLog = this.#eventLog();
  }

  watch(fn: (events: readonly CommittedEvent[]) => void): () => void {
    this.#watchers.add(fn);
    return () => {
      this.#watchers.delete(fn);
    };
  }

  /** The next commit's place in the publication order (taken as a transaction's last step). */
  #nextSeq = 0;
  /** The next place to publish, and what later commits handed over before it came. */
  #publishSeq = 0;
  readonly #waiting = new Map<number, readonly CommittedEvent[]>();

  /**
   * Tells the watchers what commit `seq` changed, once every earlier commit has been told: a
   * transaction's promise may settle a tick after a later one's, but watchers hear commit order.
   * Called only once the commit returned (with nothing when it failed).
   */
  #published(seq: number, events: readonly CommittedEvent[]): void {
    this.#waiting.set(seq, events);
    for (let next = this.#waiting.get(this.#publishSeq); next !== undefined; next = this.#waiting.get(this.#publishSeq)) {
      this.#waiting.delete(this.#publishSeq++);
      if (next.length > 0) for (const fn of this.#watchers) fn(next);
    }
  }

  /** True when commits must compute their events: someone watches here, or the shared log records them. */
  get #wantsEvents(): boolean {
    return this.#watchers.size > 0 || this.db.eventChannel !== undefined;
  }

  /**
   * Runs `fn` as a transaction that publishes what it returns as events after its commit, and
   * (PostgreSQL) writes them to the shared event log inside it.
   */
  async #commit<T>(fn: (conn: SqlConn) => Promise<{ result: T; events: readonly CommittedEvent[] }>): Promise<T> {
    let seq: number | undefined;
    let out: { result: T; events: readonly CommittedEvent[] };
    let logged: readonly CommittedEvent[] = [];
    try {
      out = await this.db.transaction(async (conn) => {
        const r = await fn(conn);
        logged = await this.#log(conn, r.events);
        seq = this.#nextSeq++;
        return r;
      });
    } catch (err) {
      if (seq !== undefined) this.#published(seq, []);
      throw err;
    }
    for (const e of logged) if (e.type === 'stats') this.#loggedStats.set(e.loadBalancerId, statsKey(e));
    this.#published(seq!, out.events);
    return out.result;
  }

  /** The counters each load balancer last logged from this process: an unchanged sample is no event. */
  readonly #loggedStats = new Map<string, string>();

  /**
   * Appends a commit's events to the shared log (PostgreSQL), as the transaction's last writes:
   * under the log's lock, ids `max + 1 …`, so ids follow commit order without gaps. Returns what
   * it logged.
   */
  async #log(conn: SqlConn, events: readonly CommittedEvent[]): Promise<readonly CommittedEvent[]> {
    const channel = this.db.eventChannel;
    if (!channel) return [];
    const fresh = events.filter((e) => e.type !== 'stats' || this.#loggedStats.get(e.loadBalancerId) !== statsKey(e));
    if (fresh.length === 0) return [];
    await channel.lock(conn);
    const next = Number((await conn.all('SELECT COALESCE(MAX(id), 0) AS id FROM event_log'))[0]?.id ?? 0) + 1;
    for (const [i, e] of fresh.entries()) {
      await conn.run(
        `INSERT INTO event_log (id, type, project_id, load_balancer_id, data, created_ms) VALUES (?, ?, ?, ?, ?, ${this.db.nowMs})`,
        [next + i, e.type, e.projectId, e.loadBalancerId, encodeEvent(e)],
      );
    }
    await channel.notify(conn);
    return fresh;
  }

  readonly eventLog: EventLog | undefined;

  /** The shared event log over the dialect's event channel (PostgreSQL), else undefined. */
  #eventLog(): EventLog | undefined {
    const channel = this.db.eventChannel;
    if (!channel) return undefined;
    return {
      after: async (afterId, limit) => (await this.db.all(
        'SELECT id, data, created_ms FROM event_log WHERE id > ? ORDER BY id LIMIT ?', [afterId, limit],
      )).map(loggedEvent),
      latest: async (limit) => {
        // Pruning always keeps the newest rows: an empty log has never had an event.
        const newestFirst = await this.db.all('SELECT id, data, created_ms FROM event_log ORDER BY id DESC LIMIT ?', [limit]);
        const lastId = newestFirst[0] ? Number(newestFirst[0].id) : 0;
        return { events: newestFirst.reverse().map(loggedEvent), lastId };
      },
      listen: (fn) => channel.subscribe(fn),
      prune: async (keep) => {
        await this.db.run('DELETE FROM event_log WHERE id <= (SELECT MAX(id) FROM event_log) - ?', [keep]);
      },
    };
  }

  /**
   * Runs `fn` in a transaction whose status changes are published after it commits: the one
   * place every status write goes through, so watchers hear of each change once, and only of
   * committed ones.
   */
  #write<T>(fn: (tx: SqlTx, conn: SqlConn) => Promise<T>): Promise<T> {
    return this.#commit(async (conn) => {
      const tx = new SqlTx(conn, this.db);
      const result = await fn(tx, conn);
      const events = this.#wantsEvents ? await tx.statusChanges() : [];
      if (tx.changed.size > 0) await this.db.notify(conn, [...tx.changed]);
      return { result, events };
    });
  }

  /** Opens the store and brings its schema up to date. */
  static async open(db: SqlDialect): Promise<SqlStore> {
    await migrate(db);
    return new SqlStore(db);
  }

  get dialect(): 'sqlite' | 'postgres' {
    return this.db.name;
  }

  /** The connection underneath, shared with stores of other tables (the identity store). */
  get sqlDialect(): SqlDialect {
    return this.db;
  }

  async transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    return this.#write((tx) => fn(tx));
  }

  async loadGraph(lbId: string, role?: PlacementRole): Promise<LoadBalancerGraph | undefined> {
    const loadBalancer = await this.get('loadbalancer', lbId);
    if (!loadBalancer) return undefined;
    const live = { filters: { loadBalancerId: [lbId] } };
    const notDeleted = <T extends { provisioningStatus: string }>(xs: T[]): T[] =>
      xs.filter((x) => x.provisioningStatus !== 'PENDING_DELETE');
    const [listeners, pools, members, healthMonitors, l7Policies, l7Rules] = await Promise.all([
      this.list('listener', live), this.list('pool', live), this.list('member', live), this.list('healthmonitor', live),
      this.list('l7policy', { ...live, sort: [{ key: 'position', dir: 'asc' }], limit: null }),
      this.list('l7rule', { ...live, limit: null }),
    ]);
    const vipPort: Port | null = loadBalancer.vipPortId ? (await this.get('port', loadBalancer.vipPortId)) ?? null : null;
    const liveMembers = notDeleted(members);
    const subnetIds = new Set<string>();
    if (loadBalancer.vipSubnetId) subnetIds.add(loadBalancer.vipSubnetId);
    for (const m of liveMembers) if (m.subnetId) subnetIds.add(m.subnetId);
    const owned = await this.list('port', { filters: { deviceId: [lbId], deviceOwner: [VIP_PORT_OWNER] }, limit: null });
    const memberPorts = owned.filter((p) => p.id !== loadBalancer.vipPortId);
    for (const p of memberPorts) for (const f of p.fixedIps) subnetIds.add(f.subnetId);
    const subnets = (await Promise.all([...subnetIds].map((id) => this.get('subnet', id)))).filter(
      (s): s is Subnet => s !== undefined,
    );
    const networkIds = new Set([...(vipPort ? [vipPort] : []), ...memberPorts].map((p) => p.networkId));
    const networks = (await Promise.all([...networkIds].map((id) => this.get('network', id)))).filter(
      (n): n is Network => n !== undefined,
    );
    const amphorae = await this.list('amphora', { filters: { loadBalancerId: [lbId] }, sort: [{ key: 'generation', dir: 'desc' }], limit: null });
    const activeStandby = await this.#pairOf(amphorae, role ?? 'MASTER');
    const amphora = activeStandby ? amphorae.find((a) => a.id === activeStandby.self.amphoraId) : amphorae[0];
    const flavor = await this.#flavorOf(loadBalancer.flavorId);
    return Object.freeze({
      ...(flavor ? { flavor } : {}),
      ...(amphora ? { amphoraId: amphora.id } : {}),
      ...(activeStandby ? { activeStandby } : {}),
      loadBalancer,
      listeners: notDeleted(listeners),
      pools: notDeleted(pools),
      members: liveMembers,
      healthMonitors: notDeleted(healthMonitors),
      l7Policies: notDeleted(l7Policies),
      l7Rules: notDeleted(l7Rules),
      vipPort,
      memberPorts,
      subnets,
      networks,
    });
  }

  /** The ACTIVE_STANDBY pair as side `role` sees it, or undefined (topology SINGLE, or a side's port is gone). */
  async #pairOf(amphorae: readonly Amphora[], role: PlacementRole): Promise<ActiveStandby | undefined> {
    const sides: VrrpSide[] = [];
    for (const r of ['MASTER', 'BACKUP'] as const) {
      const a = amphorae.find((x) => x.role === r);
      const port = a?.vrrpPortId ? await this.get('port', a.vrrpPortId) : undefined;
      if (!a || !port || !a.vrrpIp) return undefined;
      sides.push({ amphoraId: a.id, role: r, address: a.vrrpIp, port });
    }
    const [master, backup] = sides as [VrrpSide, VrrpSide];
    return role === 'BACKUP' ? { self: backup, peer: master } : { self: master, peer: backup };
  }

  /**
   * What a flavor sets, from its profile's data (a profile in use by a flavor cannot change, so
   * this is what the load balancer was created with).
   */
  async #flavorOf(flavorId: string | null): Promise<FlavorSettings | undefined> {
    if (flavorId === null) return undefined;
    const flavor = await this.get('flavor', flavorId);
    const profile = flavor ? await this.get('flavorprofile', flavor.flavorProfileId) : undefined;
    if (!profile) return undefined;
    return flavorSettings(JSON.parse(profile.flavorData) as Record<string, unknown>);
  }

  async recordApplied(lbId: string, outcome: ApplyOutcome): Promise<void> {
    const g = outcome.generation;
    const ts = nowTimestamp();
    await this.#write(async (tx, conn) => {
      const lb = await tx.lockLoadBalancer(lbId);
      if (!lb) return;
      const lbRow = (await conn.all('SELECT pending_generation FROM load_balancers WHERE id = ?', [lbId]))[0];
      const lbPendingGen = Number(lbRow?.pending_generation ?? 0);
      if (outcome.role !== undefined && outcome.ok && !(await this.#everySideApplied(conn, lbId, outcome.role, g))) {
        // One side of a pair applied: its placement says so, and the objects wait for the other side.
        if (outcome.operating) await this.#writeOperating(tx, conn, lbId, outcome.operating);
        return;
      }
      if (lb.provisioningStatus === 'PENDING_DELETE' && lbPendingGen <= g && outcome.ok) {
        await this.#removeLoadBalancer(tx, conn, lb);
        return;
      }
      let childrenPending = 0;
      for (const kind of CHILD_KINDS) {
        const table = spec(kind).table;
        const gone = await conn.all(
          `SELECT id FROM ${table} WHERE load_balancer_id = ? AND provisioning_status = 'PENDING_DELETE' AND pending_generation <= ?`,
          [lbId, g],
        );
        for (const r of gone) {
          if (outcome.ok) {
            if (kind === 'listener') await conn.run('DELETE FROM listener_stats WHERE listener_id = ?', [String(r.id)]);
            if (kind === 'pool') {
              await conn.run('UPDATE listeners SET default_pool_id = NULL WHERE default_pool_id = ?', [String(r.id)]);
            }
            await tx.remove(kind, String(r.id));
          } else {
            await conn.run(`UPDATE ${table} SET provisioning_status = 'ERROR', updated_at = ? WHERE id = ?`, [ts, String(r.id)]);
          }
        }
        childrenPending += gone.length;
        const done = await conn.all(
          `SELECT id FROM ${table} WHERE load_balancer_id = ?
           AND provisioning_status IN ('PENDING_CREATE', 'PENDING_UPDATE') AND pending_generation <= ?`,
          [lbId, g],
        );
        await tx.touch(kind, done.map((r) => String(r.id)));
        childrenPending += await conn.run(
          `UPDATE ${table} SET provisioning_status = ?, updated_at = ? WHERE load_balancer_id = ?
           AND provisioning_status IN ('PENDING_CREATE', 'PENDING_UPDATE') AND pending_generation <= ?`,
          [outcome.ok ? 'ACTIVE' : 'ERROR', ts, lbId, g],
        );
      }
      if (outcome.ok) await this.#pruneMemberPorts(tx, conn, lb);
      // Touched after the children: watchers hear a load balancer's own change after its children's.
      await tx.touch('loadbalancer', [lbId]);
      let lbStatus: ProvisioningStatus = lb.provisioningStatus;
      if (lb.provisioningStatus.startsWith('PENDING_') && lbPendingGen <= g) {
        // As Octavia: a failed child change leaves the load balancer ACTIVE and the child in ERROR.
        lbStatus = outcome.ok || (lb.provisioningStatus === 'PENDING_UPDATE' && childrenPending > 0) ? 'ACTIVE' : 'ERROR';
      }
      await conn.run(
        `UPDATE load_balancers SET provisioning_status = ?, updated_at = ?,
         applied_generation = CASE WHEN applied_generation > ? THEN applied_generation ELSE ? END WHERE id = ?`,
        [lbStatus, lbStatus === lb.provisioningStatus ? lb.updatedAt : ts, g, outcome.ok ? g : lb.appliedGeneration, lbId],
      );
      if (outcome.operating) await this.#writeOperating(tx, conn, lbId, outcome.operating);
    });
  }

  /**
   * Records that side `role` applied generation `g`, and says whether every side the load
   * balancer needs (one per amphora role) has applied it. A side without a placement (no agent
   * could take it) has not: the load balancer waits in PENDING_* until the sweep places it.
   */
  async #everySideApplied(conn: SqlConn, lbId: string, role: PlacementRole, g: number): Promise<boolean> {
    await conn.run(
      `UPDATE lb_placements SET applied_generation = CASE WHEN applied_generation > ? THEN applied_generation ELSE ? END
       WHERE load_balancer_id = ? AND role = ?`, [g, g, lbId, role],
    );
    const roles = (await conn.all('SELECT DISTINCT role FROM amphorae WHERE load_balancer_id = ?', [lbId])).map((r) => String(r.role));
    const applied = new Map((await conn.all('SELECT role, applied_generation FROM lb_placements WHERE load_balancer_id = ?', [lbId]))
      .map((r) => [String(r.role), Number(r.applied_generation)]));
    return roles.every((r) => (applied.get(r) ?? -1) >= g);
  }

  /** Frees the member-subnet ports no member of the load balancer uses any more. */
  async #pruneMemberPorts(tx: SqlTx, conn: SqlConn, lb: LoadBalancer): Promise<void> {
    const owned = await tx.list('port', { filters: { deviceId: [lb.id], deviceOwner: [VIP_PORT_OWNER] }, limit: null });
    const memberPorts = owned.filter((p) => p.id !== lb.vipPortId);
    if (memberPorts.length === 0) return;
    const used = new Set((await conn.all('SELECT DISTINCT subnet_id FROM members WHERE load_balancer_id = ? AND subnet_id IS NOT NULL', [lb.id]))
      .map((r) => String(r.subnet_id)));
    for (const p of memberPorts) {
      if (p.fixedIps.some((f) => used.has(f.subnetId))) continue;
      await tx.releaseAddresses(p.id);
      await tx.remove('port', p.id);
    }
  }

  async #removeLoadBalancer(tx: SqlTx, conn: SqlConn, lb: LoadBalancer): Promise<void> {
    for (const p of await tx.list('port', { filters: { deviceId: [lb.id], deviceOwner: [VIP_PORT_OWNER] }, limit: null })) {
      if (p.id === lb.vipPortId) continue;
      await tx.releaseAddresses(p.id);
      await tx.remove('port', p.id);
    }
    for (const kind of CHILD_KINDS) {
      const rows = await conn.all(`SELECT id FROM ${spec(kind).table} WHERE load_balancer_id = ?`, [lb.id]);
      for (const r of rows) await tx.remove(kind, String(r.id));
    }
    await conn.run('DELETE FROM listener_stats WHERE load_balancer_id = ?', [lb.id]);
    for (const p of await tx.list('port', { filters: { deviceId: [lb.id], deviceOwner: [VRRP_PORT_OWNER] }, limit: null })) {
      await tx.releaseAddresses(p.id);
      await tx.remove('port', p.id);
    }
    await conn.run('DELETE FROM lb_placements WHERE load_balancer_id = ?', [lb.id]);
    await conn.run('DELETE FROM amphorae WHERE load_balancer_id = ?', [lb.id]);
    await tx.remove('loadbalancer', lb.id);
    if (lb.vipPortId) {
      const port = await tx.get('port', lb.vipPortId);
      // Only the port Fulcrum made for the VIP goes with the load balancer; a port the user gave stays.
      if (port && port.deviceOwner === VIP_PORT_OWNER && port.deviceId === lb.id) {
        await tx.releaseAddresses(port.id);
        await tx.remove('port', port.id);
      } else if (port) {
        await tx.update('port', port.id, { deviceOwner: '', deviceId: '' });
      }
    }
  }

  async recordOperating(lbId: string, statuses: readonly OperatingUpdate[]): Promise<void> {
    await this.#write(async (tx, conn) => {
      // The load balancer's lock, as every other status writer takes first: status writes of one
      // load balancer are serialised, so the statuses read before a write are those it replaces.
      await tx.lockLoadBalancer(lbId);
      await this.#writeOperating(tx, conn, lbId, statuses);
    });
  }

  async #writeOperating(tx: SqlTx, conn: SqlConn, lbId: string, statuses: readonly OperatingUpdate[]): Promise<void> {
    for (const kind of new Set(statuses.map((s) => s.kind))) await tx.touch(kind, statuses.filter((s) => s.kind === kind).map((s) => s.id));
    for (const s of statuses) {
      const where = s.kind === 'loadbalancer' ? 'id = ?' : 'id = ? AND load_balancer_id = ?';
      const params = s.kind === 'loadbalancer' ? [s.status, s.id] : [s.status, s.id, lbId];
      await conn.run(`UPDATE ${spec(s.kind).table} SET operating_status = ? WHERE ${where}`, params);
    }
  }

  async pendingLoadBalancers(agentId?: string): Promise<string[]> {
    const mine = agentId === undefined ? '' : 'AND id IN (SELECT load_balancer_id FROM lb_placements WHERE agent_id = ?)';
    const rows = await this.db.all(
      `SELECT id FROM load_balancers WHERE (applied_generation < generation
       OR provisioning_status IN ('PENDING_CREATE', 'PENDING_UPDATE', 'PENDING_DELETE')) ${mine} ORDER BY created_at`,
      agentId === undefined ? [] : [agentId],
    );
    return rows.map((r) => String(r.id));
  }

  async allLoadBalancerIds(agentId?: string): Promise<string[]> {
    if (agentId === undefined) return (await this.db.all('SELECT id FROM load_balancers ORDER BY created_at')).map((r) => String(r.id));
    const rows = await this.db.all(
      'SELECT id FROM load_balancers WHERE id IN (SELECT load_balancer_id FROM lb_placements WHERE agent_id = ?) ORDER BY created_at',
      [agentId],
    );
    return rows.map((r) => String(r.id));
  }

  async registerAgent(host: string, configurations: Readonly<Record<string, unknown>>): Promise<AgentRecord> {
    const ts = nowTimestamp();
    await this.db.transaction(async (conn) => {
      await conn.run(
        `INSERT INTO agents (id, host, admin_state_up, description, configurations, heartbeat_ms, started_at, created_at)
         VALUES (?, ?, 1, '', ?, ${this.db.nowMs}, ?, ?)
         ON CONFLICT (host) DO UPDATE SET configurations = excluded.configurations, heartbeat_ms = excluded.heartbeat_ms,
         started_at = excluded.started_at`,
        [newId(), host, JSON.stringify(configurations), ts, ts],
      );
    });
    const agent = (await this.listAgents()).find((a) => a.host === host);
    if (!agent) throw new FulcrumError('STORE_UNAVAILABLE', 'The agent could not be registered.', { retryable: true });
    return agent;
  }

  async heartbeatAgent(id: string): Promise<boolean> {
    return (await this.db.run(`UPDATE agents SET heartbeat_ms = ${this.db.nowMs} WHERE id = ?`, [id])) > 0;
  }

  async recordCounters(lbId: string, epoch: string, byListener: ReadonlyMap<string, Stats>): Promise<void> {
    const grow = (c: string): string => `${c} = listener_stats.${c} + CASE
      WHEN listener_stats.epoch <> excluded.epoch THEN excluded.raw_${c}
      WHEN excluded.raw_${c} > listener_stats.raw_${c} THEN excluded.raw_${c} - listener_stats.raw_${c} ELSE 0 END`;
    await this.#commit(async (conn) => {
      for (const [listenerId, s] of byListener) {
        await conn.run(
          `INSERT INTO listener_stats (listener_id, load_balancer_id, bytes_in, bytes_out, active_connections,
             total_connections, request_errors, epoch, raw_bytes_in, raw_bytes_out, raw_total_connections, raw_request_errors)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (listener_id) DO UPDATE SET ${['bytes_in', 'bytes_out', 'total_connections', 'request_errors'].map(grow).join(', ')},
             active_connections = excluded.active_connections, epoch = excluded.epoch,
             raw_bytes_in = excluded.raw_bytes_in, raw_bytes_out = excluded.raw_bytes_out,
             raw_total_connections = excluded.raw_total_connections, raw_request_errors = excluded.raw_request_errors`,
          [listenerId, lbId, s.bytesIn, s.bytesOut, s.activeConnections, s.totalConnections, s.requestErrors,
            epoch, s.bytesIn, s.bytesOut, s.totalConnections, s.requestErrors],
        );
      }
      const recorded = this.#wantsEvents ? await this.#countersOf(conn, lbId) : undefined;
      return { result: undefined, events: recorded ? [recorded] : [] };
    });
  }

  /** A load balancer's counters as they stand (inside the transaction that just recorded a sample). */
  async #countersOf(conn: SqlConn, lbId: string): Promise<CommittedEvent | undefined> {
    const lb = (await conn.all('SELECT project_id FROM load_balancers WHERE id = ?', [lbId]))[0];
    if (!lb) return undefined;
    const rows = await conn.all(
      `SELECT listener_id, bytes_in, bytes_out, active_connections, total_connections, request_errors
       FROM listener_stats WHERE load_balancer_id = ? ORDER BY listener_id`,
      [lbId],
    );
    const byListener = new Map<string, Stats>();
    const total: Stats = { bytesIn: 0, bytesOut: 0, activeConnections: 0, totalConnections: 0, requestErrors: 0 };
    for (const r of rows) {
      const one: Stats = {
        bytesIn: Number(r.bytes_in), bytesOut: Number(r.bytes_out), activeConnections: Number(r.active_connections),
        totalConnections: Number(r.total_connections), requestErrors: Number(r.request_errors),
      };
      byListener.set(String(r.listener_id), one);
      for (const k of Object.keys(total) as (keyof Stats)[]) total[k] += one[k];
    }
    return { type: 'stats', loadBalancerId: lbId, projectId: String(lb.project_id), total, byListener };
  }

  async stats(scope: 'listener' | 'loadbalancer', id: string): Promise<Stats> {
    const col = scope === 'listener' ? 'listener_id' : 'load_balancer_id';
    const rows = await this.db.all(
      `SELECT COALESCE(SUM(bytes_in), 0) AS bi, COALESCE(SUM(bytes_out), 0) AS bo,
         COALESCE(SUM(active_connections), 0) AS ac, COALESCE(SUM(total_connections), 0) AS tc,
         COALESCE(SUM(request_errors), 0) AS re FROM listener_stats WHERE ${col} = ?`,
      [id],
    );
    const r = rows[0] ?? {};
    return {
      bytesIn: Number(r.bi ?? 0), bytesOut: Number(r.bo ?? 0), activeConnections: Number(r.ac ?? 0),
      totalConnections: Number(r.tc ?? 0), requestErrors: Number(r.re ?? 0),
    };
  }

  subscribe(fn: (lbId: string) => void): Promise<() => Promise<void>> {
    return this.db.subscribe(fn);
  }

  close(): Promise<void> {
    return this.db.close();
  }
}
