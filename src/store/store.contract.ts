/**
 * @module store/store.contract — the behaviour every Store implementation must have.
 * Called from sqlite.test.ts and postgres.test.ts with a fresh, empty store each time.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { L7Policy, L7Rule, Listener, LoadBalancer, Member, Network, Pool, Subnet } from '../domain/model.js';
import {
  newId, type L7PolicyId, type L7RuleId, type ListenerId, type LoadBalancerId, type MemberId, type NetworkId, type PoolId,
  type SubnetId,
} from '../domain/ids.js';
import { isUniqueViolation } from './sql.js';
import type { CommittedEvent, Store } from './store.js';

/** Opens a fresh empty store; `close` releases it. */
export type StoreFactory = () => Promise<{ store: Store; reopen: () => Promise<Store>; close: () => Promise<void> }>;

const PROJECT = 'p1';

export function network(): Network {
  return {
    id: newId<'Network'>() as NetworkId, projectId: PROJECT, name: 'net', description: '', adminStateUp: true,
    shared: false, mtu: 1500, status: 'ACTIVE', tags: [], createdAt: '2026-01-01T00:00:00.000', updatedAt: null,
  };
}

export function subnet(networkId: string, cidr = '10.0.0.0/24'): Subnet {
  return {
    id: newId<'Subnet'>() as SubnetId, networkId: networkId as NetworkId, projectId: PROJECT, name: 'sub', description: '',
    ipVersion: 4, cidr, gatewayIp: '10.0.0.1', allocationPools: [{ start: '10.0.0.2', end: '10.0.0.254' }],
    enableDhcp: true, dnsNameservers: [], hostRoutes: [], tags: [], createdAt: '2026-01-01T00:00:00.000', updatedAt: null,
  };
}

export function loadBalancer(over: Partial<LoadBalancer> = {}): LoadBalancer {
  return {
    id: newId<'LoadBalancer'>() as LoadBalancerId, projectId: PROJECT, name: 'lb', description: '', adminStateUp: true,
    provisioningStatus: 'PENDING_CREATE', operatingStatus: 'OFFLINE', tags: [], createdAt: new Date().toISOString().slice(0, 23),
    updatedAt: null, vipAddress: '10.0.0.5', vipPortId: null, vipSubnetId: null, vipNetworkId: null, vipQosPolicyId: null,
    provider: 'noop', flavorId: null, availabilityZone: null, generation: 0, appliedGeneration: 0, ...over,
  };
}

function pool(lbId: string): Pool {
  return {
    id: newId<'Pool'>() as PoolId, loadBalancerId: lbId as LoadBalancerId, projectId: PROJECT, name: 'pool', description: '',
    adminStateUp: true, provisioningStatus: 'PENDING_CREATE', operatingStatus: 'OFFLINE', tags: [],
    createdAt: '2026-01-01T00:00:00.000', updatedAt: null, protocol: 'HTTP', lbAlgorithm: 'ROUND_ROBIN',
    sessionPersistence: { type: 'APP_COOKIE', cookieName: 'sid', persistenceTimeout: null, persistenceGranularity: null },
    tlsContainerRef: null, caTlsContainerRef: null, crlContainerRef: null, tlsEnabled: false, tlsCiphers: null,
    tlsVersions: null, alpnProtocols: null,
  };
}

function member(p: Pool, address: string): Member {
  return {
    id: newId<'Member'>() as MemberId, poolId: p.id, loadBalancerId: p.loadBalancerId, projectId: PROJECT, name: address,
    description: '', adminStateUp: true, provisioningStatus: 'PENDING_CREATE', operatingStatus: 'NO_MONITOR', tags: [],
    createdAt: '2026-01-01T00:00:00.000', updatedAt: null, address, protocolPort: 80, weight: 1, backup: false,
    subnetId: null, monitorAddress: null, monitorPort: null,
  };
}

function listener(lbId: string, defaultPoolId: string | null): Listener {
  return {
    id: newId<'Listener'>() as ListenerId, loadBalancerId: lbId as LoadBalancerId, projectId: PROJECT, name: 'l', description: '',
    adminStateUp: true, provisioningStatus: 'PENDING_CREATE', operatingStatus: 'OFFLINE', tags: [],
    createdAt: '2026-01-01T00:00:00.000', updatedAt: null, protocol: 'HTTP', protocolPort: 80, connectionLimit: -1,
    defaultPoolId: defaultPoolId as PoolId | null, defaultTlsContainerRef: null, sniContainerRefs: [], insertHeaders: {},
    timeoutClientData: 50000, timeoutMemberConnect: 5000, timeoutMemberData: 50000, timeoutTcpInspect: 0,
    clientCaTlsContainerRef: null, clientAuthentication: 'NONE', clientCrlContainerRef: null, allowedCidrs: null,
    tlsCiphers: null, tlsVersions: null, alpnProtocols: null, hstsMaxAge: null, hstsIncludeSubdomains: false, hstsPreload: false,
  };
}

function l7policy(l: Listener, position: number, redirectPoolId: string): L7Policy {
  return {
    id: newId<'L7Policy'>() as L7PolicyId, listenerId: l.id, loadBalancerId: l.loadBalancerId, projectId: PROJECT, name: 'p',
    description: 'd', adminStateUp: true, provisioningStatus: 'PENDING_CREATE', operatingStatus: 'OFFLINE', tags: ['t'],
    createdAt: '2026-01-01T00:00:00.000', updatedAt: null, action: 'REDIRECT_TO_POOL', position,
    redirectPoolId: redirectPoolId as PoolId, redirectUrl: null, redirectPrefix: null, redirectHttpCode: null,
  };
}

function l7rule(p: L7Policy, value: string): L7Rule {
  return {
    id: newId<'L7Rule'>() as L7RuleId, l7PolicyId: p.id, listenerId: p.listenerId, loadBalancerId: p.loadBalancerId,
    projectId: PROJECT, name: '', description: '', adminStateUp: true, provisioningStatus: 'PENDING_CREATE',
    operatingStatus: 'OFFLINE', tags: [], createdAt: '2026-01-01T00:00:00.000', updatedAt: null, type: 'HEADER',
    compareType: 'EQUAL_TO', key: 'X-Key', value, invert: true,
  };
}

/** Registers the contract tests for one implementation. */
export function runStoreContract(name: string, factory: StoreFactory): void {
  const withStore = (title: string, fn: (store: Store, reopen: () => Promise<Store>) => Promise<void>): void => {
    test(`${name}: ${title}`, async () => {
      const { store, reopen, close } = await factory();
      try {
        await fn(store, reopen);
      } finally {
        await close();
      }
    });
  };

  withStore('round-trips every column kind', async (store) => {
    const lb = loadBalancer({ tags: ['a', 'b'], adminStateUp: false, vipQosPolicyId: null });
    const p = pool(lb.id);
    await store.transaction(async (tx) => {
      await tx.insert('loadbalancer', lb);
      await tx.insert('pool', p);
    });
    assert.deepEqual(await store.get('loadbalancer', lb.id), lb);
    assert.deepEqual(await store.get('pool', p.id), p);
    await store.transaction((tx) => tx.update('loadbalancer', lb.id, { name: 'renamed', tags: ['c'] }));
    const got = await store.get('loadbalancer', lb.id);
    assert.equal(got?.name, 'renamed');
    assert.deepEqual(got?.tags, ['c']);
    assert.notEqual(got?.updatedAt, null);
  });

  withStore('a failed transaction writes nothing', async (store) => {
    const lb = loadBalancer();
    await assert.rejects(store.transaction(async (tx) => {
      await tx.insert('loadbalancer', lb);
      throw new Error('boom');
    }), /boom/);
    assert.equal(await store.get('loadbalancer', lb.id), undefined);
  });

  withStore('filters, tags, sorting and markers in both directions', async (store) => {
    const lbs = ['e', 'a', 'd', 'b', 'c'].map((n, i) => loadBalancer({
      name: n, tags: i % 2 ? ['odd', 'x'] : ['even'], createdAt: `2026-01-01T00:00:0${i}.000`,
    }));
    await store.transaction(async (tx) => { for (const lb of lbs) await tx.insert('loadbalancer', lb); });
    const names = (xs: LoadBalancer[]): string => xs.map((x) => x.name).join('');
    assert.equal(names(await store.list('loadbalancer')), 'eadbc', 'default order is created_at, id');
    assert.equal(names(await store.list('loadbalancer', { sort: [{ key: 'name', dir: 'asc' }] })), 'abcde');
    assert.equal(names(await store.list('loadbalancer', { sort: [{ key: 'name', dir: 'desc' }], limit: 2 })), 'ed');
    const b = lbs.find((x) => x.name === 'b')!;
    assert.equal(names(await store.list('loadbalancer', { sort: [{ key: 'name', dir: 'asc' }], marker: b.id, limit: 2 })), 'cd');
    assert.equal(names(await store.list('loadbalancer', { sort: [{ key: 'name', dir: 'asc' }], marker: b.id, pageReverse: true })), 'a');
    assert.equal(names(await store.list('loadbalancer', { filters: { name: ['a', 'c'] } })), 'ac');
    assert.equal(names(await store.list('loadbalancer', { tags: { all: ['odd', 'x'] } })), 'ab');
    assert.equal(names(await store.list('loadbalancer', { tags: { any: ['even', 'nope'] } })), 'edc');
    assert.equal(names(await store.list('loadbalancer', { tags: { notAll: ['odd', 'x'] } })), 'edc');
    assert.equal(names(await store.list('loadbalancer', { tags: { notAny: ['odd'] } })), 'edc');
    assert.equal(names(await store.list('loadbalancer', { filters: { adminStateUp: [true] } })), 'eadbc');
    assert.equal(names(await store.list('loadbalancer', { filters: { vipQosPolicyId: [null] }, limit: 1 })), 'e');
  });

  withStore('generations: pending objects go ACTIVE only when their generation is applied', async (store) => {
    const lb = loadBalancer();
    const p = pool(lb.id);
    const g1 = await store.transaction(async (tx) => {
      await tx.insert('loadbalancer', lb);
      return tx.beginChange(lb.id, 'PENDING_CREATE', []);
    });
    assert.equal(g1, 1);
    assert.deepEqual(await store.pendingLoadBalancers(), [lb.id]);
    await store.recordApplied(lb.id, { generation: g1, ok: true });
    assert.equal((await store.get('loadbalancer', lb.id))?.provisioningStatus, 'ACTIVE');
    assert.deepEqual(await store.pendingLoadBalancers(), []);
    const g2 = await store.transaction(async (tx) => {
      await tx.insert('pool', p);
      return tx.beginChange(lb.id, 'PENDING_UPDATE', [{ kind: 'pool', id: p.id, status: 'PENDING_CREATE' }]);
    });
    assert.equal(g2, 2);
    await store.recordApplied(lb.id, { generation: g1, ok: true });
    assert.equal((await store.get('pool', p.id))?.provisioningStatus, 'PENDING_CREATE', 'an older apply leaves newer changes pending');
    await store.recordApplied(lb.id, { generation: g2, ok: true, operating: [{ kind: 'pool', id: p.id, status: 'ONLINE' }] });
    const after = await store.get('pool', p.id);
    assert.equal(after?.provisioningStatus, 'ACTIVE');
    assert.equal(after?.operatingStatus, 'ONLINE');
    assert.equal((await store.get('loadbalancer', lb.id))?.appliedGeneration, 2);
    const graph = await store.loadGraph(lb.id);
    assert.equal(graph?.pools.length, 1);
  });

  withStore('a failed apply puts the changed objects in ERROR and keeps the load balancer ACTIVE', async (store) => {
    const lb = loadBalancer({ provisioningStatus: 'ACTIVE' });
    const p = pool(lb.id);
    const g = await store.transaction(async (tx) => {
      await tx.insert('loadbalancer', lb);
      await tx.insert('pool', p);
      return tx.beginChange(lb.id, 'PENDING_UPDATE', [{ kind: 'pool', id: p.id, status: 'PENDING_CREATE' }]);
    });
    await store.recordApplied(lb.id, { generation: g, ok: false });
    assert.equal((await store.get('pool', p.id))?.provisioningStatus, 'ERROR');
    assert.equal((await store.get('loadbalancer', lb.id))?.provisioningStatus, 'ACTIVE');
  });

  withStore('deletes: PENDING_DELETE rows vanish once applied, with the VIP port Fulcrum made', async (store) => {
    const net = network();
    const sub = subnet(net.id);
    const lb = loadBalancer({ provisioningStatus: 'ACTIVE' });
    const portId = newId<'Port'>();
    const p = pool(lb.id);
    const m = member(p, '10.0.0.9');
    await store.transaction(async (tx) => {
      await tx.insert('network', net);
      await tx.insert('subnet', sub);
      await tx.insert('port', {
        id: portId as never, networkId: net.id, projectId: PROJECT, name: '', description: '', adminStateUp: true,
        macAddress: 'fa:16:3e:00:00:01', fixedIps: [{ subnetId: sub.id, ipAddress: '10.0.0.5' }], deviceOwner: 'Octavia',
        deviceId: lb.id, status: 'DOWN', tags: [], createdAt: '2026-01-01T00:00:00.000', updatedAt: null,
      });
      await tx.allocateAddress(sub.id, '10.0.0.5', portId);
      await tx.insert('loadbalancer', { ...lb, vipPortId: portId as never });
      await tx.insert('pool', p);
      await tx.insert('member', m);
    });
    const g = await store.transaction((tx) => tx.beginChange(lb.id, 'PENDING_UPDATE', [{ kind: 'member', id: m.id, status: 'PENDING_DELETE' }]));
    assert.equal((await store.loadGraph(lb.id))?.members.length, 0, 'the desired graph leaves deleted members out');
    await store.recordApplied(lb.id, { generation: g, ok: true });
    assert.equal(await store.get('member', m.id), undefined);
    const g2 = await store.transaction((tx) => tx.beginChange(lb.id, 'PENDING_DELETE', [{ kind: 'pool', id: p.id, status: 'PENDING_DELETE' }]));
    await store.recordApplied(lb.id, { generation: g2, ok: true });
    assert.equal(await store.get('loadbalancer', lb.id), undefined);
    assert.equal(await store.get('pool', p.id), undefined);
    assert.equal(await store.get('port', portId), undefined);
    assert.equal((await store.allocatedAddresses(sub.id)).size, 0);
  });

  withStore('L7 policies and rules round-trip, join the graph in position order, and go with their listener and load balancer', async (store) => {
    const lb = loadBalancer({ provisioningStatus: 'ACTIVE' });
    const p = pool(lb.id);
    const l = listener(lb.id, p.id);
    const second = l7policy(l, 2, p.id);
    const first = { ...l7policy(l, 1, p.id), action: 'REDIRECT_TO_URL' as const, redirectPoolId: null, redirectUrl: "http://x/'a b'", redirectHttpCode: 301 as const };
    const rules = [l7rule(first, "it's \"#\\ %["), l7rule(second, 'v')];
    await store.transaction(async (tx) => {
      await tx.insert('loadbalancer', lb);
      await tx.insert('pool', p);
      await tx.insert('listener', l);
      await tx.insert('l7policy', second);
      await tx.insert('l7policy', first);
      for (const r of rules) await tx.insert('l7rule', r);
    });
    assert.deepEqual(await store.get('l7policy', first.id), first);
    assert.deepEqual(await store.get('l7rule', rules[0]!.id), rules[0]);
    const graph = await store.loadGraph(lb.id);
    assert.deepEqual(graph?.l7Policies.map((x) => x.id), [first.id, second.id]);
    assert.equal(graph?.l7Rules.length, 2);
    assert.deepEqual(await store.list('l7policy', { filters: { redirectPoolId: [p.id] } }), [second]);
    const g = await store.transaction((tx) => tx.beginChange(lb.id, 'PENDING_UPDATE', [
      { kind: 'l7rule', id: rules[1]!.id, status: 'PENDING_DELETE' }, { kind: 'l7policy', id: second.id, status: 'PENDING_DELETE' },
    ]));
    assert.deepEqual((await store.loadGraph(lb.id))?.l7Policies.map((x) => x.id), [first.id], 'departing policies leave the graph');
    await store.recordApplied(lb.id, { generation: g, ok: true, operating: [{ kind: 'l7policy', id: first.id, status: 'ONLINE' }] });
    assert.equal(await store.get('l7policy', second.id), undefined);
    assert.equal((await store.get('l7policy', first.id))?.operatingStatus, 'ONLINE');
    // A load balancer's delete removes its listeners' policies and rules first (foreign keys).
    const g2 = await store.transaction((tx) => tx.beginChange(lb.id, 'PENDING_DELETE', []));
    await store.recordApplied(lb.id, { generation: g2, ok: true });
    assert.equal(await store.get('l7rule', rules[0]!.id), undefined);
    assert.equal(await store.get('listener', l.id), undefined);
  });

  withStore('a duplicate is a unique violation, in either dialect', async (store) => {
    const lb = loadBalancer();
    const p = pool(lb.id);
    await store.transaction(async (tx) => {
      await tx.insert('loadbalancer', lb);
      await tx.insert('pool', p);
      await tx.insert('member', member(p, '10.0.0.7'));
    });
    await assert.rejects(
      store.transaction((tx) => tx.insert('member', member(p, '10.0.0.7'))),
      (err: unknown) => isUniqueViolation(err),
    );
  });

  withStore('concurrent changes to one load balancer are serialised by its lock', async (store) => {
    const lb = loadBalancer();
    await store.transaction((tx) => tx.insert('loadbalancer', lb));
    const change = (): Promise<number> => store.transaction(async (tx) => {
      await tx.lockLoadBalancer(lb.id);
      await new Promise((r) => setTimeout(r, 20));
      return tx.beginChange(lb.id, 'PENDING_UPDATE', []);
    });
    const gens = await Promise.all([change(), change(), change()]);
    assert.deepEqual([...gens].sort(), [1, 2, 3]);
  });

  withStore('subscribers hear of committed changes, not of rolled-back ones', async (store) => {
    const heard: string[] = [];
    const unsubscribe = await store.subscribe((id) => heard.push(id));
    try {
      const lb = loadBalancer();
      const other = loadBalancer();
      await store.transaction(async (tx) => {
        await tx.insert('loadbalancer', lb);
        await tx.insert('loadbalancer', other);
      });
      await store.transaction((tx) => tx.beginChange(lb.id, 'PENDING_CREATE', []));
      await store.transaction(async (tx) => {
        await tx.beginChange(other.id, 'PENDING_CREATE', []);
        throw new Error('rollback');
      }).catch(() => undefined);
      const deadline = Date.now() + 2000;
      while (!heard.includes(lb.id) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
      await new Promise((r) => setTimeout(r, 50));
      assert.deepEqual(heard, [lb.id]);
    } finally {
      await unsubscribe();
    }
  });

  withStore('watchers hear each committed status change once, with the statuses before, in commit order', async (store) => {
    const heard: CommittedEvent[] = [];
    const stop = store.watch((events) => heard.push(...events));
    const brief = (): string[] => heard.splice(0).map((e) => e.type === 'stats'
      ? `stats ${e.loadBalancerId === lb.id ? 'lb' : '?'} ${e.total.bytesIn}`
      : `${e.kind} ${e.previous ? `${e.previous.provisioningStatus}/${e.previous.operatingStatus}` : 'new'} → ${e.provisioningStatus}/${e.operatingStatus}`);
    const lb = loadBalancer();
    const p = pool(lb.id);
    const g1 = await store.transaction(async (tx) => {
      await tx.insert('loadbalancer', lb);
      await tx.insert('pool', p);
      return tx.beginChange(lb.id, 'PENDING_CREATE', [{ kind: 'pool', id: p.id, status: 'PENDING_CREATE' }]);
    });
    assert.deepEqual(brief(), ['loadbalancer new → PENDING_CREATE/OFFLINE', 'pool new → PENDING_CREATE/OFFLINE']);
    await store.transaction(async (tx) => {
      await tx.beginChange(lb.id, 'PENDING_UPDATE', []);
      throw new Error('rollback');
    }).catch(() => undefined);
    assert.deepEqual(brief(), [], 'nothing of a rolled-back transaction');
    await store.recordApplied(lb.id, { generation: g1, ok: true, operating: [{ kind: 'pool', id: p.id, status: 'ONLINE' }, { kind: 'loadbalancer', id: lb.id, status: 'ONLINE' }] });
    assert.deepEqual(brief(), ['pool PENDING_CREATE/OFFLINE → ACTIVE/ONLINE', 'loadbalancer PENDING_CREATE/OFFLINE → ACTIVE/ONLINE'], 'children first: the load balancer ACTIVE means all of it is');
    await store.recordOperating(lb.id, [{ kind: 'pool', id: p.id, status: 'ONLINE' }]);
    assert.deepEqual(brief(), [], 'an unchanged status is no change');
    await store.recordOperating(lb.id, [{ kind: 'pool', id: p.id, status: 'DEGRADED' }]);
    const [change] = heard;
    assert.ok(change?.type === 'status');
    assert.deepEqual({ ...change, previous: null }, {
      type: 'status', kind: 'pool', id: p.id, loadBalancerId: lb.id, poolId: null, projectId: PROJECT, name: 'pool',
      provisioningStatus: 'ACTIVE', operatingStatus: 'DEGRADED', previous: null,
    });
    assert.deepEqual(brief(), ['pool ACTIVE/ONLINE → ACTIVE/DEGRADED']);
    await store.recordCounters(lb.id, 'w1', new Map([['l1', { bytesIn: 7, bytesOut: 1, activeConnections: 0, totalConnections: 1, requestErrors: 0 }]]));
    assert.deepEqual(brief(), ['stats lb 7']);
    // Concurrent writes (committed in any order): each heard once, in commit order, so each one's
    // previous status is the one heard before it, and the last is what the store holds.
    await Promise.all((['ONLINE', 'ERROR', 'OFFLINE'] as const).map((st) => store.recordOperating(lb.id, [{ kind: 'pool', id: p.id, status: st }])));
    const chain = heard.splice(0).map((e) => (e.type === 'status' ? `${e.previous?.operatingStatus}→${e.operatingStatus}` : 'stats'));
    assert.equal(chain.length, 3, chain.join(' '));
    chain.reduce((prev, link) => {
      assert.equal(link.split('→')[0], prev, chain.join(' '));
      return link.split('→')[1]!;
    }, 'DEGRADED');
    assert.equal(chain[2]!.split('→')[1], (await store.get('pool', p.id))?.operatingStatus);
    await store.recordOperating(lb.id, [{ kind: 'pool', id: p.id, status: 'ONLINE' }]);
    heard.length = 0;
    const g2 = await store.transaction((tx) => tx.beginChange(lb.id, 'PENDING_DELETE', [{ kind: 'pool', id: p.id, status: 'PENDING_DELETE' }]));
    assert.deepEqual(brief(), ['loadbalancer ACTIVE/ONLINE → PENDING_DELETE/ONLINE', 'pool ACTIVE/ONLINE → PENDING_DELETE/ONLINE']);
    stop();
    await store.recordOperating(lb.id, [{ kind: 'pool', id: p.id, status: 'OFFLINE' }]);
    assert.deepEqual(brief(), [], 'a stopped watcher hears nothing');
    const again = store.watch((events) => heard.push(...events));
    await store.recordApplied(lb.id, { generation: g2, ok: true });
    assert.deepEqual(brief(), ['pool PENDING_DELETE/OFFLINE → DELETED/OFFLINE', 'loadbalancer PENDING_DELETE/ONLINE → DELETED/ONLINE']);
    again();
  });

  withStore('counters grow by deltas within a process, by whole samples across processes, and survive reopening', async (store, reopen) => {
    const lb = loadBalancer();
    await store.transaction((tx) => tx.insert('loadbalancer', lb));
    const s = { bytesIn: 10, bytesOut: 20, activeConnections: 3, totalConnections: 4, requestErrors: 1 };
    await store.recordCounters(lb.id, 'w1', new Map([['l1', s], ['l2', s]]));
    await store.recordCounters(lb.id, 'w1', new Map([['l1', s]])); // the same sample again adds nothing
    await store.recordCounters(lb.id, 'w1', new Map([['l1', { ...s, bytesIn: 15, activeConnections: 1 }]]));
    assert.deepEqual(await store.stats('listener', 'l1'), { bytesIn: 15, bytesOut: 20, activeConnections: 1, totalConnections: 4, requestErrors: 1 });
    // A reload: the new worker counts from zero; its whole sample is new traffic.
    await store.recordCounters(lb.id, 'w2', new Map([['l1', { ...s, bytesIn: 2, activeConnections: 0 }]]));
    assert.deepEqual(await store.stats('listener', 'l1'), { bytesIn: 17, bytesOut: 40, activeConnections: 0, totalConnections: 8, requestErrors: 2 });
    const again = await reopen();
    await again.recordCounters(lb.id, 'w2', new Map([['l1', { ...s, bytesIn: 5, activeConnections: 0 }]]));
    assert.deepEqual(await again.stats('loadbalancer', lb.id), { bytesIn: 30, bytesOut: 60, activeConnections: 3, totalConnections: 12, requestErrors: 3 });
  });

  withStore('agents register once per host, heartbeat by the database clock, and keep their admin state across restarts', async (store) => {
    const a = await store.registerAgent('node-1', { tunnel_ip: '10.0.0.1' });
    assert.equal(a.host, 'node-1');
    assert.equal(a.adminStateUp, true);
    assert.deepEqual(a.configurations, { tunnel_ip: '10.0.0.1' });
    assert.ok(a.heartbeatAgeMs >= 0 && a.heartbeatAgeMs < 60_000);
    await store.transaction(async (tx) => assert.equal(await tx.updateAgent(a.id, { adminStateUp: false, description: 'maintenance' }), true));
    await new Promise((r) => setTimeout(r, 30));
    const [aged] = await store.listAgents();
    assert.ok(aged!.heartbeatAgeMs >= 20, `heartbeat age ${aged!.heartbeatAgeMs} grows with the database clock`);
    assert.equal(await store.heartbeatAgent(a.id), true);
    const [beat] = await store.listAgents();
    assert.ok(beat!.heartbeatAgeMs < aged!.heartbeatAgeMs);
    // A restart: same id, admin state and description kept, configurations replaced.
    const again = await store.registerAgent('node-1', { tunnel_ip: '10.0.0.9' });
    assert.equal(again.id, a.id);
    assert.equal(again.adminStateUp, false);
    assert.equal(again.description, 'maintenance');
    assert.deepEqual(again.configurations, { tunnel_ip: '10.0.0.9' });
    assert.equal(await store.heartbeatAgent('no-such-agent'), false);
    await store.transaction((tx) => tx.updateAgent('no-such-agent', { adminStateUp: true }).then((found) => assert.equal(found, false)));
  });

  withStore('a load balancer has one agent per role: placing it again moves it; its removal removes the placement', async (store) => {
    const a = await store.registerAgent('node-a', {});
    const b = await store.registerAgent('node-b', {});
    const lb = loadBalancer();
    const other = loadBalancer();
    await store.transaction(async (tx) => {
      await tx.insert('loadbalancer', lb);
      await tx.insert('loadbalancer', other);
      await tx.place(lb.id, 'STANDALONE', a.id);
    });
    assert.deepEqual((await store.placementsOf(lb.id)).map((p) => p.agentId), [a.id]);
    assert.deepEqual(await store.allLoadBalancerIds(a.id), [lb.id]);
    assert.deepEqual(await store.allLoadBalancerIds(b.id), []);
    assert.deepEqual(await store.pendingLoadBalancers(a.id), [lb.id]);
    const rows = await store.placements();
    assert.deepEqual(rows.map((r) => [r.loadBalancerId, r.agentId]).sort(), [[lb.id, a.id], [other.id, null]].sort());
    await store.transaction((tx) => tx.place(lb.id, 'STANDALONE', b.id));
    assert.deepEqual((await store.placementsOf(lb.id)).map((p) => [p.role, p.agentId]), [['STANDALONE', b.id]]);
    assert.deepEqual((await store.listAgents()).map((x) => [x.host, x.loadBalancerIds]), [['node-a', []], ['node-b', [lb.id]]]);
    // Two roles (an active/standby pair later) are two rows, on two agents.
    await store.transaction((tx) => tx.place(other.id, 'MASTER', a.id).then(() => tx.place(other.id, 'BACKUP', b.id)));
    assert.deepEqual((await store.placementsOf(other.id)).map((p) => [p.role, p.agentId]), [['BACKUP', b.id], ['MASTER', a.id]]);
    await store.transaction(async (tx) => tx.beginChange(lb.id, 'PENDING_DELETE', []));
    const g = (await store.get('loadbalancer', lb.id))!.generation;
    await store.recordApplied(lb.id, { generation: g, ok: true });
    assert.equal(await store.get('loadbalancer', lb.id), undefined);
    assert.deepEqual(await store.placementsOf(lb.id), []);
  });
}
