/** @module drivers/nftables/render.test — golden files checked with `nft -c`, weights, health, persistence and refusals of the UDP ruleset renderer. */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { FulcrumError } from '../../domain/errors.js';
import type { Base, HealthMonitor, Listener, LoadBalancer, LoadBalancerGraph, Member, Pool } from '../../domain/model.js';
import { run } from '../sys/exec.js';
import { renderUdpRuleset, usableMembers, type UdpRenderState } from './render.js';

const TESTDATA = fileURLToPath(new URL('../../../../src/drivers/nftables/testdata/', import.meta.url));
const LB = 'c3d947b7-5f3b-4a16-96f1-20b989451ec2';
const uid = (n: number): string => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const [L1, L2, P1, P2, H1] = [uid(1), uid(2), uid(11), uid(12), uid(21)];

function base(): Base {
  return {
    projectId: 'p', name: 'x; flush ruleset', description: '} table ip evil {', adminStateUp: true,
    provisioningStatus: 'ACTIVE', operatingStatus: 'ONLINE', tags: [], createdAt: '2024-01-01T00:00:00', updatedAt: null,
  };
}
const listener = (id: string, over: Partial<Listener> = {}): Listener => ({
  ...base(), id: id as Listener['id'], loadBalancerId: LB as Listener['loadBalancerId'], protocol: 'UDP', protocolPort: 53,
  connectionLimit: -1, defaultPoolId: null, defaultTlsContainerRef: null, sniContainerRefs: [], insertHeaders: {},
  timeoutClientData: 50000, timeoutMemberConnect: 5000, timeoutMemberData: 50000, timeoutTcpInspect: 0,
  clientCaTlsContainerRef: null, clientAuthentication: 'NONE', clientCrlContainerRef: null, allowedCidrs: null,
  tlsCiphers: null, tlsVersions: null, alpnProtocols: null, hstsMaxAge: null, hstsIncludeSubdomains: false, hstsPreload: false, ...over,
});
const pool = (id: string, over: Partial<Pool> = {}): Pool => ({
  ...base(), id: id as Pool['id'], loadBalancerId: LB as Pool['loadBalancerId'], protocol: 'UDP', lbAlgorithm: 'ROUND_ROBIN',
  sessionPersistence: null, tlsContainerRef: null, caTlsContainerRef: null, crlContainerRef: null, tlsEnabled: false,
  tlsCiphers: null, tlsVersions: null, alpnProtocols: null, ...over,
});
const member = (n: number, poolId: string, over: Partial<Member> = {}): Member => ({
  ...base(), id: uid(100 + n) as Member['id'], poolId: poolId as Member['poolId'], loadBalancerId: LB as Member['loadBalancerId'],
  address: `10.93.48.${n}`, protocolPort: 53, weight: 1, backup: false, subnetId: null, monitorAddress: null, monitorPort: null, ...over,
});
const monitor = (poolId: string, over: Partial<HealthMonitor> = {}): HealthMonitor => ({
  ...base(), id: H1 as HealthMonitor['id'], poolId: poolId as HealthMonitor['poolId'], loadBalancerId: LB as HealthMonitor['loadBalancerId'],
  type: 'UDP-CONNECT', delay: 5, timeout: 3, maxRetries: 2, maxRetriesDown: 2, httpMethod: null, urlPath: null, expectedCodes: null,
  httpVersion: null, domainName: null, ...over,
});
function graph(parts: Partial<Omit<LoadBalancerGraph, 'loadBalancer'>> & { vip?: string }): LoadBalancerGraph {
  const loadBalancer: LoadBalancer = {
    ...base(), id: LB as LoadBalancer['id'], vipAddress: parts.vip ?? '10.115.54.7', vipPortId: null, vipSubnetId: null,
    vipNetworkId: null, vipQosPolicyId: null, provider: 'haproxy', flavorId: null, availabilityZone: null, generation: 1, appliedGeneration: 0,
  };
  return {
    loadBalancer, listeners: parts.listeners ?? [], pools: parts.pools ?? [], members: parts.members ?? [],
    healthMonitors: parts.healthMonitors ?? [], l7Policies: [], l7Rules: [], vipPort: null, memberPorts: [], subnets: [], networks: [],
  };
}
const state = (over: Partial<UdpRenderState> = {}): UdpRenderState => ({ health: new Map(), counters: new Map(), epoch: 4242, ...over });

/** Weighted round robin with a monitor (member 3 down), a backup; and a SOURCE_IP pool with persistence and an HTTP listener beside. */
function mixed(): { g: LoadBalancerGraph; s: UdpRenderState } {
  const g = graph({
    listeners: [
      listener(L1, { defaultPoolId: P1 as Listener['defaultPoolId'] }),
      listener(L2, { protocolPort: 5060, defaultPoolId: P2 as Listener['defaultPoolId'] }),
      listener(uid(3), { protocol: 'HTTP', protocolPort: 80 }),
    ],
    pools: [pool(P1), pool(P2, { lbAlgorithm: 'SOURCE_IP', sessionPersistence: { type: 'SOURCE_IP', cookieName: null, persistenceTimeout: 60, persistenceGranularity: '255.255.255.0' } })],
    members: [
      member(1, P1, { weight: 3 }), member(2, P1), member(3, P1, { weight: 5 }), member(4, P1, { backup: true }),
      member(5, P1, { adminStateUp: false }), member(6, P1, { weight: 0 }), member(7, P2, { protocolPort: 5060 }), member(8, P2, { protocolPort: 5060 }),
    ],
    healthMonitors: [monitor(P1)],
  });
  const counters = new Map([[`flows_${L1.replace(/-/g, '_')}`, { packets: 17, bytes: 1234 }]]);
  return { g, s: state({ health: new Map([[uid(103), false]]), counters }) };
}

const SCENES: Record<string, () => { g: LoadBalancerGraph; s: UdpRenderState }> = {
  'mixed.nft': mixed,
  'no-members.nft': () => ({ g: graph({ listeners: [listener(L1, { defaultPoolId: P1 as Listener['defaultPoolId'] })], pools: [pool(P1)], members: [member(1, P1, { adminStateUp: false })] }), s: state() }),
  'disabled-listener.nft': () => ({ g: graph({ listeners: [listener(L1, { adminStateUp: false })] }), s: state() }),
  'none.nft': () => ({ g: graph({ listeners: [listener(L1, { protocol: 'HTTP' })] }), s: state() }),
};

let ns = '';
before(async () => {
  ns = `nftc${randomBytes(3).toString('hex')}`;
  await run(['ip', 'netns', 'add', ns]);
});
after(async () => {
  if (ns) await run(['ip', 'netns', 'del', ns], { allowFailure: true });
});

describe('renderUdpRuleset golden files', () => {
  for (const [name, scene] of Object.entries(SCENES)) {
    test(`${name}: matches its golden file, and nft accepts it (nft -c in a namespace of the test's own)`, async () => {
      const { g, s } = scene();
      const text = renderUdpRuleset(g, s);
      const file = `${TESTDATA}${name}`;
      if (process.env['UPDATE_GOLDEN'] === '1') writeFileSync(file, text);
      assert.equal(text, readFileSync(file, 'utf8'));
      assert.equal(renderUdpRuleset(g, s), text, 'deterministic');
      const r = await run(['ip', 'netns', 'exec', ns, 'nft', '-c', '-f', '-'], { input: text, allowFailure: true });
      assert.equal(r.code, 0, r.stderr);
    });
  }
});

test('weights are ranges of the modulus; a down, disabled or weight-0 member is left out; backups only when no other is usable', () => {
  const { g, s } = mixed();
  const text = renderUdpRuleset(g, s);
  assert.match(text, /numgen inc mod 4 map \{ 0-2 : 10\.93\.48\.1 \. 53, 3 : 10\.93\.48\.2 \. 53 \}/);
  assert.doesNotMatch(text, /10\.93\.48\.[3456] /);
  assert.match(text, /jhash ip saddr mod 2 map/);
  assert.match(text, /ip saddr and 255\.255\.255\.0 timeout 60s : ip daddr \. udp dport/);
  assert.match(text, /counter flows_00000000_0000_4000_8000_000000000001 \{ packets 17 bytes 1234 \}/, 'counters carried');
  assert.doesNotMatch(text, /flush|evil/, 'names and descriptions are never written');
  const p = g.pools[0]!;
  const m = monitorOf(g);
  assert.deepEqual(usableMembers(p, g.members, m, new Map([[uid(101), false], [uid(102), false]])).map((x) => x.address), ['10.93.48.3']);
  assert.deepEqual(usableMembers(p, g.members, m, new Map([[uid(101), false], [uid(102), false], [uid(103), false]])).map((x) => x.address), ['10.93.48.4'], 'the backup');
});
const monitorOf = (g: LoadBalancerGraph) => g.healthMonitors[0];

test('values that cannot be written safely are refused; what UDP here cannot do is UNSUPPORTED_OPTION', () => {
  const code = (c: string) => (err: unknown) => err instanceof FulcrumError && err.code === c;
  const one = (over: { l?: Partial<Listener>; p?: Partial<Pool>; m?: Partial<Member>; vip?: string; id?: string }) => graph({
    vip: over.vip ?? '10.115.54.7',
    listeners: [listener(over.id ?? L1, { defaultPoolId: P1 as Listener['defaultPoolId'], ...over.l })],
    pools: [pool(P1, over.p)], members: [member(1, P1, over.m)],
  });
  assert.throws(() => renderUdpRuleset(one({ m: { address: '10.0.0.1 . 53 } ; flush ruleset ; {' } }), state()), code('DRIVER_FAILED'));
  assert.throws(() => renderUdpRuleset(one({ m: { protocolPort: 0 } }), state()), code('DRIVER_FAILED'));
  assert.throws(() => renderUdpRuleset(one({ id: 'l1 { }' }), state()), code('DRIVER_FAILED'));
  assert.throws(() => renderUdpRuleset(one({ p: { sessionPersistence: { type: 'SOURCE_IP', cookieName: null, persistenceTimeout: 5, persistenceGranularity: '255.0.255.0' } } }), state()), code('DRIVER_FAILED'));
  assert.throws(() => renderUdpRuleset(one({ m: { address: '2001:db8::1' } }), state()), code('UNSUPPORTED_OPTION'));
  assert.throws(() => renderUdpRuleset(one({ vip: '2001:db8::7' }), state()), code('UNSUPPORTED_OPTION'));
  assert.throws(() => renderUdpRuleset(one({ p: { lbAlgorithm: 'LEAST_CONNECTIONS' } }), state()), code('UNSUPPORTED_OPTION'));
  assert.throws(() => renderUdpRuleset(one({ l: { connectionLimit: 100 } }), state()), code('UNSUPPORTED_OPTION'));
});
