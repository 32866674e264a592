/**
 * @module test/e2e/l7-retries.test — `--l7-retries idempotent` proven by traffic: one of two
 * members resets every connection whose request asks for `/flaky` (an iptables rule in its
 * namespace, as a server dying under a request would), the other answers. Idempotent requests
 * are resent to the other member and all succeed; a POST is never resent, so the ones that reach
 * the resetting member fail.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { run } from '../../src/drivers/sys/exec.js';
import { call, waitFor } from '../helpers/fixtures.js';
import { makeScene, type Scene } from '../helpers/scene.js';

let s: Scene;
let vip: string;

before(async () => {
  s = await makeScene({ l7Retries: 'idempotent' });
  const good = await s.web('good');
  const bad = await s.web('bad');
  // The request reaches the server (the connection is established), which then resets it unanswered.
  await run(['ip', 'netns', 'exec', s.ns('bad'), 'iptables', '-A', 'INPUT', '-p', 'tcp', '--dport', '80', '-m', 'string',
    '--algo', 'bm', '--string', '/flaky HTTP', '-j', 'REJECT', '--reject-with', 'tcp-reset']);
  const r = await call(s.t.app, 'POST', '/v2/lbaas/loadbalancers', {
    loadbalancer: {
      name: 'retries', vip_subnet_id: s.lbSubnet.id, vip_address: `${s.lbNet}.9`, provider: 'haproxy',
      listeners: [{
        protocol: 'HTTP', protocol_port: 80,
        // No health monitor: the resetting member stays UP, so round robin keeps sending it requests.
        default_pool: {
          name: 'pool1', protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN',
          members: [good, bad].map((address) => ({ address, protocol_port: 80, subnet_id: s.webSubnet.id })),
        },
      }],
    },
  });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  vip = `http://${r.body.loadbalancer.vip_address}`;
  await waitFor(s.t.app, `/v2/lbaas/loadbalancers/${r.body.loadbalancer.id}`, 'loadbalancer', 'ACTIVE', 15_000);
});

after(async () => {
  await s?.close();
});

test('both members serve a path the resetting member does not refuse', async () => {
  const seen = new Set<string>();
  for (let i = 0; i < 4; i++) seen.add((await s.request(`${vip}/`)).body);
  assert.deepEqual([...seen].sort(), ['bad', 'good']);
});

test('GET, HEAD, PUT, DELETE and OPTIONS reset by a member are resent to the other: every one answers 200', async () => {
  for (const method of ['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS']) {
    for (let i = 0; i < 6; i++) {
      const a = await s.request(`${vip}/flaky`, { method });
      assert.equal(a.status, 200, `${method} #${i + 1}: ${JSON.stringify(a)}`);
      if (method !== 'HEAD') assert.equal(a.body, 'good');
    }
  }
});

test('a POST is never resent: the ones round robin gives the resetting member fail', async () => {
  const statuses: number[] = [];
  for (let i = 0; i < 6; i++) statuses.push((await s.request(`${vip}/flaky`, { method: 'POST' })).status);
  assert.ok(statuses.includes(200), `some POSTs reach the good member: ${statuses.join(' ')}`);
  assert.ok(statuses.some((st) => st >= 502 && st <= 504), `the others are not resent: ${statuses.join(' ')}`);
});
