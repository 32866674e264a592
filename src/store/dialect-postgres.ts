/**
 * @module store/dialect-postgres — PostgreSQL through `pg`: a pool for statements,
 * `SELECT … FOR UPDATE` for locks, `LISTEN/NOTIFY` for change notification across processes.
 */
import pg from 'pg';
import type { Row, SqlConn, SqlDialect, SqlValue } from './sql.js';

const CHANNEL = 'fulcrum_changes';
/** Wakes every process that follows the event log (payload empty: readers fetch by id). */
const EVENTS_CHANNEL = 'fulcrum_events';
const placeholderCache = new Map<string, string>();
/** How long the server lets a transaction sit idle before ending it (and its locks). */
export const IDLE_IN_TRANSACTION_MS = 10_000;

/** Rewrites `?` placeholders as `$1, $2, …` (our SQL never has `?` inside literals). */
function toPg(sql: string): string {
  let out = placeholderCache.get(sql);
  if (out === undefined) {
    let n = 0;
    out = sql.replace(/\?/g, () => `$${++n}`);
    if (placeholderCache.size > 1000) placeholderCache.clear();
    placeholderCache.set(sql, out);
  }
  return out;
}

// BIGINT columns (counters, generations) come back as numbers: they stay far below 2^53.
pg.types.setTypeParser(20, (v: string) => Number(v));

type Queryable = Pick<pg.PoolClient, 'query'>;

function connOf(q: Queryable): SqlConn {
  return {
    all: async (sql, params = []) => (await q.query(toPg(sql), params as unknown[])).rows as Row[],
    run: async (sql, params = []) => (await q.query(toPg(sql), params as unknown[])).rowCount ?? 0,
  };
}

export class PostgresDialect implements SqlDialect {
  readonly name = 'postgres' as const;
  readonly forUpdate = ' FOR UPDATE';
  readonly #pool: pg.Pool;
  readonly #url: string;
  readonly #conn: SqlConn;

  /** `idleInTransactionMs`: see {@link IDLE_IN_TRANSACTION_MS} (tests shorten it). */
  constructor(url: string, poolSize = 10, opts: { idleInTransactionMs?: number } = {}) {
    this.#url = url;
    // A process cut off from the database in the middle of a transaction (a partitioned agent)
    // leaves it open on the server, holding its row locks and the event log's lock, which would
    // stall every other writer until TCP gives up (hours): the server ends a transaction left idle
    // this long. Fulcrum's transactions never wait on anything but their own statements.
    this.#pool = new pg.Pool({ connectionString: url, max: poolSize, idle_in_transaction_session_timeout: opts.idleInTransactionMs ?? IDLE_IN_TRANSACTION_MS });
    // An idle client that loses its server (a PostgreSQL restart) must not crash the process.
    this.#pool.on('error', () => undefined);
    this.#conn = connOf(this.#pool);
  }

  all(sql: string, params?: readonly SqlValue[]): Promise<Row[]> {
    return this.#conn.all(sql, params);
  }

  run(sql: string, params?: readonly SqlValue[]): Promise<number> {
    return this.#conn.run(sql, params);
  }

  async transaction<T>(fn: (conn: SqlConn) => Promise<T>): Promise<T> {
    const client = await this.#pool.connect();
    // The server may end the connection between two statements (its idle-in-transaction timeout,
    // a restart): the client then emits 'error' with no query to take it, which must not crash
    // the process. The next statement fails, and the broken client is destroyed, not pooled.
    let broken: Error | undefined;
    const onError = (err: Error): void => { broken = err; };
    client.on('error', onError);
    try {
      await client.query('BEGIN');
      const result = await fn(connOf(client));
      await client.query('COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.off('error', onError);
      client.release(broken);
    }
  }

  async notify(conn: SqlConn, lbIds: readonly string[]): Promise<void> {
    // NOTIFY inside the transaction is delivered at commit and dropped on rollback.
    for (const id of new Set(lbIds)) await conn.run(`SELECT pg_notify('${CHANNEL}', ?)`, [id]);
  }

  subscribe(listener: (lbId: string) => void): Promise<() => Promise<void>> {
    // After a reconnect, '*': the subscriber resyncs everything it may have missed.
    return this.#listen(CHANNEL, (payload) => { if (payload) listener(payload); }, () => listener('*'));
  }

  /** The shared event log's channel: a cross-process lock for numbering, NOTIFY and LISTEN. */
  readonly eventChannel = {
    lock: async (conn: SqlConn): Promise<void> => { await conn.all('SELECT pg_advisory_xact_lock(4242003)'); },
    notify: async (conn: SqlConn): Promise<void> => { await conn.run(`SELECT pg_notify('${EVENTS_CHANNEL}', '')`); },
    // A wake-up after a reconnect too: notifications sent while disconnected are lost, the rows are not.
    subscribe: (fn: () => void): Promise<() => Promise<void>> => this.#listen(EVENTS_CHANNEL, fn, fn),
  };

  /**
   * LISTENs on `channel` on a connection of its own, calling `onMessage` with each payload; when
   * the server goes away it reconnects (every 200–500 ms) and calls `onReconnect`.
   */
  async #listen(channel: string, onMessage: (payload: string) => void, onReconnect: () => void): Promise<() => Promise<void>> {
    let client: pg.Client | undefined;
    let closed = false;
    let retry: NodeJS.Timeout | undefined;
    const connect = async (): Promise<void> => {
      const c = new pg.Client({ connectionString: this.#url });
      c.on('notification', (msg) => {
        if (msg.channel === channel) onMessage(msg.payload ?? '');
      });
      c.on('error', () => {
        if (closed) return;
        c.end().catch(() => undefined);
        retry = setTimeout(() => void connect().then(onReconnect, schedule), 200);
      });
      try {
        await c.connect();
        await c.query(`LISTEN ${channel}`);
      } catch (err) {
        c.end().catch(() => undefined);
        throw err;
      }
      client = c;
    };
    const schedule = (): void => {
      if (!closed) retry = setTimeout(() => void connect().then(onReconnect, schedule), 500);
    };
    await connect();
    return async () => {
      closed = true;
      if (retry) clearTimeout(retry);
      await client?.end().catch(() => undefined);
    };
  }

  readonly nowMs = 'CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS BIGINT)';

  async lockScheduling(conn: SqlConn): Promise<void> {
    await conn.all('SELECT pg_advisory_xact_lock(4242002)');
  }

  async lockMigrations(conn: SqlConn): Promise<void> {
    await conn.all('SELECT pg_advisory_xact_lock(4242001)');
  }

  async close(): Promise<void> {
    await this.#pool.end();
  }
}
