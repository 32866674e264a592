/**
 * @module agent/fencing.test — the agent's self-fence, focused: a real SQLite store and the noop
 * provider; the partition is the store's heartbeat hanging (test/e2e/multinode cuts a real
 * PostgreSQL connection). Fenced after `fenceAfterMs` and not before; nothing built while fenced;
 * healed, it builds again what is still its own and not what moved; with the policy off, nothing.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { newId, type NetworkId, type SubnetId } from '../domain/ids.js';
import { NoopProvider } from '../drivers/noop/noop-provider.js';
import { createLoadBalancer } from '../service/load-balancers.js';
import type { Caller } from '../service/context.js';
import { SqliteDialect } from '../store/dialect-sqlite.js';
import { SqlStore } from '../store/sql-store.js';
import type { Store } from '../store/store.js';
import { Agent } from './agent.js';

const ADMIN: Caller = { projectId: 'p1', userId: null, roles: ['admin'], noauth: true, isAdmin: true, readsAll: true };
const PROVIDERS = { enabled: [{ name: 'noop', description: '' }], defaultProvider: 'noop' };
const lines: string[] = [];
const log = { info: () => undefined, warn: (_: object, m?: string) => void lines.push(m ?? ''), error: (_: object, m?: string) => void lines.push(m ?? '') };

async function until(what: string, fn: () => Promise<boolean> | boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await fn())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A real store whose heartbeats hang while `cut` (a partition), and fail when it heals (broken connections). */
function partitionable(store: SqlStore): { store: Store; cut(): void; heal(): void } {
  let isCut = false;
  const hung: ((err: Error) => void)[] = [];
  const wrapped = new Proxy(store, {
    get(target, prop) {
      if (prop === 'heartbeatAgent') {
        return (id: string) => (isCut ? new Promise<boolean>((_, reject) => hung.push(reject)) : target.heartbeatAgent(id));
      }
      const v = Reflect.get(target, prop, target) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
  return {
    store: wrapped,
    cut: () => { isCut = true; },
    heal: () => {
      isCut = false;
      for (const reject of hung.splice(0)) reject(new Error('connection reset'));
    },
  };
}

async function scene(): Promise<{ store: SqlStore; subnetId: string; close(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'fulcrum-fence-'));
  const store = await SqlStore.open(new SqliteDialect(join(dir, 'f.db')));
  const networkId = newId<'Network'>() as NetworkId;
  const subnetId = newId<'Subnet'>() as SubnetId;
  const ts = '2026-01-01T00:00:00.000';
  await store.transaction(async (tx) => {
    await tx.insert('network', { id: networkId, projectId: 'p1', name: 'n', description: '', adminStateUp: true, shared: false, mtu: 1500, status: 'ACTIVE', tags: [], createdAt: ts, updatedAt: null });
    await tx.insert('subnet', {
      id: subnetId, networkId, projectId: 'p1', name: 's', description: '', ipVersion: 4, cidr: '10.9.0.0/24', gatewayIp: '10.9.0.1',
      allocationPools: [{ start: '10.9.0.2', end: '10.9.0.254' }], enableDhcp: true, dnsNameservers: [], hostRoutes: [], tags: [], createdAt: ts, updatedAt: null,
    });
  });
  return { store, subnetId, close: async () => { await store.close(); rmSync(dir, { recursive: true, force: true }); } };
}

test('self-fence: cut off longer than fenceAfterMs, the agent stops every load balancer; healed, it rebuilds what is still its own, not what moved', async () => {
  const s = await scene();
  const p = partitionable(s.store);
  const provider = new NoopProvider();
  const agent = new Agent({ store: p.store, providers: new Map([['noop', provider]]), log, host: 'node-a', heartbeatMs: 50, fenceAfterMs: 400 });
  try {
    await agent.start();
    const newLb = async (): Promise<string> => (await createLoadBalancer(s.store, ADMIN, PROVIDERS, { vipSubnetId: s.subnetId }, { downAfterMs: 60_000 })).view.object.id;
    const [lb1, lb2] = [await newLb(), await newLb()];
    await until('both built here', async () => (await provider.running()).length === 2);
    const cutAt = performance.now();
    p.cut();
    await until('fenced: nothing runs here', async () => (await provider.running()).length === 0, 5_000);
    const fencedAfter = performance.now() - cutAt;
    assert.ok(agent.isFenced);
    // Counted from the last acknowledged heartbeat's send (up to one interval before the cut).
    assert.ok(fencedAfter >= 400 - 50 - 10, `fenced too early: ${fencedAfter} ms`);
    assert.ok(fencedAfter < 400 + 1000, `fenced late: ${fencedAfter} ms`);
    assert.ok(lines.some((l) => l.startsWith('self-fencing')), 'the fence is logged');
    // The servers rebuild lb2 elsewhere meanwhile (the sweep's move, done here by hand), and a
    // change to lb1 arrives: nothing is built while fenced.
    const b = await s.store.registerAgent('node-b', {});
    await s.store.transaction(async (tx) => {
      await tx.place(lb2!, 'STANDALONE', b.id);
      await tx.beginChange(lb2!, 'PENDING_UPDATE', []);
    });
    await s.store.transaction((tx) => tx.beginChange(lb1!, 'PENDING_UPDATE', []));
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(await provider.running(), [], 'nothing built while fenced');
    p.heal();
    await until('fence lifted', () => !agent.isFenced);
    await until('its own one built again', async () => (await provider.running()).includes(lb1!));
    await until('lb1 ACTIVE', async () => (await s.store.get('loadbalancer', lb1!))?.provisioningStatus === 'ACTIVE');
    await agent.idle();
    assert.deepEqual(await provider.running(), [lb1], 'what moved stays removed');
    assert.ok(lines.some((l) => l.startsWith('heartbeat reached the database again')));
  } finally {
    p.heal();
    await agent.stop();
    await s.close();
  }
});

test('self-fence off (no fenceAfterMs): a hung heartbeat stops nothing', async () => {
  const s = await scene();
  const p = partitionable(s.store);
  const provider = new NoopProvider();
  const agent = new Agent({ store: p.store, providers: new Map([['noop', provider]]), log, host: 'node-a', heartbeatMs: 50 });
  try {
    await agent.start();
    const lb = (await createLoadBalancer(s.store, ADMIN, PROVIDERS, { vipSubnetId: s.subnetId }, { downAfterMs: 60_000 })).view.object.id;
    await until('built', async () => (await provider.running()).includes(lb));
    p.cut();
    await new Promise((r) => setTimeout(r, 600));
    assert.equal(agent.isFenced, false);
    assert.deepEqual(await provider.running(), [lb]);
  } finally {
    p.heal();
    await agent.stop();
    await s.close();
  }
});
