/**
 * @module test/e2e/l7.test — L7 policies proven by traffic: two web servers (`a` in the default
 * pool, `b` in a second pool) behind one HTTP listener, and for each rule type, action, `invert`
 * and position change a request from the client namespace answered by the right server, with
 * the right status, or with the right Location header.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { call, settled, waitFor } from '../helpers/fixtures.js';
import { makeScene, until, type Answer, type RequestOptions, type Scene } from '../helpers/scene.js';

let s: Scene;
const web: Record<string, string> = {};
let lb: { id: string; vip_address: string; listeners: { id: string; l7policies: { id: string; name: string }[] }[]; pools: { id: string; name: string }[] };
let listener: string;
let poolA: string;
let poolB: string;

before(async () => {
  s = await makeScene();
  web.a = await s.web('a');
  web.b = await s.web('b');
});

after(async () => {
  await s?.close();
});

const vip = (path: string): string => `http://${lb.vip_address}${path}`;

/** The answer to `path` once it is `want` (the apply that made it so has already reported ACTIVE). */
async function expectAnswer(path: string, want: Partial<Answer>, opts: RequestOptions = {}): Promise<Answer> {
  let last: Answer | undefined;
  try {
    return await until(`${path} ${JSON.stringify(opts)} → ${JSON.stringify(want)}`, async () => {
      last = await s.request(vip(path), opts);
      return Object.entries(want).every(([k, v]) => last![k as keyof Answer] === v) ? last : undefined;
    }, 3000);
  } catch (err) {
    throw new Error(`${(err as Error).message}; last answer ${JSON.stringify(last)}`);
  }
}

/** Creates an L7 policy on the listener and waits until the data plane has it. */
async function policy(body: Record<string, unknown>): Promise<string> {
  const r = await call(s.t.app, 'POST', '/v2/lbaas/l7policies', { l7policy: { listener_id: listener, ...body } });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  await waitFor(s.t.app, `/v2/lbaas/l7policies/${r.body.l7policy.id}`, 'l7policy', 'ACTIVE', 10_000);
  await settled(s.t, lb.id);
  return r.body.l7policy.id as string;
}

const rule = (type: string, compare_type: string, value: string, extra: Record<string, unknown> = {}) => ({ type, compare_type, value, ...extra });

test('a fully-populated create with an L7 policy: PATH STARTS_WITH /api goes to pool B, the rest to the default pool A', async () => {
  const r = await call(s.t.app, 'POST', '/v2/lbaas/loadbalancers', {
    loadbalancer: {
      name: 'l7', vip_subnet_id: s.lbSubnet.id, vip_address: `${s.lbNet}.8`, provider: 'haproxy',
      listeners: [{
        name: 'http', protocol: 'HTTP', protocol_port: 80,
        default_pool: { name: 'A', protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN', members: [{ address: web.a, protocol_port: 80, subnet_id: s.webSubnet.id }] },
        l7policies: [{
          name: 'api', action: 'REDIRECT_TO_POOL', rules: [rule('PATH', 'STARTS_WITH', '/api')],
          redirect_pool: { name: 'B', protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN', members: [{ address: web.b, protocol_port: 80, subnet_id: s.webSubnet.id }] },
        }],
      }],
    },
  });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  lb = r.body.loadbalancer;
  listener = lb.listeners[0]!.id;
  poolA = lb.pools.find((p) => p.name === 'A')!.id;
  poolB = lb.pools.find((p) => p.name === 'B')!.id;
  await waitFor(s.t.app, `/v2/lbaas/loadbalancers/${lb.id}`, 'loadbalancer', 'ACTIVE', 10_000);
  assert.equal((await expectAnswer('/', { status: 200 })).body, 'a');
  assert.equal((await expectAnswer('/api/users', { status: 200 })).body, 'b');
  assert.equal((await expectAnswer('/apix', { status: 200 })).body, 'b', 'STARTS_WITH');
  assert.equal((await expectAnswer('/v1/api', { status: 200 })).body, 'a');
  const cfg = readFileSync(join(s.provider.dirOf(lb.id), 'haproxy.cfg'), 'utf8');
  assert.match(cfg, new RegExp(`\n    use_backend ${poolB} if [0-9a-f-]{36}\n    default_backend ${poolA}\n`));
  const policyId = lb.listeners[0]!.l7policies[0]!.id;
  const shown = await waitFor(s.t.app, `/v2/lbaas/l7policies/${policyId}`, 'l7policy', 'ACTIVE');
  assert.equal(shown.operating_status, 'ONLINE');
  const tree = (await call(s.t.app, 'GET', `/v2/lbaas/loadbalancers/${lb.id}/status`)).body.statuses.loadbalancer;
  assert.deepEqual(tree.listeners[0].pools.map((p: { id: string }) => p.id), [poolA, poolB]);
});

test('HOST_NAME EQUAL_TO, HEADER and COOKIE rules send matching requests to pool B', async () => {
  await policy({ name: 'host', action: 'REDIRECT_TO_POOL', redirect_pool_id: poolB, rules: [rule('HOST_NAME', 'EQUAL_TO', 'b.example.com')] });
  assert.equal((await expectAnswer('/', { status: 200 }, { headers: { Host: 'b.example.com' } })).body, 'b');
  assert.equal((await expectAnswer('/', { status: 200 }, { headers: { Host: 'B.Example.COM' } })).body, 'b', 'host names compare without case');
  assert.equal((await expectAnswer('/', { status: 200 }, { headers: { Host: 'a.example.com' } })).body, 'a');

  await policy({ name: 'header', action: 'REDIRECT_TO_POOL', redirect_pool_id: poolB, rules: [rule('HEADER', 'EQUAL_TO', 'b', { key: 'X-Pool' })] });
  assert.equal((await expectAnswer('/', { status: 200 }, { headers: { 'X-Pool': 'b' } })).body, 'b');
  assert.equal((await expectAnswer('/', { status: 200 }, { headers: { 'X-Pool': 'bb' } })).body, 'a', 'EQUAL_TO is the whole value');

  await policy({ name: 'cookie', action: 'REDIRECT_TO_POOL', redirect_pool_id: poolB, rules: [rule('COOKIE', 'EQUAL_TO', 'b', { key: 'pool' })] });
  assert.equal((await expectAnswer('/', { status: 200 }, { cookie: 'other=1; pool=b' })).body, 'b');
  assert.equal((await expectAnswer('/', { status: 200 }, { cookie: 'pool=a' })).body, 'a');
});

test('a REGEX rule and a value full of HAProxy syntax (#, quotes, backslash, %[) match literally', async () => {
  await policy({ name: 'regex', action: 'REDIRECT_TO_POOL', redirect_pool_id: poolB, rules: [rule('PATH', 'REGEX', '^/v[0-9]+/')] });
  assert.equal((await expectAnswer('/v2/items', { status: 200 })).body, 'b');
  assert.equal((await expectAnswer('/vx/items', { status: 200 })).body, 'a');

  const odd = `a#b'c"d\\e%[x]`;
  await policy({ name: 'odd', action: 'REDIRECT_TO_POOL', redirect_pool_id: poolB, rules: [rule('HEADER', 'EQUAL_TO', odd, { key: 'X-Odd' })] });
  assert.equal((await expectAnswer('/', { status: 200 }, { headers: { 'X-Odd': odd } })).body, 'b');
  assert.equal((await expectAnswer('/', { status: 200 }, { headers: { 'X-Odd': 'a' } })).body, 'a', 'nothing after # was cut off');
});

test('FILE_TYPE → REJECT answers 403; REDIRECT_TO_URL answers 301 with the Location; REDIRECT_PREFIX answers 302 with the prefix', async () => {
  await policy({ name: 'no-jpg', action: 'REJECT', rules: [rule('FILE_TYPE', 'EQUAL_TO', 'jpg')] });
  assert.equal((await expectAnswer('/img/cat.jpg', { status: 403 })).status, 403);
  assert.equal((await expectAnswer('/img/cat.png', { status: 200 })).body, 'a');
  // REJECT comes before any redirect or pool, whatever the positions (Octavia's documented precedence).
  assert.equal((await expectAnswer('/api/cat.jpg', { status: 403 })).status, 403);

  await policy({
    name: 'moved', action: 'REDIRECT_TO_URL', redirect_url: "http://example.com/new?x=1&it's=%20", redirect_http_code: 301,
    rules: [rule('PATH', 'EQUAL_TO', '/old')],
  });
  const moved = await expectAnswer('/old', { status: 301 });
  assert.equal(moved.location, "http://example.com/new?x=1&it's=%20");
  assert.equal((await expectAnswer('/older', { status: 200 })).body, 'a');

  await policy({ name: 'prefix', action: 'REDIRECT_PREFIX', redirect_prefix: 'https://example.org', rules: [rule('PATH', 'STARTS_WITH', '/pre')] });
  const prefixed = await expectAnswer('/pre/x?q=1', { status: 302 });
  assert.equal(prefixed.location, 'https://example.org/pre/x?q=1');
});

test('invert: a policy whose rules are ANDed, one of them inverted', async () => {
  await policy({
    name: 'admin', action: 'REJECT',
    rules: [rule('PATH', 'STARTS_WITH', '/admin'), rule('HEADER', 'EQUAL_TO', 'yes', { key: 'X-Admin', invert: true })],
  });
  assert.equal((await expectAnswer('/admin/panel', { status: 403 })).status, 403);
  assert.equal((await expectAnswer('/admin/panel', { status: 200 }, { headers: { 'X-Admin': 'yes' } })).body, 'a');
  assert.equal((await expectAnswer('/public', { status: 200 }, { headers: { 'X-Admin': 'no' } })).body, 'a');
});

test('position decides which of two matching policies wins, and moving one changes the answer', async () => {
  const first = await policy({ name: 'route-a', position: 1, action: 'REDIRECT_TO_POOL', redirect_pool_id: poolA, rules: [rule('HEADER', 'EQUAL_TO', 'a', { key: 'X-Route' })] });
  const routeA = { headers: { 'X-Route': 'a' } };
  assert.equal((await expectAnswer('/api/users', { status: 200 }, routeA)).body, 'a', 'route-a at position 1 beats api');
  const listed = await call(s.t.app, 'GET', `/v2/lbaas/l7policies?listener_id=${listener}&sort=position`);
  assert.deepEqual(listed.body.l7policies.slice(0, 2).map((p: { name: string; position: number }) => [p.name, p.position]), [['route-a', 1], ['api', 2]]);

  const put = await call(s.t.app, 'PUT', `/v2/lbaas/l7policies/${first}`, { l7policy: { position: 100 } });
  assert.equal(put.status, 200);
  await waitFor(s.t.app, `/v2/lbaas/l7policies/${first}`, 'l7policy', 'ACTIVE', 10_000);
  await settled(s.t, lb.id);
  const after = await call(s.t.app, 'GET', `/v2/lbaas/l7policies/${first}`);
  assert.equal(after.body.l7policy.position, listed.body.l7policies.length, 'moved past the end: last');
  assert.equal((await expectAnswer('/api/users', { status: 200 }, routeA)).body, 'b', 'api now comes first');
  assert.equal((await expectAnswer('/other', { status: 200 }, routeA)).body, 'a');
});

test('deleting policies takes their effect away; the load balancer goes with all of it', async () => {
  const api = lb.listeners[0]!.l7policies[0]!.id;
  assert.equal((await call(s.t.app, 'DELETE', `/v2/lbaas/l7policies/${api}`)).status, 204);
  await waitFor(s.t.app, `/v2/lbaas/l7policies/${api}`, 'l7policy', 'DELETED', 10_000);
  await settled(s.t, lb.id);
  assert.equal((await expectAnswer('/api/users', { status: 200 })).body, 'a');
  assert.equal((await call(s.t.app, 'DELETE', `/v2/lbaas/loadbalancers/${lb.id}?cascade=true`)).status, 204);
  await waitFor(s.t.app, `/v2/lbaas/loadbalancers/${lb.id}`, 'loadbalancer', 'DELETED', 10_000);
  assert.deepEqual((await call(s.t.app, 'GET', `/v2/lbaas/l7policies?listener_id=${listener}`)).body.l7policies, []);
});
