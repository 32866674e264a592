/**
 * @module service/quotas.test — quota enforcement is race-free on both databases: many creates of
 * one project at once, on PostgreSQL through a pool of real connections, never take more than the
 * last slot; a fully-populated create counts every child. Runs the same cases on SQLite and on a
 * PostgreSQL server started for this file.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { FulcrumError } from '../domain/errors.js';
import { newId, type NetworkId, type SubnetId } from '../domain/ids.js';
import { PostgresDialect } from '../store/dialect-postgres.js';
import { SqliteDialect } from '../store/dialect-sqlite.js';
import { SqlStore } from '../store/sql-store.js';
import { startPostgres, type PostgresServer } from '../../test/helpers/postgres.js';
import type { Caller } from './context.js';
import { createListener } from './listeners.js';
import { createLoadBalancer } from './load-balancers.js';
import { setQuota } from './quotas.js';

const PROJECT = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';
const caller: Caller = { projectId: PROJECT, userId: null, roles: ['member'], noauth: false, isAdmin: false, readsAll: false };
const providers = { enabled: [{ name: 'noop', description: 'noop' }], defaultProvider: 'noop' };

async function withSubnet(store: SqlStore): Promise<string> {
  const networkId = newId<'Network'>() as NetworkId;
  const subnetId = newId<'Subnet'>() as SubnetId;
  const ts = '2026-01-01T00:00:00.000';
  await store.transaction(async (tx) => {
    await tx.insert('network', { id: networkId, projectId: PROJECT, name: 'n', description: '', adminStateUp: true, shared: false, mtu: 1500, status: 'ACTIVE', tags: [], createdAt: ts, updatedAt: null });
    await tx.insert('subnet', {
      id: subnetId, networkId, projectId: PROJECT, name: 's', description: '', ipVersion: 4, cidr: '10.77.0.0/16', gatewayIp: '10.77.0.1',
      allocationPools: [{ start: '10.77.0.2', end: '10.77.255.254' }], enableDhcp: true, dnsNameservers: [], hostRoutes: [], tags: [], createdAt: ts, updatedAt: null,
    });
  });
  return subnetId;
}

/** How many objects of a kind a project has. */
async function owned(store: SqlStore, kind: 'loadbalancer' | 'listener' | 'member', project: string): Promise<number> {
  return (await store.list(kind, { filters: { projectId: [project] }, limit: null })).length;
}

/** Settles every promise; returns how many succeeded and checks the others failed on the quota. */
async function outcomes(ps: Promise<unknown>[]): Promise<number> {
  const rs = await Promise.allSettled(ps);
  for (const r of rs) {
    if (r.status === 'rejected') {
      assert.ok(r.reason instanceof FulcrumError && r.reason.code === 'QUOTA_EXCEEDED', String(r.reason));
    }
  }
  return rs.filter((r) => r.status === 'fulfilled').length;
}

function cases(name: string, open: () => Promise<SqlStore>): void {
  describe(name, () => {
    let store: SqlStore;
    let subnetId: string;
    before(async () => {
      store = await open();
      subnetId = await withSubnet(store);
    });
    after(async () => {
      await store?.close();
    });

    test('16 load balancer creates at once against a quota of 3: exactly 3 pass, each round', async () => {
      for (let round = 0; round < 3; round++) {
        const project = `${PROJECT.slice(0, 30)}r${round}`;
        const me = { ...caller, projectId: project };
        await setQuota(store, project, { loadBalancer: 3 });
        // Explicit VIP addresses: concurrent automatic allocations on one subnet can collide on PostgreSQL (IP_IN_USE).
        const passed = await outcomes(Array.from({ length: 16 }, (_, i) =>
          createLoadBalancer(store, me, providers, { vipSubnetId: subnetId, vipAddress: `10.77.${10 + round}.${i + 2}` })));
        assert.equal(passed, 3);
        assert.equal(await owned(store, 'loadbalancer', project), 3);
      }
    });

    test('listener creates on 8 load balancers of one project at once against a quota of 5: exactly 5 pass', async () => {
      const project = `${PROJECT.slice(0, 30)}li`;
      const me = { ...caller, projectId: project };
      const lbs = await Promise.all(Array.from({ length: 8 }, (_, i) =>
        createLoadBalancer(store, me, providers, { vipSubnetId: subnetId, vipAddress: `10.77.20.${i + 2}` })));
      // No agent here: the load balancers are made ACTIVE by hand, so that they take changes.
      await store.transaction(async (tx) => {
        for (const lb of lbs) await tx.update('loadbalancer', lb.view.object.id, { provisioningStatus: 'ACTIVE' });
      });
      await setQuota(store, project, { listener: 5 });
      // Each create locks its own load balancer first, then the project's quota.
      const passed = await outcomes(lbs.map((lb, i) =>
        createListener(store, me, { loadBalancerId: lb.view.object.id, protocol: 'TCP', protocolPort: 1000 + i } as never)));
      assert.equal(passed, 5);
      assert.equal(await owned(store, 'listener', project), 5);
    });

    test('a fully-populated create counts every child: 3 members against a quota of 2 is refused whole', async () => {
      const project = `${PROJECT.slice(0, 30)}fp`;
      const me = { ...caller, projectId: project };
      await setQuota(store, project, { member: 2 });
      const pool = (n: number) => [{
        name: 'p', protocol: 'HTTP' as const, lbAlgorithm: 'ROUND_ROBIN' as const,
        members: Array.from({ length: n }, (_, i) => ({ address: `10.9.0.${i + 1}`, protocolPort: 80 })),
      }];
      await assert.rejects(createLoadBalancer(store, me, providers, { vipSubnetId: subnetId, vipAddress: '10.77.30.2', pools: pool(3) } as never),
        /Quota has been met for resources: Member/);
      assert.equal(await owned(store, 'loadbalancer', project), 0);
      await createLoadBalancer(store, me, providers, { vipSubnetId: subnetId, vipAddress: '10.77.30.2', pools: pool(2) } as never);
      assert.equal(await owned(store, 'member', project), 2);
    });
  });
}

const dir = mkdtempSync(join(tmpdir(), 'fulcrum-quota-'));
after(() => rmSync(dir, { recursive: true, force: true }));
cases('sqlite', () => SqlStore.open(new SqliteDialect(join(dir, 'q.db'))));

let server: PostgresServer | undefined;
after(async () => {
  await server?.stop();
});
cases('postgres', async () => {
  server = await startPostgres();
  const name = `quota_${process.pid}`;
  const admin = new pg.Client({ connectionString: server.url });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  return SqlStore.open(new PostgresDialect(server.url.replace(/\/[^/]*$/, `/${name}`), 20));
});
