/**
 * @module store/sql — the small surface each SQL dialect provides: run a statement, read rows,
 * run a transaction holding one connection, and publish/subscribe change notifications.
 */

export type SqlValue = string | number | bigint | null;
export type Row = Record<string, unknown>;

/** A connection (or the one connection inside a transaction). SQL uses `?` placeholders. */
export interface SqlConn {
  /** Rows of a query. */
  all(sql: string, params?: readonly SqlValue[]): Promise<Row[]>;
  /** Runs a statement; returns the number of rows it changed. */
  run(sql: string, params?: readonly SqlValue[]): Promise<number>;
}

/** What differs between SQLite and PostgreSQL. */
export interface SqlDialect extends SqlConn {
  readonly name: 'sqlite' | 'postgres';
  /**
   * Runs `fn` inside one transaction that holds the write lock for its whole length
   * (SQLite `BEGIN IMMEDIATE`; PostgreSQL row locks taken by {@link SqlDialect.forUpdate}).
   * Commits when `fn` resolves, rolls back when it throws.
   */
  transaction<T>(fn: (conn: SqlConn) => Promise<T>): Promise<T>;
  /** The suffix that row-locks a SELECT (`FOR UPDATE` on PostgreSQL, nothing on SQLite). */
  readonly forUpdate: string;
  /** Announces, after commit, that these load balancers changed (in-process or `NOTIFY`). */
  notify(conn: SqlConn, lbIds: readonly string[]): Promise<void>;
  /** Calls `listener` with each load balancer id announced by any process, once subscribed. */
  subscribe(listener: (lbId: string) => void): Promise<() => Promise<void>>;
  /**
   * The event log shared by every process on this database (PostgreSQL): a lock that numbers
   * events in commit order, a NOTIFY at commit, and a LISTEN that wakes readers. Absent on SQLite,
   * whose one process hears its own commits in memory.
   */
  readonly eventChannel?: {
    /** Held until the transaction ends: events get ids in the order their transactions commit. */
    lock(conn: SqlConn): Promise<void>;
    /** Wakes readers once the transaction commits (dropped on rollback). */
    notify(conn: SqlConn): Promise<void>;
    /** Calls `fn` after each commit that logged events, in any process, and after a reconnect. */
    subscribe(fn: () => void): Promise<() => Promise<void>>;
  };
  /** An SQL expression for the database server's clock in milliseconds since 1970 (heartbeats use one clock for every node). */
  readonly nowMs: string;
  /**
   * Takes the cross-process lock that serialises scheduling sweeps, inside a transaction (held
   * until it ends), so two servers never move the same load balancers at once.
   */
  lockScheduling(conn: SqlConn): Promise<void>;
  /** Takes the cross-process lock that serialises migrations, inside a transaction. */
  lockMigrations(conn: SqlConn): Promise<void>;
  close(): Promise<void>;
}

/** True when the error is a unique-constraint violation, in either dialect. */
export function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: string; message?: string } | undefined;
  return e?.code === '23505' || e?.code === 'SQLITE_CONSTRAINT_UNIQUE' || e?.code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}
