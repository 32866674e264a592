/**
 * @module service/events-postgres.test — the hub on the shared event log of a real PostgreSQL:
 * two store processes writing, a hub following the log on each; same events, same ids, resume
 * on the other, pruning.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import pg from 'pg';
import { hasPostgres, startPostgres } from '../../test/helpers/postgres.js';
import { PostgresDialect } from '../store/dialect-postgres.js';
import { SqlStore } from '../store/sql-store.js';
import { loadBalancer } from '../store/store.contract.js';
import { EventHub, type HubEvent } from './events.js';

const skip = hasPostgres() ? false : 'PostgreSQL not installed';
let server: Awaited<ReturnType<typeof startPostgres>> | undefined;

before(async () => {
  if (!skip) server = await startPostgres();
});
after(async () => {
  await server?.stop();
});

let databases = 0;
async function freshDatabase(): Promise<string> {
  const name = `events_${process.pid}_${++databases}`;
  const admin = new pg.Client({ connectionString: server!.url });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  return server!.url.replace(/\/[^/]*$/, `/${name}`);
}

test('the shared event log: two processes on one database, a hub on each, the same events under the same ids; resume on the other', { skip }, async () => {
  const url = await freshDatabase();
  const [a, b] = await Promise.all([1, 2].map(() => SqlStore.open(new PostgresDialect(url))));
  const hubA = new EventHub({ pollMs: 60_000 });
  const hubB = new EventHub({ pollMs: 60_000 });
  const admin = { projectId: 'admin', userId: 'u', roles: ['admin'], noauth: false, isAdmin: true, readsAll: true };
  try {
    assert.ok(a!.eventLog && b!.eventLog);
    await hubA.attachLog(a!.eventLog);
    await hubB.attachLog(b!.eventLog);
    const seenA: HubEvent[] = [];
    const seenB: HubEvent[] = [];
    hubA.subscribe(admin, {}, null, (e) => seenA.push(e));
    hubB.subscribe(admin, {}, null, (e) => seenB.push(e));
    // Process A creates, process B (an agent, say) makes it ACTIVE; concurrent writers in both.
    const lbs = Array.from({ length: 6 }, () => loadBalancer());
    await Promise.all(lbs.map((lb, i) => (i % 2 === 0 ? a! : b!).transaction((tx) => tx.insert('loadbalancer', lb))));
    await Promise.all(lbs.map((lb, i) => (i % 2 === 0 ? b! : a!).transaction((tx) => tx.update('loadbalancer', lb.id, { provisioningStatus: 'ACTIVE' }))));
    const key = (e: HubEvent): string => `${e.id} ${e.type === 'status' ? `${e.data.id} ${e.data.provisioning_status}` : 'stats'}`;
    for (let i = 0; i < 100 && (seenA.length < 12 || seenB.length < 12); i++) await new Promise((r) => setTimeout(r, 50));
    assert.equal(seenA.length, 12);
    assert.deepEqual(seenB.map(key), seenA.map(key), 'the same events, the same ids, the same order on both');
    assert.deepEqual(seenA.map((e) => e.id), Array.from({ length: 12 }, (_, i) => seenA[0]!.id + i), 'gapless, increasing');
    for (const lb of lbs) {
      const mine = seenA.filter((e) => e.type === 'status' && e.data.id === lb.id).map((e) => e.type === 'status' && e.data.provisioning_status);
      assert.deepEqual(mine, ['PENDING_CREATE', 'ACTIVE'], 'per object, in commit order');
    }
    // A client that read the first 5 events from A resumes on B: exactly the 7 it missed.
    const replay = hubB.subscribe(admin, {}, seenA[4]!.id, () => undefined).replay;
    assert.deepEqual(replay.kind === 'events' && replay.events.map(key), seenA.slice(5).map(key));
    // A third server started later loads the log, and so can resume a client too.
    const hubC = new EventHub();
    await hubC.attachLog(a!.eventLog);
    const late = hubC.subscribe(admin, {}, seenA[9]!.id, () => undefined).replay;
    assert.deepEqual(late.kind === 'events' && late.events.map(key), seenA.slice(10).map(key));
    await hubC.detach();
    // Pruning keeps the newest; an id below them is a reset.
    await a!.eventLog.prune(4);
    const hubD = new EventHub();
    await hubD.attachLog(b!.eventLog);
    assert.equal(hubD.subscribe(admin, {}, seenA[2]!.id, () => undefined).replay.kind, 'reset');
    await hubD.detach();
  } finally {
    await hubA.detach();
    await hubB.detach();
    await Promise.all([a!.close(), b!.close()]);
  }
});

test('a writer cut off while it holds the event log\'s lock (a partitioned agent mid-commit) stalls other writers only until the server ends its idle transaction', { skip }, async () => {
  const url = await freshDatabase();
  const writer = await SqlStore.open(new PostgresDialect(url));
  const stuck = new PostgresDialect(url, 2, { idleInTransactionMs: 1000 });
  let release: () => void = () => undefined;
  try {
    const locked = new Promise<void>((resolve) => {
      // Takes the lock as a commit's last step does, then never sends COMMIT (its network went silent).
      void stuck.transaction(async (conn) => {
        await stuck.eventChannel.lock(conn);
        resolve();
        await new Promise<void>((r) => { release = r; });
      }).catch(() => undefined);
    });
    await locked;
    const started = Date.now();
    await writer.transaction((tx) => tx.insert('loadbalancer', loadBalancer()));
    const waited = Date.now() - started;
    assert.ok(waited >= 500, `the lock was held (${waited} ms)`);
    assert.ok(waited < 5000, `released by the server's idle-in-transaction timeout, not by TCP (${waited} ms)`);
  } finally {
    release();
    await stuck.close().catch(() => undefined);
    await writer.close();
  }
});
