/**
 * @module test/e2e/failover.test — failover for real: the seed's load balancer (with a flavor)
 * serves round-robin through its VIP from a client namespace; `PUT …/failover` tears down its
 * `qlbaas-<id>` namespace, links and HAProxy and builds them again from the desired state; it
 * serves the same way afterwards, with the same configuration, members and statuses.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { run as exec } from '../../src/drivers/sys/exec.js';
import { netnsExists } from '../../src/drivers/sys/ip.js';
import { call, waitFor, type TestApi } from '../helpers/fixtures.js';
import { makeScene, seedLoadBalancer, until, type Scene } from '../helpers/scene.js';

let s: Scene;
let t: TestApi;
const web: Record<string, string> = {};

before(async () => {
  s = await makeScene();
  t = s.t;
  web.web1 = await s.web('web1');
  web.web2 = await s.web('web2');
});

after(async () => {
  await s?.close();
});

/** Six requests through the VIP from the client namespace: both web servers, alternating. */
async function roundRobin(vip: string): Promise<string[]> {
  const seen: string[] = [];
  for (let i = 0; i < 6; i++) seen.push(await until('a 200 through the VIP', () => s.get(`http://${vip}/`), 10_000));
  assert.deepEqual(new Set(seen), new Set(['web1', 'web2']));
  for (let i = 1; i < seen.length; i++) assert.notEqual(seen[i], seen[i - 1], `round robin alternates: ${seen.join(' ')}`);
  return seen;
}

/** The status tree once every member is ONLINE (health checks passed). */
async function onlineTree(lbId: string): Promise<Record<string, unknown>> {
  return until('members ONLINE', async () => {
    const tree = (await call(t.app, 'GET', `/v2/lbaas/loadbalancers/${lbId}/status`)).body.statuses.loadbalancer;
    return tree.provisioning_status === 'ACTIVE' && tree.operating_status === 'ONLINE' &&
      tree.listeners[0].pools[0].members.every((m: { operating_status: string }) => m.operating_status === 'ONLINE') ? tree : undefined;
  }, 15_000);
}

test('failover rebuilds namespace, links and HAProxy from the desired state; traffic through the VIP before and after, nothing lost', async (ctx) => {
  const fp = await call(t.app, 'POST', '/v2/lbaas/flavorprofiles', {
    flavorprofile: { name: 'fo', provider_name: 'haproxy', flavor_data: '{"maxconn": 3000, "nbthread": 2}' },
  });
  const fl = await call(t.app, 'POST', '/v2/lbaas/flavors', { flavor: { name: 'fo', flavor_profile_id: fp.body.flavorprofile.id } });
  assert.equal(fl.status, 201, JSON.stringify(fl.body));
  const body = seedLoadBalancer(s, [web.web1!, web.web2!]) as { loadbalancer: Record<string, unknown> };
  body.loadbalancer.flavor_id = fl.body.flavor.id;
  const r = await call(t.app, 'POST', '/v2/lbaas/loadbalancers', body);
  assert.equal(r.status, 201, JSON.stringify(r.body));
  const lb = r.body.loadbalancer;
  await waitFor(t.app, `/v2/lbaas/loadbalancers/${lb.id}`, 'loadbalancer', 'ACTIVE', 10_000);
  await roundRobin(lb.vip_address);
  const treeBefore = await onlineTree(lb.id);

  const dir = s.provider.dirOf(lb.id);
  const ns = `qlbaas-${lb.id}`;
  const cfgBefore = readFileSync(join(dir, 'haproxy.cfg'), 'utf8');
  assert.match(cfgBefore, /\n {4}maxconn 3000\n {4}nbthread 2\n/);
  const pidBefore = readFileSync(join(dir, 'haproxy.pid'), 'utf8').trim();
  // A marker link of this run inside the namespace: a namespace made again does not have it.
  const marker = s.ns('mk');
  await exec(['ip', '-n', ns, 'link', 'add', 'name', marker, 'type', 'veth', 'peer', 'name', `${marker}p`]);
  assert.match((await exec(['ip', '-n', ns, '-br', 'link', 'show', marker])).stdout, new RegExp(marker));
  const amphoraBefore = (await call(t.app, 'GET', `/v2/octavia/amphorae?loadbalancer_id=${lb.id}`)).body.amphorae[0];
  const startsBefore = s.provider.counters.starts;

  const started = performance.now();
  const fo = await call(t.app, 'PUT', `/v2/lbaas/loadbalancers/${lb.id}/failover`);
  assert.equal(fo.status, 202);
  await waitFor(t.app, `/v2/lbaas/loadbalancers/${lb.id}`, 'loadbalancer', 'ACTIVE', 15_000);
  const activeMs = performance.now() - started;
  await until('a 200 through the VIP', () => s.get(`http://${lb.vip_address}/`), 10_000);
  // A figure, not an assertion: how long the rebuild takes on this machine.
  ctx.diagnostic(`failover: ACTIVE after ${activeMs.toFixed(0)} ms, serving through the VIP after ${(performance.now() - started).toFixed(0)} ms`);

  // Rebuilt: a new namespace (another inode), a new HAProxy master, started rather than reloaded.
  assert.ok(netnsExists(ns));
  assert.doesNotMatch((await exec(['ip', '-n', ns, '-br', 'link', 'show'])).stdout, new RegExp(marker), 'the namespace was made again');
  assert.notEqual(readFileSync(join(dir, 'haproxy.pid'), 'utf8').trim(), pidBefore);
  assert.equal(s.provider.counters.starts, startsBefore + 1);
  const amphoraAfter = (await call(t.app, 'GET', `/v2/octavia/amphorae?loadbalancer_id=${lb.id}`)).body.amphorae[0];
  assert.notEqual(amphoraAfter.id, amphoraBefore.id);
  assert.equal(amphoraAfter.status, 'ALLOCATED');

  // Nothing lost: the same configuration (flavor values included), the same tree, the same traffic.
  assert.equal(readFileSync(join(dir, 'haproxy.cfg'), 'utf8'), cfgBefore);
  await roundRobin(lb.vip_address);
  const treeAfter = await onlineTree(lb.id);
  assert.deepEqual(treeAfter, treeBefore);

  await call(t.app, 'DELETE', `/v2/lbaas/loadbalancers/${lb.id}?cascade=true`);
  await waitFor(t.app, `/v2/lbaas/loadbalancers/${lb.id}`, 'loadbalancer', 'DELETED', 10_000);
  assert.ok(!netnsExists(ns));
});
