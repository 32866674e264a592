/**
 * @module api/neutron-lbaas/endpoint.test — the network endpoint under `/network`: Neutron's
 * version document and extensions, the networks API mounted a second time, and Neutron's error
 * body for everything under the prefix (while `/v2.0/lbaas` stays Octavia's).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { call, makeTestApi, PROJECT, type TestApi } from '../../../test/helpers/fixtures.js';

let t: TestApi;
before(async () => { t = await makeTestApi(); });
after(async () => { await t.close(); });

test('GET /network/ is Neutron\'s version document pointing at /network/v2.0/', async () => {
  for (const url of ['/network', '/network/']) {
    const r = await t.app.inject({ method: 'GET', url, headers: { host: 'api.example:9876' } });
    assert.equal(r.statusCode, 200, url);
    assert.deepEqual(r.json(), {
      versions: [{ id: 'v2.0', status: 'CURRENT', links: [{ href: 'http://api.example:9876/network/v2.0/', rel: 'self' }] }],
    });
  }
});

test('GET /network/v2.0 lists Neutron\'s core resources with links under /network', async () => {
  const r = await t.app.inject({ method: 'GET', url: '/network/v2.0', headers: { host: 'api.example:9876' } });
  assert.equal(r.statusCode, 200);
  assert.deepEqual(r.json().resources.map((x: { collection: string; links: { href: string }[] }) => [x.collection, x.links[0]!.href]), [
    ['networks', 'http://api.example:9876/network/v2.0/networks'], ['subnets', 'http://api.example:9876/network/v2.0/subnets'],
    ['ports', 'http://api.example:9876/network/v2.0/ports'],
  ]);
});

test('GET /network/v2.0/extensions lists lbaasv2 and the LBaaS extensions whose attributes the view has', async () => {
  const r = await call(t.app, 'GET', '/network/v2.0/extensions');
  assert.equal(r.status, 200);
  const aliases = r.body.extensions.map((e: { alias: string }) => e.alias);
  assert.deepEqual(aliases, ['lbaasv2', 'shared_pools', 'lb_network_vip', 'hm_max_retries_down']);
  assert.deepEqual(Object.keys(r.body.extensions[0]).sort(), ['alias', 'description', 'links', 'name', 'updated']);
});

test('networks, subnets and ports under /network/v2.0 are the same objects as under /v2.0', async () => {
  const made = await call(t.app, 'POST', '/network/v2.0/networks', { network: { name: 'webserver' } });
  assert.equal(made.status, 201, JSON.stringify(made.body));
  const net = made.body.network;
  const sub = await call(t.app, 'POST', '/network/v2.0/subnets', { subnet: { network_id: net.id, ip_version: 4, cidr: '10.93.48.0/24', name: 'webserver-subnet' } });
  assert.equal(sub.status, 201, JSON.stringify(sub.body));
  const root = await call(t.app, 'GET', `/v2.0/subnets?name=webserver-subnet`);
  assert.deepEqual(root.body.subnets.map((s: { id: string }) => s.id), [sub.body.subnet.id]);
  // neutronclient resolves names with ?name=…&fields=id.
  const byName = await call(t.app, 'GET', '/network/v2.0/subnets?name=lbaas-subnet&fields=id');
  assert.deepEqual(byName.body, { subnets: [{ id: t.subnetId }] });
  const listed = await call(t.app, 'GET', '/network/v2.0/networks');
  assert.deepEqual(listed.body.networks.map((n: { name: string }) => n.name).sort(), ['lbaas', 'webserver']);
  assert.equal(listed.body.networks.find((n: { name: string }) => n.name === 'webserver').tenant_id, PROJECT);
});

test('under /network every error is Neutron\'s body: the networks API\'s own, unknown paths, unknown objects', async () => {
  const bad = await call(t.app, 'POST', '/network/v2.0/subnets', { subnet: { network_id: 'nope', ip_version: 4, cidr: '10.1.0.0/24' } });
  assert.equal(bad.status, 400);
  assert.deepEqual(bad.body, { NeutronError: { type: 'HTTPBadRequest', message: "Invalid input for network_id. Reason: 'nope' is not a valid UUID.", detail: '' } });
  const missing = await call(t.app, 'GET', '/network/v2.0/networks/8a9b6f3e-1f0e-4c55-9d43-5e0f2c9b7a10');
  assert.deepEqual([missing.status, missing.body.NeutronError.type], [404, 'NetworkNotFound']);
  for (const url of ['/network/v2.0/routers', '/network/v3', '/network/v2.0/lbaas/l7policies']) {
    const r = await call(t.app, 'GET', url);
    assert.equal(r.status, 404, url);
    assert.deepEqual(r.body, { NeutronError: { type: 'HTTPNotFound', message: 'The resource could not be found.', detail: '' } }, url);
  }
});

test('the root /v2.0/lbaas stays Octavia\'s: same path below, Octavia\'s body and words', async () => {
  const ghost = '6f0c2f8e-0a57-4a7e-9d5c-2d1b9c0e4a11';
  const octavia = await call(t.app, 'GET', `/v2.0/lbaas/loadbalancers/${ghost}`);
  assert.deepEqual([octavia.status, octavia.body.faultstring], [404, `Load Balancer ${ghost} not found.`]);
  const neutron = await call(t.app, 'GET', `/network/v2.0/lbaas/loadbalancers/${ghost}`);
  assert.deepEqual([neutron.status, neutron.body.NeutronError.message], [404, `loadbalancer ${ghost} could not be found`]);
});
