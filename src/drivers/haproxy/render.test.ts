/** @module drivers/haproxy/render.test — golden files, `haproxy -c`, injection and determinism of the config renderer. */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { FulcrumError } from '../../domain/errors.js';
import type {
  Base, HealthMonitor, L7Policy, L7Rule, Listener, LoadBalancer, LoadBalancerGraph, Member, Pool,
} from '../../domain/model.js';
import { run } from '../sys/exec.js';
import { aclTest, renderConfig, renderPingCheck, type HaproxyPaths, type RenderOptions } from './render.js';

import { withActiveStandby } from '../../../test/helpers/active-standby.js';

const TESTDATA = fileURLToPath(new URL('../../../../src/drivers/haproxy/testdata/', import.meta.url));
const GOLDEN_PATHS: HaproxyPaths = { statsSocket: '/run/fulcrum/lb/haproxy.sock', serverStateFile: '/run/fulcrum/lb/server-state' };
const tmp = mkdtempSync(join(tmpdir(), `fulcrum-render-${process.pid}-`));
after(() => rmSync(tmp, { recursive: true, force: true }));

// ---- graph factory ----------------------------------------------------------------------------

const uid = (n: number): string => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const LB = 'c3d947b7-5f3b-4a16-96f1-20b989451ec2';

function base(): Base {
  return {
    projectId: '5a8eb8f5010747c5898ba2b583eef2c0', name: '', description: '', adminStateUp: true,
    provisioningStatus: 'ACTIVE', operatingStatus: 'ONLINE', tags: [], createdAt: '2024-01-01T00:00:00', updatedAt: null,
  };
}

function listener(id: string, over: Partial<Listener> = {}): Listener {
  return {
    ...base(), id: id as Listener['id'], loadBalancerId: LB as Listener['loadBalancerId'], protocol: 'HTTP', protocolPort: 80,
    connectionLimit: -1, defaultPoolId: null, defaultTlsContainerRef: null, sniContainerRefs: [], insertHeaders: {},
    timeoutClientData: 50000, timeoutMemberConnect: 5000, timeoutMemberData: 50000, timeoutTcpInspect: 0,
    clientCaTlsContainerRef: null, clientAuthentication: 'NONE', clientCrlContainerRef: null, allowedCidrs: null,
    tlsCiphers: null, tlsVersions: null, alpnProtocols: null, hstsMaxAge: null, hstsIncludeSubdomains: false, hstsPreload: false, ...over,
  };
}

function pool(id: string, over: Partial<Pool> = {}): Pool {
  return {
    ...base(), id: id as Pool['id'], loadBalancerId: LB as Pool['loadBalancerId'], protocol: 'HTTP', lbAlgorithm: 'ROUND_ROBIN',
    sessionPersistence: null, tlsContainerRef: null, caTlsContainerRef: null, crlContainerRef: null, tlsEnabled: false,
    tlsCiphers: null, tlsVersions: null, alpnProtocols: null, ...over,
  };
}

function member(id: string, poolId: string, address: string, over: Partial<Member> = {}): Member {
  return {
    ...base(), id: id as Member['id'], poolId: poolId as Member['poolId'], loadBalancerId: LB as Member['loadBalancerId'],
    address, protocolPort: 80, weight: 1, backup: false, subnetId: null, monitorAddress: null, monitorPort: null, ...over,
  };
}

function monitor(id: string, poolId: string, over: Partial<HealthMonitor> = {}): HealthMonitor {
  return {
    ...base(), id: id as HealthMonitor['id'], poolId: poolId as HealthMonitor['poolId'],
    loadBalancerId: LB as HealthMonitor['loadBalancerId'], type: 'HTTP', delay: 5, timeout: 5, maxRetries: 3,
    maxRetriesDown: 3, httpMethod: 'GET', urlPath: '/', expectedCodes: '200', httpVersion: null, domainName: null, ...over,
  };
}

function policy(id: string, listenerId: string, position: number, over: Partial<L7Policy> = {}): L7Policy {
  return {
    ...base(), id: id as L7Policy['id'], listenerId: listenerId as L7Policy['listenerId'], loadBalancerId: LB as L7Policy['loadBalancerId'],
    action: 'REJECT', position, redirectPoolId: null, redirectUrl: null, redirectPrefix: null, redirectHttpCode: null, ...over,
  };
}

function rule(id: string, p: L7Policy, over: Partial<L7Rule> = {}): L7Rule {
  return {
    ...base(), id: id as L7Rule['id'], l7PolicyId: p.id, listenerId: p.listenerId, loadBalancerId: p.loadBalancerId,
    type: 'PATH', compareType: 'STARTS_WITH', key: null, value: '/', invert: false, ...over,
  };
}

function graph(parts: Partial<Omit<LoadBalancerGraph, 'loadBalancer'>> & { vip?: string; lb?: Partial<LoadBalancer> }): LoadBalancerGraph {
  const loadBalancer: LoadBalancer = {
    ...base(), id: LB as LoadBalancer['id'], vipAddress: parts.vip ?? '10.115.54.7', vipPortId: null, vipSubnetId: null,
    vipNetworkId: null, vipQosPolicyId: null, provider: 'fulcrum', flavorId: null, availabilityZone: null, generation: 1,
    appliedGeneration: 0, ...parts.lb,
  };
  return {
    loadBalancer, listeners: parts.listeners ?? [], pools: parts.pools ?? [], members: parts.members ?? [],
    healthMonitors: parts.healthMonitors ?? [], l7Policies: parts.l7Policies ?? [], l7Rules: parts.l7Rules ?? [],
    vipPort: null, memberPorts: [], subnets: [], networks: [],
  };
}

// ---- scenes -----------------------------------------------------------------------------------

const L1 = '8e913f9e-5f06-4be9-a155-179f6a423872';
const P1 = '88c3081d-3f19-4e16-97ed-3dbfabf34963';
const M1 = '6e6141a8-9774-4f43-b5c7-2743b4e8196b';
const M2 = 'a2b3f195-dff1-484c-b8fb-0e42914bd895';
const H1 = uid(901);

/** The seed's load balancer: HTTP :80, round robin over two web servers, HTTP monitor. */
function seedScene(): LoadBalancerGraph {
  return graph({
    listeners: [listener(L1, { defaultPoolId: P1 as Listener['defaultPoolId'] })],
    pools: [pool(P1)],
    members: [member(M1, P1, '10.115.54.11'), member(M2, P1, '10.115.54.12')],
    healthMonitors: [monitor(H1, P1)],
  });
}

/**
 * One HTTP listener with a default pool and a second pool, and an L7 policy of every action and a
 * rule of every type: what Octavia's `l7policy_macro` renders, plus the policies that render nothing
 * (disabled, no enabled rule, departing, redirecting to a disabled pool).
 */
function l7Scene(): LoadBalancerGraph {
  const L = uid(201);
  const [A, B, OFF] = [uid(202), uid(203), uid(204)];
  const api = policy(uid(211), L, 1, { action: 'REDIRECT_TO_POOL', redirectPoolId: B as Pool['id'] });
  const jpg = policy(uid(212), L, 2);
  const moved = policy(uid(213), L, 3, { action: 'REDIRECT_TO_URL', redirectUrl: "http://example.com/it's?a=1&b=%20#top", redirectHttpCode: 301 });
  const prefix = policy(uid(214), L, 4, { action: 'REDIRECT_PREFIX', redirectPrefix: 'https://example.org', redirectHttpCode: 302 });
  const beta = policy(uid(215), L, 5, { action: 'REDIRECT_TO_POOL', redirectPoolId: B as Pool['id'] });
  const regex = policy(uid(216), L, 6, { action: 'REDIRECT_TO_POOL', redirectPoolId: B as Pool['id'] });
  const ssl = policy(uid(217), L, 7);
  const disabled = policy(uid(218), L, 8, { adminStateUp: false });
  const noRules = policy(uid(219), L, 9);
  const departing = policy(uid(220), L, 10, { provisioningStatus: 'PENDING_DELETE' });
  const toOff = policy(uid(221), L, 11, { action: 'REDIRECT_TO_POOL', redirectPoolId: OFF as Pool['id'] });
  return graph({
    listeners: [listener(L, { defaultPoolId: A as Pool['id'] })],
    pools: [pool(A), pool(B), pool(OFF, { adminStateUp: false })],
    members: [member(uid(205), A, '10.0.20.5'), member(uid(206), B, '10.0.20.6'), member(uid(207), OFF, '10.0.20.7')],
    l7Policies: [toOff, departing, noRules, disabled, ssl, regex, beta, prefix, moved, jpg, api],
    l7Rules: [
      rule(uid(231), api, { value: '/api' }),
      rule(uid(232), jpg, { type: 'FILE_TYPE', compareType: 'EQUAL_TO', value: 'jpg' }),
      rule(uid(233), moved, { compareType: 'EQUAL_TO', value: '/old' }),
      rule(uid(234), prefix, { type: 'HOST_NAME', compareType: 'ENDS_WITH', value: '.example.net' }),
      rule(uid(235), beta, { type: 'HEADER', compareType: 'EQUAL_TO', key: 'X-Pool', value: '"b c"' }),
      rule(uid(236), beta, { type: 'COOKIE', compareType: 'CONTAINS', key: 'session', value: "be#ta'$x", invert: true, createdAt: '2024-01-01T00:00:01' }),
      rule(uid(237), regex, { compareType: 'REGEX', value: '^/v[0-9]+/(a|b) c\\.d$' }),
      rule(uid(238), ssl, { type: 'SSL_CONN_HAS_CERT', compareType: 'EQUAL_TO', value: 'TRUE', invert: true }),
      rule(uid(239), ssl, { type: 'SSL_DN_FIELD', compareType: 'STARTS_WITH', key: 'CN', value: 'client 1' }),
      rule(uid(240), disabled, { value: '/disabled' }),
      rule(uid(241), noRules, { value: '/rule-disabled', adminStateUp: false }),
      rule(uid(242), departing, { value: '/departing', provisioningStatus: 'PENDING_DELETE' }),
      rule(uid(243), toOff, { value: '/off' }),
      rule(uid(244), jpg, { type: 'HEADER', compareType: 'STARTS_WITH', key: "x-a#$%&*+.^_`|~", value: '-i' }),
    ],
  });
}

const SCENES: Record<string, { graph: () => LoadBalancerGraph; opts?: RenderOptions; paths?: HaproxyPaths }> = {
  l7: { graph: l7Scene },
  // ACTIVE_STANDBY (the BACKUP side): a peers section between the two sides' own addresses, this
  // side named by `localpeer`, and every stick table (SOURCE_IP, APP_COOKIE) replicated through it;
  // HTTP_COOKIE has no table (the cookie names the server).
  'active-standby': {
    graph: () => withActiveStandby(graph({
      listeners: [
        listener(uid(61), { defaultPoolId: uid(62) as Pool['id'] }),
        listener(uid(71), { protocolPort: 8080, defaultPoolId: uid(72) as Pool['id'] }),
        listener(uid(81), { protocolPort: 8081, defaultPoolId: uid(82) as Pool['id'] }),
      ],
      pools: [
        pool(uid(62), { sessionPersistence: { type: 'SOURCE_IP', cookieName: null, persistenceTimeout: null, persistenceGranularity: null } }),
        pool(uid(72), { sessionPersistence: { type: 'APP_COOKIE', cookieName: 'JSESSIONID', persistenceTimeout: null, persistenceGranularity: null } }),
        pool(uid(82), { sessionPersistence: { type: 'HTTP_COOKIE', cookieName: null, persistenceTimeout: null, persistenceGranularity: null } }),
      ],
      members: [member(uid(63), uid(62), '10.0.0.63'), member(uid(73), uid(72), '10.0.0.73'), member(uid(83), uid(82), '10.0.0.83')],
    }), 'BACKUP'),
  },
  seed: { graph: seedScene },
  'seed-l7-retries': { graph: seedScene, opts: { l7Retries: 'idempotent' } },
  'tcp-source-ip': {
    graph: () => graph({
      listeners: [listener(uid(1), { protocol: 'TCP', protocolPort: 3306, defaultPoolId: uid(2) as Pool['id'] })],
      pools: [pool(uid(2), {
        protocol: 'TCP', lbAlgorithm: 'LEAST_CONNECTIONS',
        sessionPersistence: { type: 'SOURCE_IP', cookieName: null, persistenceTimeout: 300, persistenceGranularity: null },
      })],
      members: [member(uid(4), uid(2), '10.0.0.4', { protocolPort: 3306 }), member(uid(3), uid(2), '10.0.0.3', { protocolPort: 3306 })],
      healthMonitors: [monitor(uid(5), uid(2), { type: 'TCP', delay: 2, timeout: 1, maxRetries: 2, maxRetriesDown: 4 })],
    }),
  },
  cookies: {
    graph: () => graph({
      listeners: [
        listener(uid(11), { defaultPoolId: uid(12) as Pool['id'] }),
        listener(uid(21), { protocolPort: 8080, defaultPoolId: uid(22) as Pool['id'] }),
      ],
      pools: [
        pool(uid(12), { sessionPersistence: { type: 'HTTP_COOKIE', cookieName: null, persistenceTimeout: null, persistenceGranularity: null } }),
        pool(uid(22), {
          lbAlgorithm: 'SOURCE_IP',
          sessionPersistence: { type: 'APP_COOKIE', cookieName: 'JSESSIONID', persistenceTimeout: null, persistenceGranularity: null },
        }),
      ],
      members: [member(uid(13), uid(12), '10.0.1.13'), member(uid(14), uid(12), '10.0.1.14'), member(uid(23), uid(22), '10.0.2.23')],
    }),
  },
  members: {
    graph: () => graph({
      listeners: [listener(uid(31), { defaultPoolId: uid(32) as Pool['id'] })],
      pools: [pool(uid(32))],
      members: [
        member(uid(33), uid(32), '10.0.3.33', { weight: 0 }),
        member(uid(34), uid(32), '10.0.3.34', { backup: true }),
        member(uid(35), uid(32), '10.0.3.35', { adminStateUp: false }),
        member(uid(36), uid(32), '10.0.3.36', { monitorAddress: '10.0.4.36', monitorPort: 8080, weight: 256 }),
      ],
      healthMonitors: [monitor(uid(37), uid(32), {
        httpMethod: 'HEAD', urlPath: '/healthz?full=1', expectedCodes: '200-204', httpVersion: 1.1, domainName: 'app.example.com',
        delay: 10, timeout: 3, maxRetries: 2, maxRetriesDown: 5,
      })],
    }),
  },
  limits: {
    graph: () => graph({
      listeners: [
        listener(uid(41), {
          connectionLimit: 1000, allowedCidrs: ['192.168.0.0/16', '10.0.0.0/8'], defaultPoolId: uid(42) as Pool['id'],
          insertHeaders: { 'X-Forwarded-For': 'true', 'X-Forwarded-Port': 'True', 'X-Forwarded-Proto': 'TRUE' },
          timeoutClientData: 30000, timeoutMemberConnect: 1000, timeoutMemberData: 60000,
        }),
        listener(uid(45), {
          protocol: 'TCP', protocolPort: 5000, connectionLimit: 0, timeoutTcpInspect: 500, allowedCidrs: [],
          insertHeaders: {}, defaultPoolId: uid(46) as Pool['id'], timeoutClientData: 0,
        }),
      ],
      pools: [pool(uid(42)), pool(uid(46), { protocol: 'TCP' })],
      members: [member(uid(43), uid(42), '10.0.5.43'), member(uid(47), uid(46), '10.0.5.47', { protocolPort: 5000 })],
    }),
  },
  algorithms: {
    paths: { ...GOLDEN_PATHS, pingCheck: '/run/fulcrum/ping-check' },
    graph: () => graph({
      listeners: [
        listener(uid(121), { defaultPoolId: uid(122) as Pool['id'] }),
        listener(uid(125), { protocol: 'TCP', protocolPort: 3306, defaultPoolId: uid(126) as Pool['id'] }),
        listener(uid(129), { protocol: 'HTTPS', protocolPort: 443, timeoutTcpInspect: 2000, defaultPoolId: uid(130) as Pool['id'] }),
      ],
      pools: [
        pool(uid(122), { lbAlgorithm: 'SOURCE_IP_PORT' }),
        pool(uid(126), { protocol: 'TCP', lbAlgorithm: 'SOURCE_IP_PORT' }),
        pool(uid(130), { protocol: 'HTTPS', lbAlgorithm: 'LEAST_CONNECTIONS' }),
      ],
      members: [
        member(uid(123), uid(122), '10.0.12.23'), member(uid(124), uid(122), '10.0.12.24', { backup: true }),
        member(uid(127), uid(126), '10.0.12.27', { protocolPort: 3306 }),
        member(uid(131), uid(130), '10.0.12.31', { protocolPort: 443 }),
      ],
      healthMonitors: [
        monitor(uid(128), uid(126), { type: 'PING', delay: 2, timeout: 1, maxRetries: 2, maxRetriesDown: 2, httpMethod: null, urlPath: null, expectedCodes: null }),
        monitor(uid(132), uid(130), { type: 'TLS-HELLO', httpMethod: null, urlPath: null, expectedCodes: null }),
      ],
    }),
  },
  'two-listeners': {
    graph: () => graph({
      // Ids sort the other way round from ports: the output follows the ports.
      listeners: [
        listener(uid(59), { protocolPort: 80, defaultPoolId: uid(58) as Pool['id'] }),
        listener(uid(51), { protocol: 'HTTPS', protocolPort: 443, defaultPoolId: uid(52) as Pool['id'] }),
      ],
      pools: [pool(uid(52), { protocol: 'HTTPS' }), pool(uid(58))],
      members: [member(uid(53), uid(52), '10.0.6.53', { protocolPort: 443 }), member(uid(57), uid(58), '10.0.6.57')],
      healthMonitors: [monitor(uid(54), uid(52), { type: 'HTTPS', urlPath: '/status', expectedCodes: '200,202' })],
    }),
  },
  'no-default-pool': {
    graph: () => graph({
      listeners: [listener(uid(61))],
      // A pool no listener uses as its default: it gets no backend.
      pools: [pool(uid(62))],
      members: [member(uid(63), uid(62), '10.0.7.63')],
    }),
  },
  'empty-pool': {
    graph: () => graph({
      listeners: [listener(uid(71), { defaultPoolId: uid(72) as Pool['id'] })],
      pools: [pool(uid(72))],
      healthMonitors: [monitor(uid(73), uid(72))],
    }),
  },
  ipv6: {
    graph: () => graph({
      vip: '2001:db8:0:0::7',
      listeners: [listener(uid(81), { protocol: 'TCP', protocolPort: 443, defaultPoolId: uid(82) as Pool['id'], allowedCidrs: ['2001:DB8::/32'] })],
      pools: [pool(uid(82), {
        protocol: 'TCP', sessionPersistence: { type: 'SOURCE_IP', cookieName: null, persistenceTimeout: null, persistenceGranularity: null },
      })],
      members: [
        member(uid(83), uid(82), '2001:db8:1::11', { protocolPort: 443, monitorAddress: '2001:db8:2::11', monitorPort: 8443 }),
        member(uid(84), uid(82), '2001:db8:1::12', { protocolPort: 443 }),
      ],
      healthMonitors: [monitor(uid(85), uid(82), { type: 'TCP' })],
    }),
  },
  // A flavor's maxconn (at its bound: the fd cap) and nbthread win over the host's maxconn option.
  flavor: {
    opts: { maxconn: 4000 },
    graph: () => ({
      ...graph({
        lb: { flavorId: uid(100) },
        listeners: [listener(uid(101), { defaultPoolId: uid(102) as Pool['id'] })],
        pools: [pool(uid(102))],
        members: [member(uid(103), uid(102), '10.0.10.103')],
      }),
      flavor: { loadbalancerTopology: 'SINGLE', maxconn: 9900, nbthread: 2 },
    }),
  },
  protocols: {
    opts: { hasPrometheusExporter: true, maxconn: 4000 },
    graph: () => graph({
      listeners: [
        listener(uid(91), { protocol: 'TCP', protocolPort: 25, defaultPoolId: uid(92) as Pool['id'] }),
        listener(uid(93), { protocol: 'TCP', protocolPort: 8443, defaultPoolId: uid(94) as Pool['id'], adminStateUp: false }),
        listener(uid(95), { protocol: 'PROMETHEUS', protocolPort: 9100 }),
      ],
      pools: [pool(uid(92), { protocol: 'PROXY' }), pool(uid(94), { protocol: 'PROXYV2' })],
      members: [member(uid(96), uid(92), '10.0.9.96', { protocolPort: 25 }), member(uid(97), uid(94), '10.0.9.97', { protocolPort: 443 })],
      healthMonitors: [monitor(uid(98), uid(94), { type: 'TLS-HELLO' })],
    }),
  },
};

// ---- helpers ----------------------------------------------------------------------------------

/** Runs `haproxy -c` on config text whose paths point into the temp dir; returns its output. */
async function haproxyCheck(text: string, name: string): Promise<{ code: number; out: string }> {
  const dir = mkdtempSync(join(tmp, 'c-'));
  const paths = { statsSocket: join(dir, 'haproxy.sock'), serverStateFile: join(dir, 'server-state') };
  writeFileSync(paths.serverStateFile, '1\n'); // an empty state file, version 1: no "can't open" warning
  const file = join(dir, `${name.replace(/[^\w-]/g, '_').slice(0, 40)}.cfg`);
  writeFileSync(file, text.replaceAll(GOLDEN_PATHS.statsSocket, paths.statsSocket)
    .replaceAll(GOLDEN_PATHS.serverStateFile, paths.serverStateFile));
  const r = await run(['haproxy', '-c', '-f', file], { allowFailure: true });
  return { code: r.code, out: `${r.stdout}${r.stderr}` };
}

async function assertHaproxyAccepts(text: string, name: string): Promise<void> {
  const r = await haproxyCheck(text, name);
  assert.equal(r.code, 0, `${name}: haproxy -c failed:\n${r.out}\n${text}`);
  assert.doesNotMatch(r.out, /\[(WARNING|ALERT)\]/, `${name}: haproxy -c complained:\n${r.out}`);
}

function assertFulcrumError(fn: () => unknown, code: string, field: string, object?: string): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof FulcrumError, `not a FulcrumError: ${String(e)}`);
    assert.equal(e.code, code, e.message);
    assert.equal(e.field, field, e.message);
    if (object !== undefined) assert.ok(e.message.includes(object), `message does not name ${object}: ${e.message}`);
    assert.doesNotMatch(e.message, /[\r\n\0]/);
    return true;
  });
}

/** The directive of each line: what an injected value must never change. */
const directives = (text: string): string[] => text.split('\n').map((l) => l.trim().split(' ')[0] ?? '');

// ---- tests ------------------------------------------------------------------------------------

describe('renderConfig golden files', () => {
  for (const [name, scene] of Object.entries(SCENES)) {
    test(`${name}.cfg matches and haproxy -c accepts it`, async () => {
      const text = renderConfig(scene.graph(), scene.paths ?? GOLDEN_PATHS, scene.opts);
      const file = join(TESTDATA, `${name}.cfg`);
      if (process.env['UPDATE_GOLDEN'] === '1') writeFileSync(file, text);
      const golden = readFileSync(file, 'utf8');
      assert.equal(text, golden);
      await assertHaproxyAccepts(golden, name);
    });
  }

  test('a flavor value out of its bounds is refused, naming the load balancer\'s flavor_id', () => {
    for (const flavor of [{ maxconn: 9901 }, { maxconn: 0 }, { nbthread: 65 }, { nbthread: 1.5 }]) {
      assertFulcrumError(() => renderConfig({ ...seedScene(), flavor }, GOLDEN_PATHS), 'VALIDATION', 'flavor_id', LB);
    }
  });

  test('the seed scene has the structure users expect', () => {
    const text = renderConfig(seedScene(), GOLDEN_PATHS);
    assert.match(text, new RegExp(`\nfrontend ${L1}\n    bind 10\\.115\\.54\\.7:80\n    mode http\n`));
    assert.match(text, new RegExp(`\n    default_backend ${P1}\n`));
    assert.match(text, new RegExp(`\nbackend ${P1}\n    mode http\n    balance roundrobin\n`));
    assert.match(text, new RegExp(`\n    server ${M1} 10\\.115\\.54\\.11:80 weight 1 check inter 5s fall 3 rise 3\n`));
    assert.match(text, /\n {4}http-check expect rstatus '\^\(200\)\$'\n/);
  });

  test('transparentBind (the netns driver) binds the VIP with `transparent`, so HAProxy may start before the address is up', () => {
    const text = renderConfig(seedScene(), GOLDEN_PATHS, { transparentBind: true });
    assert.match(text, new RegExp(`\nfrontend ${L1}\n    bind 10\\.115\\.54\\.7:80 transparent\n`));
    assert.doesNotMatch(renderConfig(seedScene(), GOLDEN_PATHS), /transparent/, 'not by default (the host driver is unprivileged)');
  });

  test('the prometheus exporter is built into this haproxy, so the protocols scene is real', async () => {
    const r = await run(['haproxy', '-vv']);
    assert.match(r.stdout, /Built with the Prometheus exporter as a service/);
  });
});

describe('renderConfig choices', () => {
  test('objects in PENDING_DELETE are not rendered', () => {
    const g = seedScene();
    const gone = { provisioningStatus: 'PENDING_DELETE' } as const;
    const withGone: LoadBalancerGraph = {
      ...g,
      listeners: [...g.listeners, listener(uid(101), { ...gone, protocolPort: 81, defaultPoolId: uid(102) as Pool['id'] })],
      pools: [...g.pools, pool(uid(102))],
      members: [...g.members, member(uid(103), P1, '10.115.54.13', gone)],
      healthMonitors: [monitor(H1, P1, gone), monitor(uid(104), P1)],
    };
    const text = renderConfig(withGone, GOLDEN_PATHS);
    assert.doesNotMatch(text, new RegExp(`${uid(101)}|${uid(102)}|${uid(103)}`));
    // The live monitor replaces the departing one; the result is the seed config again.
    assert.equal(text, renderConfig(g, GOLDEN_PATHS));
  });

  test('a disabled load balancer disables every frontend; a disabled pool loses its backend', () => {
    const g = seedScene();
    const lbDown = renderConfig({ ...g, loadBalancer: { ...g.loadBalancer, adminStateUp: false } }, GOLDEN_PATHS);
    assert.match(lbDown, new RegExp(`frontend ${L1}\n    disabled\n`));
    const poolDown = renderConfig({ ...g, pools: [pool(P1, { adminStateUp: false })] }, GOLDEN_PATHS);
    assert.doesNotMatch(poolDown, /default_backend|\nbackend /);
  });

  test('a disabled health monitor renders no checks', () => {
    const g = seedScene();
    const text = renderConfig({ ...g, healthMonitors: [monitor(H1, P1, { adminStateUp: false })] }, GOLDEN_PATHS);
    assert.doesNotMatch(text, /check inter|httpchk/);
  });

  test('unsupported protocols, algorithms and monitors throw UNSUPPORTED_OPTION naming the field', () => {
    const g = seedScene();
    const withListener = (over: Partial<Listener>): LoadBalancerGraph => ({ ...g, listeners: [listener(L1, over)] });
    for (const protocol of ['UDP', 'SCTP'] as const) {
      assertFulcrumError(() => renderConfig(withListener({ protocol }), GOLDEN_PATHS), 'UNSUPPORTED_OPTION', 'protocol', L1);
    }
    assertFulcrumError(() => renderConfig(withListener({ protocol: 'PROMETHEUS' }), GOLDEN_PATHS), 'UNSUPPORTED_OPTION', 'protocol', L1);
    // Pool TLS is supported (render-tls.test.ts), but needs the provider's certificate directory.
    assertFulcrumError(() => renderConfig({ ...g, pools: [pool(P1, { tlsEnabled: true })] }, GOLDEN_PATHS),
      'VALIDATION', 'tls_enabled', P1);
    // PING needs the provider's check program; without one it is refused.
    for (const type of ['PING', 'UDP-CONNECT', 'SCTP'] as const) {
      assertFulcrumError(() => renderConfig({ ...g, healthMonitors: [monitor(H1, P1, { type })] }, GOLDEN_PATHS),
        'UNSUPPORTED_OPTION', 'type', H1);
    }
  });

  test('inconsistent or impossible graphs throw VALIDATION naming the field', () => {
    const g = seedScene();
    const shared = { ...g, listeners: [...g.listeners, listener(uid(110), { protocolPort: 81, defaultPoolId: P1 as Pool['id'] })] };
    assertFulcrumError(() => renderConfig(shared, GOLDEN_PATHS), 'VALIDATION', 'default_pool_id', uid(110));
    assertFulcrumError(() => renderConfig({ ...g, pools: [] }, GOLDEN_PATHS), 'VALIDATION', 'default_pool_id', L1);
    assertFulcrumError(() => renderConfig({ ...g, healthMonitors: [monitor(H1, P1, { delay: 0 })] }, GOLDEN_PATHS), 'VALIDATION', 'delay', H1);
    const tcpCookie = {
      ...g,
      listeners: [listener(L1, { protocol: 'TCP', defaultPoolId: P1 as Pool['id'] })],
      pools: [pool(P1, { protocol: 'TCP', sessionPersistence: { type: 'HTTP_COOKIE', cookieName: null, persistenceTimeout: null, persistenceGranularity: null } })],
    } satisfies LoadBalancerGraph;
    assertFulcrumError(() => renderConfig(tcpCookie, GOLDEN_PATHS), 'VALIDATION', 'session_persistence', P1);
    assertFulcrumError(() => renderConfig({ ...g, listeners: [listener(L1, { protocolPort: 65536 })] }, GOLDEN_PATHS), 'VALIDATION', 'protocol_port', L1);
    assertFulcrumError(() => renderConfig({ ...g, members: [member(M1, P1, '10.0.0.1', { weight: 1.5 })] }, GOLDEN_PATHS), 'VALIDATION', 'weight', M1);
    assertFulcrumError(() => renderConfig(g, GOLDEN_PATHS, { maxconn: 0 }), 'VALIDATION', 'maxconn');
  });
});

describe('renderConfig injection', () => {
  const [PURL, PPFX, PHDR, RHDR, RREG, RPFX, RURL] = [uid(301), uid(302), uid(303), uid(304), uid(305), uid(306), uid(307)];

  /** A graph that renders every tenant string this renderer prints, L7 rule keys, values and redirect URLs included. */
  function target(): LoadBalancerGraph {
    const toUrl = policy(PURL, L1, 1, { action: 'REDIRECT_TO_URL', redirectUrl: 'http://example.com/x', redirectHttpCode: 302 });
    const toPrefix = policy(PPFX, L1, 2, { action: 'REDIRECT_PREFIX', redirectPrefix: 'https://example.org', redirectHttpCode: 308 });
    const byHeader = policy(PHDR, L1, 3);
    return graph({
      listeners: [listener(L1, {
        defaultPoolId: P1 as Pool['id'], allowedCidrs: ['10.0.0.0/8'], insertHeaders: { 'X-Forwarded-For': 'true' },
      })],
      pools: [pool(P1, { sessionPersistence: { type: 'APP_COOKIE', cookieName: 'SESSION', persistenceTimeout: null, persistenceGranularity: null } })],
      members: [member(M1, P1, '10.115.54.11', { monitorAddress: '10.115.55.11', monitorPort: 8080 })],
      healthMonitors: [monitor(H1, P1, { urlPath: '/health', expectedCodes: '200', httpVersion: 1.1, domainName: 'example.com' })],
      l7Policies: [toUrl, toPrefix, byHeader],
      l7Rules: [
        rule(RURL, toUrl, { value: '/old' }),
        rule(RPFX, toPrefix, { type: 'COOKIE', key: 'c', value: 'v' }),
        rule(RHDR, byHeader, { type: 'HEADER', compareType: 'EQUAL_TO', key: 'X-H', value: 'v' }),
        rule(RREG, byHeader, { compareType: 'REGEX', value: '^/r' }),
      ],
    });
  }

  const HOSTILE = [
    'x\nlisten evil', 'x\r\n    bind :1', 'x\r', 'x option httpclose', 'x # comment', 'x#y', 'x"y', "x'y", "x'\nlisten q'",
    'x\0y', 'x\\y', '${HOME}', 'x\ty', '', 'x'.repeat(100_000), 'é', 'x)y', 'x,y', '%[env(HOME)]', 'x" y', '-f /etc/passwd',
  ];

  type Inject = (g: LoadBalancerGraph, v: string) => { graph: LoadBalancerGraph; paths?: HaproxyPaths; opts?: RenderOptions };
  const with1 = <T>(xs: readonly T[], f: (x: T) => T): T[] => xs.map(f);
  const FIELDS: { field: string; object: string; prefix: string; inject: Inject }[] = [
    { field: 'cookie_name', object: P1, prefix: '', inject: (g, v) => ({ graph: { ...g, pools: with1(g.pools, (p) => ({ ...p, sessionPersistence: { ...p.sessionPersistence!, cookieName: v } })) } }) },
    { field: 'url_path', object: H1, prefix: '/', inject: (g, v) => ({ graph: { ...g, healthMonitors: with1(g.healthMonitors, (h) => ({ ...h, urlPath: v })) } }) },
    { field: 'expected_codes', object: H1, prefix: '200', inject: (g, v) => ({ graph: { ...g, healthMonitors: with1(g.healthMonitors, (h) => ({ ...h, expectedCodes: v })) } }) },
    { field: 'domain_name', object: H1, prefix: 'a.b', inject: (g, v) => ({ graph: { ...g, healthMonitors: with1(g.healthMonitors, (h) => ({ ...h, domainName: v })) } }) },
    { field: 'http_method', object: H1, prefix: 'GET', inject: (g, v) => ({ graph: { ...g, healthMonitors: with1(g.healthMonitors, (h) => ({ ...h, httpMethod: v as 'GET' })) } }) },
    { field: 'insert_headers', object: L1, prefix: 'true', inject: (g, v) => ({ graph: { ...g, listeners: with1(g.listeners, (l) => ({ ...l, insertHeaders: { 'X-Forwarded-For': v } })) } }) },
    { field: 'insert_headers', object: L1, prefix: 'X-Forwarded-For', inject: (g, v) => ({ graph: { ...g, listeners: with1(g.listeners, (l) => ({ ...l, insertHeaders: { [v]: 'true' } })) } }) },
    { field: 'allowed_cidrs', object: L1, prefix: '10.0.0.0/8', inject: (g, v) => ({ graph: { ...g, listeners: with1(g.listeners, (l) => ({ ...l, allowedCidrs: [v] })) } }) },
    { field: 'address', object: M1, prefix: '10.0.0.1', inject: (g, v) => ({ graph: { ...g, members: with1(g.members, (m) => ({ ...m, address: v })) } }) },
    { field: 'monitor_address', object: M1, prefix: '::1', inject: (g, v) => ({ graph: { ...g, members: with1(g.members, (m) => ({ ...m, monitorAddress: v })) } }) },
    { field: 'vip_address', object: LB, prefix: '10.115.54.7', inject: (g, v) => ({ graph: { ...g, loadBalancer: { ...g.loadBalancer, vipAddress: v } } }) },
    { field: 'id', object: 'Member', prefix: M1, inject: (g, v) => ({ graph: { ...g, members: with1(g.members, (m) => ({ ...m, id: v as Member['id'] })) } }) },
    { field: 'statsSocket', object: 'HAProxy paths', prefix: '/run/x', inject: (g, v) => ({ graph: g, paths: { ...GOLDEN_PATHS, statsSocket: v } }) },
    { field: 'bindAddress', object: 'Render options', prefix: '127.0.0.1', inject: (g, v) => ({ graph: g, opts: { bindAddress: v } }) },

    ...(['HEADER', 'PATH', 'REGEX', 'COOKIE'] as const).map((kind) => ({
      field: 'value', object: kind === 'HEADER' ? RHDR : kind === 'COOKIE' ? RPFX : kind === 'REGEX' ? RREG : RURL, prefix: kind === 'PATH' ? '/' : 'v',
      inject: ((g, v) => ({ graph: { ...g, l7Rules: with1(g.l7Rules, (r) => {
        const id = kind === 'HEADER' ? RHDR : kind === 'COOKIE' ? RPFX : kind === 'REGEX' ? RREG : RURL;
        return r.id === id ? { ...r, value: v } : r;
      }) } })) as Inject,
    })),
    { field: 'key', object: RHDR, prefix: 'X-H', inject: (g, v) => ({ graph: { ...g, l7Rules: with1(g.l7Rules, (r) => (r.id === RHDR ? { ...r, key: v } : r)) } }) },
    { field: 'key', object: RPFX, prefix: 'c', inject: (g, v) => ({ graph: { ...g, l7Rules: with1(g.l7Rules, (r) => (r.id === RPFX ? { ...r, key: v } : r)) } }) },
    { field: 'redirect_url', object: PURL, prefix: 'http://example.com/', inject: (g, v) => ({ graph: { ...g, l7Policies: with1(g.l7Policies, (p) => (p.id === PURL ? { ...p, redirectUrl: v } : p)) } }) },
    { field: 'redirect_prefix', object: PPFX, prefix: 'https://example.org', inject: (g, v) => ({ graph: { ...g, l7Policies: with1(g.l7Policies, (p) => (p.id === PPFX ? { ...p, redirectPrefix: v } : p)) } }) },
  ];

  test('every hostile value throws VALIDATION naming the field, or adds no line or directive', async () => {
    const baseline = renderConfig(target(), GOLDEN_PATHS);
    await assertHaproxyAccepts(baseline, 'injection-baseline');
    const rendered: { name: string; text: string }[] = [];
    let thrown = 0;
    for (const f of FIELDS) {
      for (const h of HOSTILE) {
        const value = `${f.prefix}${h}`;
        const { graph: g, paths = GOLDEN_PATHS, opts } = f.inject(target(), value);
        let text: string;
        try {
          text = renderConfig(g, paths, opts);
        } catch (e) {
          assertFulcrumError(() => { throw e; }, 'VALIDATION', f.field, f.object);
          thrown++;
          continue;
        }
        const name = `${f.field} ${JSON.stringify(value.slice(0, 30))}`;
        assert.deepEqual(directives(text), directives(baseline), `${name} changed the directives`);
        assert.doesNotMatch(text, /[\r\0]/, name);
        rendered.push({ name, text });
      }
    }
    // Both outcomes happen: quoting keeps some values (`'/x#y'`), validation refuses the rest.
    assert.ok(thrown > 0 && rendered.length > 0, `thrown ${thrown}, rendered ${rendered.length}`);
    for (const r of rendered) await assertHaproxyAccepts(r.text, r.name);
  });

  test('a quoted URL path reaches haproxy as one word', () => {
    const g = target();
    const text = renderConfig({ ...g, healthMonitors: [monitor(H1, P1, { urlPath: "/a'b#c$HOME" })] }, GOLDEN_PATHS);
    assert.match(text, / uri '\/a'\\''b#c\$HOME' ver HTTP\/1\.0\n/);
  });

  test('names, descriptions and tags never change the output', () => {
    const evil = { name: 'n\n    listen evil\n', description: "d'\r\n#\0", tags: ['t\nbind :1'] };
    for (const [sceneName, scene] of Object.entries(SCENES)) {
      const g = scene.graph();
      const dressed: LoadBalancerGraph = {
        ...g,
        loadBalancer: { ...g.loadBalancer, ...evil },
        listeners: g.listeners.map((x) => ({ ...x, ...evil })),
        pools: g.pools.map((x) => ({ ...x, ...evil })),
        members: g.members.map((x) => ({ ...x, ...evil })),
        healthMonitors: g.healthMonitors.map((x) => ({ ...x, ...evil })),
        l7Policies: g.l7Policies.map((x) => ({ ...x, ...evil })),
        l7Rules: g.l7Rules.map((x) => ({ ...x, ...evil })),
      };
      assert.equal(renderConfig(dressed, scene.paths ?? GOLDEN_PATHS, scene.opts), renderConfig(g, scene.paths ?? GOLDEN_PATHS, scene.opts), sceneName);
    }
  });
});

describe('renderPingCheck', () => {
  test('pings the member address, or the monitor_address of members of PING pools (by member ID); sh accepts it', async () => {
    const [L, P, Q] = [uid(301), uid(302), uid(303)];
    const g = graph({
      listeners: [listener(L, { protocol: 'TCP', defaultPoolId: P as Pool['id'] }), listener(uid(304), { protocol: 'TCP', protocolPort: 81, defaultPoolId: Q as Pool['id'] })],
      pools: [pool(P, { protocol: 'TCP' }), pool(Q, { protocol: 'TCP' })],
      members: [
        member(uid(312), P, '10.0.30.12', { monitorAddress: '2001:DB8::0:12' }),
        member(uid(311), P, '10.0.30.11', { monitorAddress: '10.0.31.11' }),
        member(uid(313), P, '10.0.30.13'),
        member(uid(314), P, '10.0.30.14', { monitorAddress: '10.0.31.14', provisioningStatus: 'PENDING_DELETE' }),
        member(uid(321), Q, '10.0.30.21', { monitorAddress: '10.0.32.21' }),
      ],
      healthMonitors: [monitor(uid(305), P, { type: 'PING' }), monitor(uid(306), Q, { type: 'TCP' })],
    });
    const text = renderPingCheck(g);
    assert.equal(text, [
      '#!/bin/sh',
      `# Fulcrum's PING health check for load balancer ${LB}, run by HAProxy:`,
      '# <proxy address> <proxy port> <server address> <server port>, the server name in HAPROXY_SERVER_NAME.',
      'target=$3',
      'case "$HAPROXY_SERVER_NAME" in',
      `  ${uid(311)}) target=10.0.31.11 ;;`,
      `  ${uid(312)}) target=2001:db8::12 ;;`,
      'esac',
      'exec /usr/bin/ping -n -q -c 1 -w 1 -- "$target" >/dev/null 2>&1',
      '',
    ].join('\n'));
    const file = join(tmp, 'ping-check');
    writeFileSync(file, text);
    assert.equal((await run(['sh', '-n', file], { allowFailure: true })).code, 0);
    const cfg = renderConfig(g, { ...GOLDEN_PATHS, pingCheck: '/run/fulcrum/lb/ping-check' });
    assert.match(cfg, /\n {4}external-check\n {4}insecure-fork-wanted\n/);
    assert.match(cfg, /\n {4}option external-check\n {4}external-check command \/run\/fulcrum\/lb\/ping-check\n/);
    assert.doesNotMatch(renderPingCheck({ ...g, healthMonitors: [] }), /case/);
    assertFulcrumError(() => renderPingCheck({ ...g, members: [member(uid(311), P, '10.0.30.11', { monitorAddress: '10.0.31.11; reboot' })] }),
      'VALIDATION', 'monitor_address', uid(311));
  });
});

describe('renderConfig determinism', () => {
  /** A fixed permutation: reversed, then rotated by one. */
  const shuffle = <T>(xs: readonly T[]): T[] => {
    const r = [...xs].reverse();
    return r.length > 1 ? [...r.slice(1), r[0]!] : r;
  };

  test('rendering twice, or from shuffled arrays, gives the same text', () => {
    for (const [name, scene] of Object.entries(SCENES)) {
      const g = scene.graph();
      const first = renderConfig(g, scene.paths ?? GOLDEN_PATHS, scene.opts);
      assert.equal(renderConfig(g, scene.paths ?? GOLDEN_PATHS, scene.opts), first, name);
      for (const perm of [shuffle, <T>(xs: readonly T[]) => shuffle(shuffle(xs))]) {
        const mixed: LoadBalancerGraph = {
          ...g,
          listeners: perm(g.listeners).map((l) => ({
            ...l,
            allowedCidrs: l.allowedCidrs && perm(l.allowedCidrs),
            insertHeaders: Object.fromEntries(perm(Object.entries(l.insertHeaders))),
          })),
          pools: perm(g.pools),
          members: perm(g.members),
          healthMonitors: perm(g.healthMonitors),
          l7Policies: perm(g.l7Policies),
          l7Rules: perm(g.l7Rules),
        };
        assert.equal(renderConfig(mixed, scene.paths ?? GOLDEN_PATHS, scene.opts), first, name);
      }
    }
  });
});

describe('renderConfig L7 policies', () => {
  const lines = (text: string, re: RegExp): string[] => text.split('\n').map((x) => x.trim()).filter((x) => re.test(x));

  test('actions print as HAProxy runs them: every deny, then every redirect, then every use_backend, each in position order', () => {
    const g = l7Scene();
    const text = renderConfig(g, GOLDEN_PATHS);
    const actions = lines(text, /^(http-request deny|redirect|use_backend) /).map((x) => x.split(' ')[0]);
    assert.deepEqual(actions, ['http-request', 'http-request', 'redirect', 'redirect', 'use_backend', 'use_backend', 'use_backend']);
    // Swapping two REDIRECT_TO_POOL policies' positions swaps their lines.
    const swapped = { ...g, l7Policies: g.l7Policies.map((p) => (p.id === uid(211) ? { ...p, position: 6 } : p.id === uid(216) ? { ...p, position: 1 } : p)) };
    const uses = (t: string) => lines(t, /^use_backend /).map((x) => x.split(' if ')[1]);
    assert.deepEqual(uses(text), [uid(231), `${uid(235)} !${uid(236)}`, uid(237)]);
    assert.deepEqual(uses(renderConfig(swapped, GOLDEN_PATHS)), [uid(237), `${uid(235)} !${uid(236)}`, uid(231)]);
  });

  test('policies that match nothing render nothing: disabled, without enabled rules, departing, or to a disabled pool', () => {
    const text = renderConfig(l7Scene(), GOLDEN_PATHS);
    for (const id of [uid(218), uid(219), uid(220), uid(221), uid(240), uid(241), uid(242), uid(243), uid(204)]) {
      assert.doesNotMatch(text, new RegExp(id), id);
    }
  });

  test('a pool serves one listener: a redirect to another listener\'s pool throws VALIDATION naming redirect_pool_id', () => {
    const g = seedScene();
    const l2 = listener(uid(250), { protocolPort: 8080 });
    const p = policy(uid(251), l2.id, 1, { action: 'REDIRECT_TO_POOL', redirectPoolId: P1 as Pool['id'] });
    const shared = { ...g, listeners: [...g.listeners, l2], l7Policies: [p], l7Rules: [rule(uid(252), p)] };
    assertFulcrumError(() => renderConfig(shared, GOLDEN_PATHS), 'VALIDATION', 'redirect_pool_id', uid(251));
    // The listener's own default pool as a redirect target is fine: one backend.
    const own = policy(uid(253), L1, 1, { action: 'REDIRECT_TO_POOL', redirectPoolId: P1 as Pool['id'] });
    const text = renderConfig({ ...g, l7Policies: [own], l7Rules: [rule(uid(254), own)] }, GOLDEN_PATHS);
    assert.equal(lines(text, /^backend /).length, 1);
  });

  test('SSL rules read the client certificate on TERMINATED_HTTPS listeners and are false elsewhere', () => {
    const p = policy(uid(260), L1, 1);
    const has = rule(uid(261), p, { type: 'SSL_CONN_HAS_CERT', compareType: 'EQUAL_TO', value: 'true' });
    const verify = rule(uid(262), p, { type: 'SSL_VERIFY_RESULT', compareType: 'EQUAL_TO', value: '0' });
    const dn = rule(uid(263), p, { type: 'SSL_DN_FIELD', compareType: 'STARTS_WITH', key: 'CN', value: "a 'b" });
    assert.deepEqual([has, verify, dn].map((r) => aclTest(r, true)), ['ssl_c_used', 'ssl_c_verify eq 0', `'ssl_c_s_dn(CN)' -m beg -- 'a '\\''b'`]);
    assert.deepEqual([has, verify, dn].map((r) => aclTest(r, false)), ['always_false', 'always_false', 'always_false']);
    assertFulcrumError(() => aclTest({ ...dn, key: 'C N' }, true), 'VALIDATION', 'key', uid(263));
  });

  test('a FILE_TYPE rule compares the path ending .<value>, or the path with a REGEX; other comparisons throw', () => {
    const p = policy(uid(270), L1, 1);
    assert.equal(aclTest(rule(uid(271), p, { type: 'FILE_TYPE', compareType: 'EQUAL_TO', value: 'jpg' }), false), 'path -m end -- .jpg');
    assert.equal(aclTest(rule(uid(272), p, { type: 'FILE_TYPE', compareType: 'REGEX', value: 'jpe?g$' }), false), "path -m reg -- 'jpe?g$'");
    assertFulcrumError(() => aclTest(rule(uid(273), p, { type: 'FILE_TYPE', compareType: 'CONTAINS', value: 'jpg' }), false), 'VALIDATION', 'compare_type');
  });
});
