/**
 * @module store/dialect-sqlite — SQLite through better-sqlite3, WAL, commits durable against any
 * process crash (`synchronous = NORMAL`) or, on request, against an OS crash too (`FULL`).
 * better-sqlite3 is synchronous, so one async mutex keeps a transaction's statements
 * from interleaving with another request's.
 */
import Database from 'better-sqlite3';
import { EventEmitter } from 'node:events';
import type { Row, SqlConn, SqlDialect, SqlValue } from './sql.js';

/** The subset of better-sqlite3 we use. */
interface SqliteStatement {
  all(...params: readonly SqlValue[]): unknown[];
  run(...params: readonly SqlValue[]): { changes: number };
  raw(toggle: boolean): SqliteStatement;
  columns(): { name: string }[];
  reader: boolean;
}
interface SqliteDatabase {
  prepare(sql: string): SqliteStatement;
  exec(sql: string): void;
  pragma(p: string): unknown;
  close(): void;
}

/** A FIFO async mutex. */
class Mutex {
  #tail: Promise<void> = Promise.resolve();
  lock<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#tail.then(fn);
    this.#tail = run.then(() => undefined, () => undefined);
    return run;
  }
}

/** A prepared statement; a reader returns arrays, made into rows by {@link toRows}. */
interface Prepared {
  statement: SqliteStatement;
  /** The result's column names (readers only). */
  columns: string[] | null;
}

/**
 * Rows from raw (array) results. better-sqlite3 builds each row object in C++ one property at a
 * time, which costs more than reading the row: 1,000 load balancers read in 5.3 ms as objects
 * against 3.5 ms as arrays made into objects here (bench/api, list of 1,000). Same rows: a
 * repeated column name keeps its last value, as better-sqlite3's objects do.
 */
function toRows(columns: readonly string[], arrays: unknown[]): Row[] {
  const rows: Row[] = new Array(arrays.length);
  for (let i = 0; i < arrays.length; i++) {
    const a = arrays[i] as SqlValue[];
    const row: Row = {};
    for (let j = 0; j < columns.length; j++) row[columns[j]!] = a[j]!;
    rows[i] = row;
  }
  return rows;
}

/** How durable a commit is before the API answers (config `--sqlite-synchronous`). */
export type SqliteSynchronous = 'normal' | 'full';

export class SqliteDialect implements SqlDialect {
  readonly name = 'sqlite' as const;
  readonly forUpdate = '';
  readonly #db: SqliteDatabase;
  readonly #mutex = new Mutex();
  readonly #events = new EventEmitter();
  readonly #statements = new Map<string, Prepared>();
  #inTransaction = false;

  /**
   * Opens (creating if needed) the database file.
   *
   * Durability, the project's rule being "what the API acknowledged survives a crash of any
   * process": in WAL mode a COMMIT writes its pages to the WAL file with write(2) before it
   * returns, so once the API answers, the change is in the kernel's page cache and survives the
   * crash or kill -9 of Fulcrum, of an agent, of anything in user space. `normal` (the default)
   * leaves the fsync to checkpoints: an OS crash or a power loss can lose the last commits
   * (never corrupt the database). `full` fsyncs the WAL on every commit, so an acknowledged write
   * survives those too; it costs an fsync per write request (2–5 ms here, and much more on a
   * busy disk: it was most of a POST's 36 ms in bench/REPORT.md of 2026-12-03 17:26Z).
   */
  constructor(file: string, opts: { synchronous?: SqliteSynchronous } = {}) {
    this.#db = new Database(file) as unknown as SqliteDatabase;
    this.#db.pragma('journal_mode = WAL');
    this.#db.pragma(`synchronous = ${opts.synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
    this.#db.pragma('foreign_keys = ON');
    this.#db.pragma('busy_timeout = 5000');
    this.#events.setMaxListeners(0);
  }

  #prepare(sql: string): Prepared {
    let p = this.#statements.get(sql);
    if (!p) {
      const statement = this.#db.prepare(sql);
      p = statement.reader ? { statement: statement.raw(true), columns: statement.columns().map((c) => c.name) } : { statement, columns: null };
      if (this.#statements.size > 500) this.#statements.clear();
      this.#statements.set(sql, p);
    }
    return p;
  }

  #all(sql: string, params: readonly SqlValue[]): Row[] {
    const { statement, columns } = this.#prepare(sql);
    const result = statement.all(...params);
    return columns ? toRows(columns, result) : result as Row[];
  }

  readonly #conn: SqlConn = {
    all: async (sql, params = []) => this.#all(sql, params),
    run: async (sql, params = []) => this.#prepare(sql).statement.run(...params).changes,
  };

  all(sql: string, params: readonly SqlValue[] = []): Promise<Row[]> {
    // Reads outside a transaction run at once unless a transaction is open on this connection.
    if (!this.#inTransaction) return Promise.resolve(this.#all(sql, params));
    return this.#mutex.lock(() => this.#conn.all(sql, params));
  }

  run(sql: string, params: readonly SqlValue[] = []): Promise<number> {
    return this.#mutex.lock(() => this.#conn.run(sql, params));
  }

  transaction<T>(fn: (conn: SqlConn) => Promise<T>): Promise<T> {
    return this.#mutex.lock(async () => {
      this.#db.exec('BEGIN IMMEDIATE');
      this.#inTransaction = true;
      try {
        const result = await fn(this.#conn);
        this.#db.exec('COMMIT');
        return result;
      } catch (err) {
        this.#db.exec('ROLLBACK');
        throw err;
      } finally {
        this.#inTransaction = false;
      }
    });
  }

  async notify(_conn: SqlConn, lbIds: readonly string[]): Promise<void> {
    // Called as the transaction's last step; COMMIT runs in the same microtask chain,
    // so a macrotask later the change is committed (a spurious event after a rollback is harmless).
    const ids = [...lbIds];
    setImmediate(() => {
      for (const id of ids) this.#events.emit('change', id);
    });
  }

  async subscribe(listener: (lbId: string) => void): Promise<() => Promise<void>> {
    this.#events.on('change', listener);
    return async () => {
      this.#events.off('change', listener);
    };
  }

  readonly nowMs = "CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER)";

  async lockScheduling(): Promise<void> {
    // BEGIN IMMEDIATE already holds the database's write lock.
  }

  async lockMigrations(): Promise<void> {
    // BEGIN IMMEDIATE already holds the database's write lock.
  }

  async close(): Promise<void> {
    await this.#mutex.lock(async () => this.#db.close());
  }
}
