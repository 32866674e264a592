/**
 * @module service/scheduler.test — placement of new load balancers, and the sweep: rebuild on
 * a dead agent's death, drain, the circuit breaker, allowed hosts; with real agents (host mode,
 * noop provider) over a real SQLite store, and two concurrent sweeps on a real PostgreSQL.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Agent } from '../agent/agent.js';
import { newId, type NetworkId, type SubnetId } from '../domain/ids.js';
import { NoopProvider } from '../drivers/noop/noop-provider.js';
import { SqliteDialect } from '../store/dialect-sqlite.js';
import { PostgresDialect } from '../store/dialect-postgres.js';
import { SqlStore } from '../store/sql-store.js';
import { hasPostgres, startPostgres, type PostgresServer } from '../../test/helpers/postgres.js';
import type { Caller } from './context.js';
import { updateAgent } from './agents.js';
import { createLoadBalancer } from './load-balancers.js';
import { rebuildSweep, scheduleLoadBalancer } from './scheduler.js';

const ADMIN: Caller = { projectId: 'p1', userId: null, roles: ['admin'], noauth: true, isAdmin: true, readsAll: true };
const PROVIDERS = { enabled: [{ name: 'noop', description: '' }], defaultProvider: 'noop' };
const silent = { info: () => undefined, warn: () => undefined, error: () => undefined };
const DOWN = { downAfterMs: 60_000 };

interface Scene { store: SqlStore; subnetId: string; close(): Promise<void> }

async function withNetwork(store: SqlStore): Promise<string> {
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
  return subnetId;
}

async function sqliteScene(): Promise<Scene> {
  const dir = mkdtempSync(join(tmpdir(), 'fulcrum-sched-'));
  const store = await SqlStore.open(new SqliteDialect(join(dir, 'f.db')));
  return { store, subnetId: await withNetwork(store), close: async () => { await store.close(); rmSync(dir, { recursive: true, force: true }); } };
}

/** Makes an agent's last heartbeat ten minutes old (by the database's clock): dead for any down time used here. */
async function silence(store: SqlStore, host: string): Promise<void> {
  await store.sqlDialect.run('UPDATE agents SET heartbeat_ms = heartbeat_ms - 600000 WHERE host = ?', [host]);
}

async function until(what: string, fn: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await fn())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const newLb = async (s: Scene): Promise<string> => (await createLoadBalancer(s.store, ADMIN, PROVIDERS, { vipSubnetId: s.subnetId }, DOWN)).view.object.id;
const status = async (s: Scene, id: string): Promise<string | undefined> => (await s.store.get('loadbalancer', id))?.provisioningStatus;
const ownerHost = async (s: Scene, id: string): Promise<string | undefined> => {
  const [p] = await s.store.placementsOf(id);
  return (await s.store.listAgents()).find((a) => a.id === p?.agentId)?.host;
};

function nodeAgent(store: SqlStore, host: string, provider = new NoopProvider()): { agent: Agent; provider: NoopProvider } {
  return { agent: new Agent({ store, providers: new Map([['noop', provider]]), log: silent, host, heartbeatMs: 200 }), provider };
}

test('a new load balancer goes to the least loaded live agent in its own transaction; with none alive it waits and the sweep places it', async () => {
  const s = await sqliteScene();
  try {
    const lb0 = await newLb(s);
    assert.deepEqual((await s.store.placementsOf(lb0)), [], 'no agent yet: unplaced, but accepted');
    const a = await s.store.registerAgent('node-a', {});
    const b = await s.store.registerAgent('node-b', {});
    const r = await rebuildSweep(s.store, { ...DOWN, failoverThreshold: 5 });
    assert.deepEqual(r.moved.map((m) => [m.loadBalancerId, m.from, m.to, m.why]), [[lb0, null, a.id, 'unplaced']]);
    const lb1 = await newLb(s);
    const lb2 = await newLb(s);
    assert.equal(await ownerHost(s, lb1), 'node-b', 'node-b had none');
    assert.equal(await ownerHost(s, lb2), 'node-a', 'a tie goes to the first host name');
    await s.store.transaction((tx) => tx.updateAgent(b.id, { adminStateUp: false }));
    assert.equal(await ownerHost(s, await newLb(s)), 'node-a', 'a disabled agent takes nothing new');
    // Allowed hosts (an availability zone's): only node-b, which is disabled, so nothing qualifies.
    const lbz = newId<'LoadBalancer'>();
    const placed = await s.store.transaction(async (tx) => scheduleLoadBalancer(tx, { id: lbz as never, availabilityZone: 'az2' }, {
      ...DOWN, allowedHosts: async (_r, lb) => (lb.availabilityZone === 'az2' ? new Set(['node-b']) : undefined),
    }));
    assert.equal(placed, undefined);
    // By default the zone's profile decides: `hosts` ["node-a"] places there even though node-a is
    // the most loaded; a zone without a host list takes any agent.
    await s.store.transaction(async (tx) => {
      await tx.insert('azprofile', { id: 'azp-a', name: 'only-a', providerName: 'noop', availabilityZoneData: JSON.stringify({ hosts: ['node-a'] }) });
      await tx.insert('availabilityzone', { id: 'zone-a', name: 'zone-a', description: '', enabled: true, availabilityZoneProfileId: 'azp-a' });
    });
    await s.store.transaction((tx) => tx.updateAgent(b.id, { adminStateUp: true }));
    const zoned = (await createLoadBalancer(s.store, ADMIN, PROVIDERS, { vipSubnetId: s.subnetId, availabilityZone: 'zone-a' }, DOWN)).view.object.id;
    assert.equal(await ownerHost(s, zoned), 'node-a', 'the zone names node-a only');
    assert.equal(await ownerHost(s, await newLb(s)), 'node-b', 'no zone: the least loaded agent');
  } finally {
    await s.close();
  }
});

test('agents build only their own; a dead agent\'s load balancers are rebuilt on a live one with a new generation, its copy removed when it returns; a drain moves them back', async () => {
  const s = await sqliteScene();
  const started: Agent[] = [];
  try {
    const A = nodeAgent(s.store, 'node-a');
    const B = nodeAgent(s.store, 'node-b');
    for (const x of [A, B]) { await x.agent.start(); started.push(x.agent); }
    const lb1 = await newLb(s);
    const lb2 = await newLb(s);
    await until('both ACTIVE', async () => (await status(s, lb1)) === 'ACTIVE' && (await status(s, lb2)) === 'ACTIVE');
    const onA = await ownerHost(s, lb1) === 'node-a' ? lb1 : lb2;
    const onB = onA === lb1 ? lb2 : lb1;
    assert.deepEqual(await A.provider.running(), [onA], 'node-a builds only what is placed on it');
    assert.deepEqual(await B.provider.running(), [onB]);
    const generation = (await s.store.get('loadbalancer', onA))!.generation;

    // node-a dies: its agent stops heartbeating (its data plane is left as a dead node leaves it).
    await A.agent.stop();
    started.splice(started.indexOf(A.agent), 1);
    assert.equal((await rebuildSweep(s.store, { ...DOWN, failoverThreshold: 5 })).moved.length, 0, 'not dead yet');
    await silence(s.store, 'node-a');
    const r = await rebuildSweep(s.store, { ...DOWN, failoverThreshold: 5 });
    assert.deepEqual(r.moved.map((m) => [m.loadBalancerId, m.why]), [[onA, 'agent-dead']]);
    const moved = (await s.store.get('loadbalancer', onA))!;
    assert.equal(moved.generation, generation + 1, 'the move bumps the generation');
    assert.equal(moved.provisioningStatus, 'PENDING_UPDATE');
    await until('rebuilt on node-b', async () => (await status(s, onA)) === 'ACTIVE' && (await B.provider.running()).includes(onA));
    assert.equal(await ownerHost(s, onA), 'node-b');

    // node-a comes back with its old data plane: it removes what is no longer its own, and records nothing.
    const back = nodeAgent(s.store, 'node-a', A.provider);
    await back.agent.start();
    started.push(back.agent);
    await until('old copy removed', async () => (await A.provider.running()).length === 0);
    assert.equal(await status(s, onA), 'ACTIVE');

    // Drain node-b: both move to node-a.
    await updateAgent(s.store, B.agent.agentId!, { adminStateUp: false }, DOWN.downAfterMs);
    const d = await rebuildSweep(s.store, { ...DOWN, failoverThreshold: 5 });
    assert.deepEqual(d.moved.map((m) => m.why).sort(), ['agent-disabled', 'agent-disabled']);
    await until('drained to node-a', async () => (await A.provider.running()).length === 2 && (await B.provider.running()).length === 0 &&
      (await status(s, lb1)) === 'ACTIVE' && (await status(s, lb2)) === 'ACTIVE');
  } finally {
    for (const a of started) await a.stop();
    await s.close();
  }
});

test('the circuit breaker: as many orphans as the failover threshold stop their rebuild (a partition), fewer do not', async () => {
  const s = await sqliteScene();
  try {
    const a = await s.store.registerAgent('node-a', {});
    const lbs = [await newLb(s), await newLb(s), await newLb(s)];
    await s.store.registerAgent('node-b', {});
    await s.store.registerAgent('node-c', {});
    for (const id of lbs) assert.equal(await ownerHost(s, id), 'node-a');
    await silence(s.store, 'node-a');
    const held = await rebuildSweep(s.store, { ...DOWN, failoverThreshold: 3 });
    assert.deepEqual({ moved: held.moved.length, orphaned: held.orphaned, open: held.breakerOpen }, { moved: 0, orphaned: 3, open: true });
    for (const id of lbs) assert.equal(await ownerHost(s, id), 'node-a', 'nothing moved while the breaker is open');
    // The sweeper's own database just came back: dead agents' load balancers wait one down time.
    assert.equal((await rebuildSweep(s.store, { ...DOWN, failoverThreshold: 4, holdDead: true })).moved.length, 0);
    const r = await rebuildSweep(s.store, { ...DOWN, failoverThreshold: 4 });
    assert.equal(r.breakerOpen, false);
    assert.equal(r.moved.length, 3);
    const hosts = await Promise.all(lbs.map((id) => ownerHost(s, id)));
    assert.deepEqual(hosts.sort(), ['node-b', 'node-b', 'node-c'], 'spread by load: least loaded first');
    assert.ok(r.moved.every((m) => m.from === a.id));
    // Allowed hosts: with only dead node-a allowed, a load balancer is stranded, not misplaced.
    await silence(s.store, 'node-b');
    const st = await rebuildSweep(s.store, { ...DOWN, failoverThreshold: 10, allowedHosts: async () => new Set(['node-a', 'node-b']) });
    assert.equal(st.moved.length, 0);
    assert.equal(st.stranded.length, 2);
  } finally {
    await s.close();
  }
});

let pg: PostgresServer | undefined;
before(async () => { if (hasPostgres()) pg = await startPostgres(); });
after(async () => { await pg?.stop(); });

test('PostgreSQL: two servers sweeping at once move each orphan once (one new owner, one generation bump)', { skip: !hasPostgres() && 'PostgreSQL not installed' }, async () => {
  const one = await SqlStore.open(new PostgresDialect(pg!.url));
  const two = await SqlStore.open(new PostgresDialect(pg!.url));
  try {
    const s: Scene = { store: one, subnetId: await withNetwork(one), close: async () => undefined };
    await one.registerAgent('pg-a', {});
    const lbs: string[] = [];
    for (let i = 0; i < 6; i++) lbs.push(await newLb(s));
    await one.registerAgent('pg-b', {});
    await one.registerAgent('pg-c', {});
    const gens = new Map(await Promise.all(lbs.map(async (id) => [id, (await one.get('loadbalancer', id))!.generation] as const)));
    await silence(one, 'pg-a');
    const [r1, r2] = await Promise.all([rebuildSweep(one, { ...DOWN, failoverThreshold: 100 }), rebuildSweep(two, { ...DOWN, failoverThreshold: 100 })]);
    assert.equal(r1.moved.length + r2.moved.length, 6, 'each moved by exactly one sweep');
    for (const id of lbs) {
      const p = await one.placementsOf(id);
      assert.equal(p.length, 1);
      assert.notEqual(await ownerHost(s, id), 'pg-a');
      assert.equal((await one.get('loadbalancer', id))!.generation, gens.get(id)! + 1);
    }
  } finally {
    await one.close();
    await two.close();
  }
});

test('ACTIVE_STANDBY: the pair goes to two agents; with one alive it waits in PENDING_CREATE until the sweep places the other side; ACTIVE only once both applied; a dead side is rebuilt on a third agent, never beside its pair', async () => {
  const s = await sqliteScene();
  const started: Agent[] = [];
  try {
    await s.store.transaction(async (tx) => {
      await tx.insert('flavorprofile', { id: 'fp-as', name: 'as', providerName: 'noop', flavorData: JSON.stringify({ loadbalancer_topology: 'ACTIVE_STANDBY' }) });
      await tx.insert('flavor', { id: 'fl-as', name: 'as', description: '', enabled: true, flavorProfileId: 'fp-as' });
    });
    const A = nodeAgent(s.store, 'node-a');
    await A.agent.start();
    started.push(A.agent);
    const lb = (await createLoadBalancer(s.store, ADMIN, PROVIDERS, { vipSubnetId: s.subnetId, flavorId: 'fl-as' }, DOWN)).view.object.id;
    const amps = await s.store.list('amphora', { filters: { loadBalancerId: [lb] }, limit: null });
    assert.deepEqual(amps.map((a) => a.role).sort(), ['BACKUP', 'MASTER']);
    assert.ok(amps.every((a) => a.vrrpIp !== null && a.vrrpPortId !== null), 'each side has its own port on the VIP network');
    assert.notEqual(amps[0]!.vrrpIp, amps[1]!.vrrpIp);
    const roles = async () => (await s.store.placementsOf(lb)).map((p) => [p.role, p.agentId]);
    assert.deepEqual(await roles(), [['MASTER', A.agent.agentId]], 'one agent alive: the BACKUP side waits unplaced');
    await until('node-a applied its side', async () => (await A.provider.running()).includes(lb));
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(await status(s, lb), 'PENDING_CREATE', 'not ACTIVE with one side');

    const B = nodeAgent(s.store, 'node-b');
    await B.agent.start();
    started.push(B.agent);
    const r = await rebuildSweep(s.store, { ...DOWN, failoverThreshold: 5 });
    assert.deepEqual(r.moved.map((m) => [m.loadBalancerId, m.from, m.to, m.why]), [[lb, null, B.agent.agentId, 'unplaced']]);
    await until('ACTIVE once both sides applied', async () => (await status(s, lb)) === 'ACTIVE');
    assert.deepEqual(await roles(), [['BACKUP', B.agent.agentId], ['MASTER', A.agent.agentId]]);

    // node-b dies: with no third agent the BACKUP side is stranded, never put beside the MASTER.
    await B.agent.stop();
    started.splice(started.indexOf(B.agent), 1);
    await silence(s.store, 'node-b');
    const stranded = await rebuildSweep(s.store, { ...DOWN, failoverThreshold: 5 });
    assert.deepEqual(stranded.stranded, [lb]);
    assert.deepEqual(await roles(), [['BACKUP', B.agent.agentId], ['MASTER', A.agent.agentId]]);
    const C = nodeAgent(s.store, 'node-c');
    await C.agent.start();
    started.push(C.agent);
    const moved = await rebuildSweep(s.store, { ...DOWN, failoverThreshold: 5 });
    assert.deepEqual(moved.moved.map((m) => [m.from, m.to, m.why]), [[B.agent.agentId, C.agent.agentId, 'agent-dead']]);
    await until('ACTIVE again with node-c', async () => (await status(s, lb)) === 'ACTIVE' && (await C.provider.running()).includes(lb));
  } finally {
    for (const a of started) await a.stop();
    await s.close();
  }
});
