/**
 * @module test/e2e/metrics.test — `GET /metrics` of a server running a real HAProxy load
 * balancer that serves traffic from a client namespace: promtool accepts the scrape, the
 * per-object counters move with the requests sent, reloads are counted by cause and runtime
 * changes apart, and the --metrics-listen server answers the same text without a token.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { buildMetricsServer } from '../../src/api/metrics.js';
import { MetricsRegistry } from '../../src/domain/metrics.js';
import { promtoolCheck } from '../helpers/promtool.js';
import { call, settled, waitFor, type TestApi } from '../helpers/fixtures.js';
import { makeScene, seedLoadBalancer, until, type Scene } from '../helpers/scene.js';

let s: Scene;
let t: TestApi;
const metrics = new MetricsRegistry();
let metricsApp: FastifyInstance;
let metricsUrl: string;
let lb: { id: string; project_id: string; vip_address: string; listeners: { id: string }[]; pools: { id: string; members: { id: string }[] }[] };

/** One scrape: each series (`name{labels}` as printed) with its value. */
interface Scrape {
  text: string;
  /** The sum of the series of `name` whose labels include all of `labels`. */
  sum(name: string, labels?: Record<string, string>): number;
  has(name: string, labels?: Record<string, string>): boolean;
}

function parse(text: string): Scrape {
  const series: { name: string; labels: Record<string, string>; value: number }[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    assert.ok(m, `a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
    series.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  const matching = (name: string, want: Record<string, string>) =>
    series.filter((x) => x.name === name && Object.entries(want).every(([k, v]) => x.labels[k] === v));
  return {
    text,
    sum: (name, want = {}) => matching(name, want).reduce((a, x) => a + x.value, 0),
    has: (name, want = {}) => matching(name, want).length > 0,
  };
}

/** A scrape through the API (noauth: every caller is an admin). */
async function scrape(): Promise<Scrape> {
  const r = await t.app.inject({ method: 'GET', url: '/metrics', headers: { 'x-project-id': 'any' } });
  assert.equal(r.statusCode, 200);
  assert.match(String(r.headers['content-type']), /^text\/plain; version=0\.0\.4/);
  return parse(r.body);
}

const vip = (): string => `http://${lb.vip_address}/`;

before(async () => {
  s = await makeScene({ metrics });
  t = s.t;
  const web1 = await s.web('web1');
  const web2 = await s.web('web2');
  const r = await call(t.app, 'POST', '/v2/lbaas/loadbalancers', seedLoadBalancer(s, [web1, web2], { vipHost: 9 }));
  assert.equal(r.status, 201, JSON.stringify(r.body));
  lb = r.body.loadbalancer;
  await waitFor(t.app, `/v2/lbaas/loadbalancers/${lb.id}`, 'loadbalancer', 'ACTIVE', 10_000);
  await until('a 200 through the VIP', () => s.get(vip()), 5000);
  metricsApp = await buildMetricsServer(metrics);
  metricsUrl = `${await metricsApp.listen({ host: '127.0.0.1', port: 0 })}/metrics`;
});

after(async () => {
  await metricsApp?.close();
  await s?.close();
});

test('the counters of the listener, pool, members and load balancer move with the requests sent through the VIP', async () => {
  const listener = { listener_id: lb.listeners[0]!.id };
  const pool = { pool_id: lb.pools[0]!.id };
  // The agent's observer (every 500 ms) has seen the members up: the scrape shows what it saw.
  const first = await until('members up in a scrape', async () => {
    const m = await scrape();
    return m.sum('fulcrum_member_up', pool) === 2 ? m : undefined;
  }, 15_000); // a bound for a busy machine, not a speed claim
  assert.equal(first.sum('fulcrum_listener_sessions_total', { ...listener, project_id: lb.project_id, loadbalancer_id: lb.id }) > 0, true);
  const before = {
    sessions: first.sum('fulcrum_listener_sessions_total', listener),
    ok: first.sum('fulcrum_listener_http_responses_total', { ...listener, code: '2xx' }),
    bytesOut: first.sum('fulcrum_listener_bytes_out_total', listener),
    memberSessions: first.sum('fulcrum_member_sessions_total', pool),
    poolOk: first.sum('fulcrum_pool_http_responses_total', { ...pool, code: '2xx' }),
    lbSessions: first.sum('fulcrum_loadbalancer_sessions_total', { loadbalancer_id: lb.id }),
  };
  const N = 10;
  for (let i = 0; i < N; i++) assert.match(await s.get(vip()), /^web[12]$/);
  const later = await until(`${N} more sessions in a scrape`, async () => {
    const m = await scrape();
    return m.sum('fulcrum_listener_sessions_total', listener) >= before.sessions + N ? m : undefined;
  }, 15_000);
  assert.ok(later.sum('fulcrum_listener_http_responses_total', { ...listener, code: '2xx' }) >= before.ok + N, '2xx responses counted');
  assert.ok(later.sum('fulcrum_listener_bytes_out_total', listener) > before.bytesOut, 'bytes out grew');
  assert.ok(later.sum('fulcrum_member_sessions_total', pool) >= before.memberSessions + N, 'members served them');
  assert.ok(later.sum('fulcrum_pool_http_responses_total', { ...pool, code: '2xx' }) >= before.poolOk + N);
  assert.ok(later.sum('fulcrum_loadbalancer_sessions_total', { loadbalancer_id: lb.id }) >= before.lbSessions + N);
  assert.equal(later.sum('fulcrum_member_check_status', { ...pool, check_status: 'L7OK' }), 2);
  assert.equal(later.sum('fulcrum_operating_status', { object_id: lb.id, status: 'ONLINE' }), 1);
  // The API counted its requests by route pattern, never by raw URL.
  assert.ok(later.sum('fulcrum_api_requests_total', { method: 'GET', route: '/v2/lbaas/loadbalancers/:id', code: '200' }) > 0);
  assert.ok(later.sum('fulcrum_api_request_duration_seconds_count', { route: '/metrics' }) > 0);
  assert.doesNotMatch(later.text, new RegExp(`route="[^"]*${lb.id}`), 'no object id in a route label');
  assert.doesNotMatch(later.text, /"lb1"|"listener1"|"pool1"/, 'no tenant names in labels');
  assert.ok(later.sum('fulcrum_agent_reconciles_total', { result: 'ok' }) >= 1);
  assert.ok(later.sum('fulcrum_agent_reconcile_duration_seconds_count', { result: 'ok' }) >= 1);
  assert.equal(later.sum('fulcrum_haproxy_starts_total'), 1);
});

test('a member change is a runtime change, a listener change a reload counted under "listener"', async () => {
  const m0 = await scrape();
  const runtime0 = m0.sum('fulcrum_haproxy_runtime_changes_total');
  const pool = lb.pools[0]!.id;
  const member = lb.pools[0]!.members[0]!.id;
  assert.equal((await call(t.app, 'PUT', `/v2/lbaas/pools/${pool}/members/${member}`, { member: { weight: 3 } })).status, 200);
  await settled(t, lb.id);
  const m1 = await scrape();
  assert.equal(m1.sum('fulcrum_haproxy_runtime_changes_total'), runtime0 + 1);
  assert.equal(m1.sum('fulcrum_haproxy_reloads_total'), m0.sum('fulcrum_haproxy_reloads_total'), 'no reload');
  assert.equal((await call(t.app, 'PUT', `/v2/lbaas/listeners/${lb.listeners[0]!.id}`, { listener: { connection_limit: 5000 } })).status, 200);
  await settled(t, lb.id);
  const m2 = await scrape();
  assert.equal(m2.sum('fulcrum_haproxy_reloads_total', { reason: 'listener' }), m0.sum('fulcrum_haproxy_reloads_total', { reason: 'listener' }) + 1);
});

test('promtool accepts a real scrape; --metrics-listen serves the same metrics without a token', async () => {
  await s.get(vip());
  const viaApi = (await scrape()).text;
  const check = promtoolCheck(viaApi);
  assert.equal(check.output, '', check.output);
  assert.equal(check.status, 0);
  const r = await fetch(metricsUrl);
  assert.equal(r.status, 200);
  const text = await r.text();
  assert.equal(promtoolCheck(text).status, 0);
  assert.ok(parse(text).has('fulcrum_listener_sessions_total', { listener_id: lb.listeners[0]!.id }));
  assert.equal((await fetch(metricsUrl.replace(/\/metrics$/, '/v2/lbaas/loadbalancers'))).status, 404, 'and nothing else');
});
