/**
 * @module store/identity-store.test — the identity store contract on SQLite (a temp file) and on
 * a real PostgreSQL server (Debian's), each test on a database of its own.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import pg from 'pg';
import { startPostgres } from '../../test/helpers/postgres.js';
import { PostgresDialect } from './dialect-postgres.js';
import { SqliteDialect } from './dialect-sqlite.js';
import { IdentityStore } from './identity-store.js';
import { runIdentityStoreContract } from './identity-store.contract.js';

runIdentityStoreContract('sqlite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fulcrum-identity-'));
  const db = new SqliteDialect(join(dir, 'test.db'));
  return {
    store: await IdentityStore.open(db),
    close: async () => {
      await db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

let server: Awaited<ReturnType<typeof startPostgres>> | undefined;
let counter = 0;
before(async () => {
  server = await startPostgres();
});
after(async () => {
  await server?.stop();
});

runIdentityStoreContract('postgres', async () => {
  const name = `identity_${process.pid}_${++counter}`;
  const admin = new pg.Client({ connectionString: server!.url });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const db = new PostgresDialect(server!.url.replace(/\/[^/]*$/, `/${name}`), 4);
  return { store: await IdentityStore.open(db), close: () => db.close() };
});
