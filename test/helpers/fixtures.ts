/**
 * @module test/helpers/fixtures — a real API on a real SQLite file in a temp dir, with the noop
 * provider's agent running, and the seed's networks to put load balancers on.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { Agent } from '../../src/agent/agent.js';
import { buildServer } from '../../src/api/server.js';
import { newId, type NetworkId, type SubnetId } from '../../src/domain/ids.js';
import { NoopProvider } from '../../src/drivers/noop/noop-provider.js';
import { SqliteDialect } from '../../src/store/dialect-sqlite.js';
import { SqlStore } from '../../src/store/sql-store.js';

export const PROJECT = 'e3cd678b11784734bc366148aa37580e';

export interface TestApi {
  app: FastifyInstance;
  store: SqlStore;
  agent: Agent;
  networkId: string;
  subnetId: string;
  close(): Promise<void>;
}

/** Builds the API and agent over a fresh SQLite file, with network `lbaas` and subnet 10.115.54.0/24. */
export async function makeTestApi(): Promise<TestApi> {
  const dir = mkdtempSync(join(tmpdir(), 'fulcrum-api-'));
  const store = await SqlStore.open(new SqliteDialect(join(dir, 'fulcrum.db')));
  const noop = new NoopProvider();
  const silent = { info: () => undefined, warn: () => undefined, error: () => undefined };
  const agent = new Agent({ store, providers: new Map([[noop.name, noop]]), log: silent });
  await agent.start();
  const app = await buildServer({
    store, auth: 'noauth', isReady: () => true,
    providers: { enabled: [{ name: noop.name, description: noop.description }], defaultProvider: 'noop' },
  });
  const networkId = newId<'Network'>() as NetworkId;
  const subnetId = newId<'Subnet'>() as SubnetId;
  const ts = '2026-01-01T00:00:00.000';
  await store.transaction(async (tx) => {
    await tx.insert('network', {
      id: networkId, projectId: PROJECT, name: 'lbaas', description: '', adminStateUp: true, shared: false, mtu: 1500,
      status: 'ACTIVE', tags: [], createdAt: ts, updatedAt: null,
    });
    await tx.insert('subnet', {
      id: subnetId, networkId, projectId: PROJECT, name: 'lbaas-subnet', description: '', ipVersion: 4,
      cidr: '10.115.54.0/24', gatewayIp: '10.115.54.1', allocationPools: [{ start: '10.115.54.2', end: '10.115.54.254' }],
      enableDhcp: true, dnsNameservers: [], hostRoutes: [], tags: [], createdAt: ts, updatedAt: null,
    });
  });
  return {
    app, store, agent, networkId, subnetId,
    close: async () => {
      await app.close();
      await agent.stop();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Polls GET `path` until `key`'s provisioning_status is `want` (or 404 when want is 'DELETED'). */
export async function waitFor(app: FastifyInstance, path: string, key: string, want: string, timeoutMs = 5000): Promise<Record<string, unknown>> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    const r = await app.inject({ method: 'GET', url: path });
    if (want === 'DELETED' && r.statusCode === 404) return {};
    if (r.statusCode === 200) {
      const obj = r.json()[key] as Record<string, unknown>;
      last = String(obj.provisioning_status);
      if (last === want) return obj;
    }
    await new Promise((res) => setTimeout(res, 5));
  }
  throw new Error(`${path} never reached ${want} (last ${last})`);
}
