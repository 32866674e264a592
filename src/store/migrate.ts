/** @module store/migrate — numbered migrations, run on start under a lock, each in its own transaction. */
import type { SqlDialect } from './sql.js';
import { migration0001 } from './migrations/0001-initial.js';
import { migration0002 } from './migrations/0002-counter-epochs.js';
import { migration0003 } from './migrations/0003-identity.js';
import { migration0004 } from './migrations/0004-l7.js';
import { migration0005 } from './migrations/0005-operator.js';
import { migration0009 } from './migrations/0009-agents.js';
import { migration0008 } from './migrations/0008-secrets.js';
import { migration0010 } from './migrations/0010-event-log.js';
import { migration0011 } from './migrations/0011-active-standby.js';
import { migration0012 } from './migrations/0012-port-device-index.js';

/** One schema step. Statements must be valid in both SQLite and PostgreSQL. */
export interface Migration {
  version: number;
  name: string;
  statements: readonly string[];
}

/** Every migration, in order. */
export const MIGRATIONS: readonly Migration[] = [
  migration0001, migration0002, migration0003, migration0004, migration0005, migration0008, migration0009, migration0010, migration0011,
  migration0012,
];

/** Applies the migrations the database lacks; safe to run from several processes at once. */
export async function migrate(db: SqlDialect, migrations: readonly Migration[] = MIGRATIONS): Promise<number[]> {
  // Under the lock: two processes creating the table at once would otherwise race in PostgreSQL.
  await db.transaction(async (conn) => {
    await db.lockMigrations(conn);
    await conn.run(`CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL,
      applied_at TEXT NOT NULL)`);
  });
  const applied: number[] = [];
  for (const m of migrations) {
    const done = await db.transaction(async (conn) => {
      await db.lockMigrations(conn);
      const rows = await conn.all('SELECT version FROM schema_migrations WHERE version = ?', [m.version]);
      if (rows.length > 0) return false;
      for (const st of m.statements) await conn.run(st);
      await conn.run('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)', [
        m.version, m.name, new Date().toISOString(),
      ]);
      return true;
    });
    if (done) applied.push(m.version);
  }
  return applied;
}
