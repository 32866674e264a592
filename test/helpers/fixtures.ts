/**
 * @module test/helpers/fixtures — a real API on a real SQLite file in a temp dir, with the noop
 * provider's agent running, and the seed's networks to put load balancers on.
 */
import { randomBytes } from 'node:crypto';
import { SecretStore } from '../../src/store/secret-store.js';
import { OpensslPkcs12Reader } from '../../src/drivers/sys/openssl.js';
import { tlsResolver, type SecretDeps } from '../../src/service/secrets.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { Agent, type Logger as AgentLogger } from '../../src/agent/agent.js';
import type { Provider } from '../../src/drivers/provider.js';
import { buildServer } from '../../src/api/server.js';
import { tokenAuthenticator, type Authenticator } from '../../src/api/auth.js';
import type { ApiDeps } from '../../src/api/deps.js';
import type { EventStreamOptions } from '../../src/api/octavia/events.js';
import type { MetricsRegistry } from '../../src/domain/metrics.js';
import { bootstrapIdentity } from '../../src/identity/bootstrap.js';
import { PASSWORDS, TEST_KDF } from '../../src/identity/fixtures.js';
import { Identity } from '../../src/identity/identity.js';
import { IdentityStore } from '../../src/store/identity-store.js';
import { newId, type NetworkId, type SubnetId } from '../../src/domain/ids.js';
import { NoopProvider } from '../../src/drivers/noop/noop-provider.js';
import { SqliteDialect } from '../../src/store/dialect-sqlite.js';
import { SqlStore } from '../../src/store/sql-store.js';

export const PROJECT = 'e3cd678b11784734bc366148aa37580e';

export interface TestApi {
  app: FastifyInstance;
  /** With `identity: true`. */
  identity?: Identity;
  store: SqlStore;
  agent: Agent;
  /** The certificate store (random key), served under /key-manager and read by the agent. */
  secrets: SecretDeps;
  networkId: string;
  subnetId: string;
  close(): Promise<void>;
}

export interface TestApiOptions {
  /** Providers besides noop (the first one becomes the default). */
  providers?: (dir: string) => Provider[];
  /** One registry for the API and the agent (as main.ts makes). */
  metrics?: MetricsRegistry;
  /** Agent logger (silent by default; FULCRUM_TEST_LOG=1 prints). */
  log?: AgentLogger;
  /** Authentication instead of noauth (policy tests). */
  authenticate?: Authenticator;
  /**
   * Embedded identity (`--auth embedded`) on the same database, bootstrapped with users admin and
   * demo ({@link PASSWORDS}, a cheap KDF): tokens from `/v3` authenticate requests.
   */
  identity?: boolean;
  /** The identity service's clock (ms), to expire tokens in tests. */
  identityNow?: () => number;
  /** The event stream's hub and settings (default: the server's own hub). */
  events?: EventStreamOptions;
  /** This deployment's agent host name (availability zones' hosts, amphorae's compute_id). */
  agentHost?: string;
}

const silent: AgentLogger = { info: () => undefined, warn: () => undefined, error: () => undefined };
const printing: AgentLogger = {
  info: (o, m) => process.stderr.write(`info ${m ?? ''} ${JSON.stringify(o)}\n`),
  warn: (o, m) => process.stderr.write(`warn ${m ?? ''} ${JSON.stringify(o)}\n`),
  error: (o, m) => process.stderr.write(`error ${m ?? ''} ${JSON.stringify(o)}\n`),
};

/** Builds the API and agent over a fresh SQLite file, with network `lbaas` and subnet 10.115.54.0/24. */
export async function makeTestApi(opts: TestApiOptions = {}): Promise<TestApi> {
  const dir = mkdtempSync(join(tmpdir(), 'fulcrum-api-'));
  const store = await SqlStore.open(new SqliteDialect(join(dir, 'fulcrum.db')));
  const noop = new NoopProvider();
  const providers = [...(opts.providers?.(dir) ?? []), noop];
  const log = opts.log ?? (process.env.FULCRUM_TEST_LOG ? printing : silent);
  const secrets: SecretDeps = { secrets: new SecretStore(store.sqlDialect, randomBytes(32)), pkcs12: new OpensslPkcs12Reader() };
  const agent = new Agent({
    store, providers: new Map(providers.map((p) => [p.name, p])), log, tls: tlsResolver(secrets), ...(opts.metrics ? { metrics: opts.metrics } : {}),
  });
  await agent.start();
  let identity: Identity | undefined;
  let auth: Pick<ApiDeps, 'auth' | 'authenticate' | 'identity' | 'identityUri'> = { auth: 'noauth', ...(opts.authenticate ? { authenticate: opts.authenticate } : {}) };
  if (opts.identity) {
    const id = new Identity({ store: new IdentityStore(store.sqlDialect), kdf: TEST_KDF, ...(opts.identityNow ? { now: opts.identityNow } : {}) });
    await bootstrapIdentity(new IdentityStore(store.sqlDialect), { dataDir: dir, authUrl: 'http://127.0.0.1/v3', passwords: PASSWORDS, kdf: TEST_KDF });
    identity = id;
    auth = { auth: 'embedded', identity: { identity: id }, identityUri: 'http://127.0.0.1/v3', authenticate: tokenAuthenticator((t) => id.validateToken(t)) };
  }
  const byName = new Map(providers.map((p) => [p.name, p]));
  const app = await buildServer({
    renderedConfig: async (provider, lbId) => (await byName.get(provider)?.renderedConfig(lbId)) ?? null,
    store, isReady: () => true, ...auth, secrets, ...(opts.events ? { events: opts.events } : {}), ...(opts.metrics ? { metrics: opts.metrics } : {}),
    providers: {
      enabled: providers.map((p: Provider) => ({
        name: p.name, description: p.description, flavorCapabilities: p.flavorCapabilities ?? [], zoneCapabilities: p.zoneCapabilities ?? [],
      })),
      defaultProvider: providers[0]!.name,
      ...(opts.agentHost !== undefined ? { agentHost: opts.agentHost } : {}),
    },
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
    app, store, agent, secrets, networkId, subnetId, ...(identity ? { identity } : {}),
    close: async () => {
      await app.close();
      await agent.stop();
      // Whatever a failed test left running goes too.
      for (const p of providers) for (const id of await p.running()) await p.remove(id);
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

/** A parsed reply: status and JSON body (null when empty). */
export interface Reply {
  status: number;
  /** Bodies are checked field by field in tests, so they stay untyped. */
  body: any;
}

/** Sends a request as the test project and parses the reply. */
export async function call(app: FastifyInstance, method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: unknown): Promise<Reply> {
  const r = await app.inject({
    method, url, headers: { 'x-project-id': PROJECT },
    ...(payload === undefined ? {} : { payload: payload as object }),
  });
  return { status: r.statusCode, body: r.body === '' ? null : r.json() };
}

/** Creates a load balancer on the test subnet and waits until it is ACTIVE; returns it (wire shape). */
export async function activeLoadBalancer(t: TestApi, fields: Record<string, unknown> = {}): Promise<Record<string, unknown> & { id: string }> {
  const r = await call(t.app, 'POST', '/v2/lbaas/loadbalancers', { loadbalancer: { vip_subnet_id: t.subnetId, ...fields } });
  if (r.status !== 201) throw new Error(`load balancer create failed: ${r.status} ${JSON.stringify(r.body)}`);
  return (await waitFor(t.app, `/v2/lbaas/loadbalancers/${r.body.loadbalancer.id}`, 'loadbalancer', 'ACTIVE')) as Record<string, unknown> & { id: string };
}

/** Waits until the load balancer is ACTIVE again (after a child change). */
export async function settled(t: TestApi, lbId: string): Promise<void> {
  await waitFor(t.app, `/v2/lbaas/loadbalancers/${lbId}`, 'loadbalancer', 'ACTIVE');
}

/**
 * Puts an object in a provisioning status without announcing a change, so the agent leaves it
 * there (until its 30 s resync): for "immutable while pending" tests. Returns a function that
 * restores the old status.
 */
export async function holdStatus(
  store: SqlStore, kind: 'loadbalancer' | 'pool' | 'l7policy', id: string, status: 'PENDING_UPDATE' | 'PENDING_CREATE' | 'ERROR',
): Promise<() => Promise<void>> {
  const before = (await store.get(kind, id))!.provisioningStatus;
  await store.transaction((tx) => tx.update(kind, id, { provisioningStatus: status }));
  return () => store.transaction((tx) => tx.update(kind, id, { provisioningStatus: before }));
}
