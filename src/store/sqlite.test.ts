/** @module store/sqlite.test — the store contract on SQLite, plus durability across a kill -9. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { SqliteDialect } from './dialect-sqlite.js';
import { SqlStore } from './sql-store.js';
import { runStoreContract } from './store.contract.js';
import type { Store } from './store.js';

runStoreContract('sqlite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fulcrum-store-'));
  const file = join(dir, 'test.db');
  const opened: Store[] = [await SqlStore.open(new SqliteDialect(file))];
  return {
    store: opened[0]!,
    reopen: async () => {
      await opened[opened.length - 1]!.close();
      const s = await SqlStore.open(new SqliteDialect(file));
      opened.push(s);
      return s;
    },
    close: async () => {
      await opened[opened.length - 1]!.close().catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

test('sqlite: a committed write survives the process being killed right after it', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fulcrum-durable-'));
  const file = join(dir, 'test.db');
  const here = fileURLToPath(new URL('.', import.meta.url));
  // The child commits, says so, then SIGKILLs itself before any orderly close.
  const script = `
    import { SqliteDialect } from ${JSON.stringify(join(here, 'dialect-sqlite.js'))};
    import { SqlStore } from ${JSON.stringify(join(here, 'sql-store.js'))};
    const store = await SqlStore.open(new SqliteDialect(${JSON.stringify(file)}));
    await store.recordCounters('lb', 'w', new Map([['l', { bytesIn: 7, bytesOut: 0, activeConnections: 0, totalConnections: 0, requestErrors: 0 }]]));
    process.stdout.write('committed\\n');
    process.kill(process.pid, 'SIGKILL');
  `;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  assert.equal(r.stdout.trim(), 'committed');
  assert.equal(r.signal, 'SIGKILL');
  return (async () => {
    const store = await SqlStore.open(new SqliteDialect(file));
    try {
      assert.equal((await store.stats('listener', 'l')).bytesIn, 7);
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  })();
});
