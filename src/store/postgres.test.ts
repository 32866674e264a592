/**
 * @module store/postgres.test — the store contract on a real PostgreSQL server (Debian's),
 * started for this file, each test on a database of its own; plus reconnection after a restart.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import pg from 'pg';
import { startPostgres } from '../../test/helpers/postgres.js';
import { PostgresDialect } from './dialect-postgres.js';
import { MIGRATIONS } from './migrate.js';
import { SqlStore } from './sql-store.js';
import { loadBalancer, runStoreContract } from './store.contract.js';
import type { Store } from './store.js';

let server: Awaited<ReturnType<typeof startPostgres>>;
let counter = 0;

before(async () => {
  server = await startPostgres();
});
after(async () => {
  await server?.stop();
});

/** A fresh database on the test server. */
async function freshDatabase(): Promise<string> {
  const name = `contract_${process.pid}_${++counter}`;
  const admin = new pg.Client({ connectionString: server.url });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  return server.url.replace(/\/[^/]*$/, `/${name}`);
}

runStoreContract('postgres', async () => {
  const url = await freshDatabase();
  const opened: Store[] = [await SqlStore.open(new PostgresDialect(url))];
  return {
    store: opened[0]!,
    reopen: async () => {
      await opened[opened.length - 1]!.close();
      const s = await SqlStore.open(new PostgresDialect(url));
      opened.push(s);
      return s;
    },
    close: async () => {
      await opened[opened.length - 1]!.close().catch(() => undefined);
    },
  };
});

test('postgres: migrations from several processes at once apply once', async () => {
  const url = await freshDatabase();
  const stores = await Promise.all([1, 2, 3].map(() => SqlStore.open(new PostgresDialect(url))));
  const rows = await (async () => {
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      return (await c.query('SELECT version FROM schema_migrations ORDER BY version')).rows;
    } finally {
      await c.end();
    }
  })();
  assert.deepEqual(rows.map((r) => r.version), MIGRATIONS.map((m) => m.version), 'each migration exactly once');
  await Promise.all(stores.map((s) => s.close()));
});

test('postgres: after a server restart the store reconnects and nothing committed is lost', async () => {
  const url = await freshDatabase();
  const store = await SqlStore.open(new PostgresDialect(url));
  const heard: string[] = [];
  const unsubscribe = await store.subscribe((id) => heard.push(id));
  try {
    const lb = loadBalancer();
    await store.transaction((tx) => tx.insert('loadbalancer', lb));
    await server.restart();
    let got;
    for (let i = 0; i < 50 && !got; i++) {
      got = await store.get('loadbalancer', lb.id).catch(() => undefined);
      if (!got) await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(got?.id, lb.id);
    // The listener reconnects and announces a resync ('*'), then hears new changes again.
    for (let i = 0; i < 50 && !heard.includes('*'); i++) await new Promise((r) => setTimeout(r, 100));
    assert.ok(heard.includes('*'), 'subscriber told to resync after reconnecting');
    await store.transaction((tx) => tx.beginChange(lb.id, 'PENDING_CREATE', []));
    for (let i = 0; i < 50 && !heard.includes(lb.id); i++) await new Promise((r) => setTimeout(r, 50));
    assert.ok(heard.includes(lb.id));
  } finally {
    await unsubscribe();
    await store.close();
  }
});
