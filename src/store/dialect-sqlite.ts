/**
 * @module store/dialect-sqlite — SQLite through better-sqlite3, WAL, synchronous commits.
 * better-sqlite3 is synchronous, so one async mutex keeps a transaction's statements
 * from interleaving with another request's.
 */
import Database from 'better-sqlite3';
import { EventEmitter } from 'node:events';
import type { Row, SqlConn, SqlDialect, SqlValue } from './sql.js';

/** The subset of better-sqlite3 we use. */
interface SqliteDatabase {
  prepare(sql: string): {
    all(...params: readonly SqlValue[]): unknown[];
    run(...params: readonly SqlValue[]): { changes: number };
    reader: boolean;
  };
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

export class SqliteDialect implements SqlDialect {
  readonly name = 'sqlite' as const;
  readonly forUpdate = '';
  readonly #db: SqliteDatabase;
  readonly #mutex = new Mutex();
  readonly #events = new EventEmitter();
  readonly #statements = new Map<string, ReturnType<SqliteDatabase['prepare']>>();
  #inTransaction = false;

  /** Opens (creating if needed) the database file. */
  constructor(file: string) {
    this.#db = new Database(file) as unknown as SqliteDatabase;
    this.#db.pragma('journal_mode = WAL');
    // FULL: a commit is on disk before the API answers, so nothing acknowledged is lost.
    this.#db.pragma('synchronous = FULL');
    this.#db.pragma('foreign_keys = ON');
    this.#db.pragma('busy_timeout = 5000');
    this.#events.setMaxListeners(0);
  }

  #prepare(sql: string): ReturnType<SqliteDatabase['prepare']> {
    let st = this.#statements.get(sql);
    if (!st) {
      st = this.#db.prepare(sql);
      if (this.#statements.size > 500) this.#statements.clear();
      this.#statements.set(sql, st);
    }
    return st;
  }

  readonly #conn: SqlConn = {
    all: async (sql, params = []) => this.#prepare(sql).all(...params) as Row[],
    run: async (sql, params = []) => this.#prepare(sql).run(...params).changes,
  };

  all(sql: string, params: readonly SqlValue[] = []): Promise<Row[]> {
    // Reads outside a transaction run at once unless a transaction is open on this connection.
    if (!this.#inTransaction) return Promise.resolve(this.#prepare(sql).all(...params) as Row[]);
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
