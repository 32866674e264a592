/** @module api/octavia/load-balancers.test — the load balancer API end to end on SQLite with the noop agent. */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { makeTestApi, PROJECT, waitFor, type TestApi } from '../../../test/helpers/fixtures.js';

let t: TestApi;
before(async () => { t = await makeTestApi(); });
after(async () => { await t.close(); });

const headers = { 'x-project-id': PROJECT };
const post = (body: unknown) => t.app.inject({ method: 'POST', url: '/v2/lbaas/loadbalancers', headers, payload: body as object });

test('create answers 201 PENDING_CREATE with Octavia\'s shape, then the agent makes it ACTIVE', async () => {
  const r = await post({ loadbalancer: { name: 'lb1', description: 'd', vip_subnet_id: t.subnetId, tags: ['t1'] } });
  assert.equal(r.statusCode, 201);
  assert.match(String(r.headers['x-openstack-request-id']), /^req-[0-9a-f-]{36}$/);
  const lb = r.json().loadbalancer;
  assert.deepEqual(Object.keys(lb).sort(), [
    'additional_vips', 'admin_state_up', 'availability_zone', 'created_at', 'description', 'flavor_id', 'id', 'listeners',
    'name', 'operating_status', 'pools', 'project_id', 'provider', 'provisioning_status', 'tags', 'tenant_id', 'updated_at',
    'vip_address', 'vip_network_id', 'vip_port_id', 'vip_qos_policy_id', 'vip_subnet_id',
  ]);
  assert.equal(lb.provisioning_status, 'PENDING_CREATE');
  assert.equal(lb.operating_status, 'OFFLINE');
  assert.equal(lb.vip_address, '10.115.54.2');
  assert.equal(lb.vip_network_id, t.networkId);
  assert.equal(lb.project_id, PROJECT);
  assert.equal(lb.tenant_id, PROJECT);
  assert.match(lb.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/);
  const active = await waitFor(t.app, `/v2/lbaas/loadbalancers/${lb.id}`, 'loadbalancer', 'ACTIVE');
  assert.notEqual(active.updated_at, null);
  const port = await t.store.get('port', lb.vip_port_id);
  assert.equal(port?.deviceId, lb.id);
});

test('a taken vip_address is 409 and nothing is written', async () => {
  const before = (await t.app.inject({ method: 'GET', url: '/v2/lbaas/loadbalancers' })).json().loadbalancers.length;
  const a = await post({ loadbalancer: { vip_subnet_id: t.subnetId, vip_address: '10.115.54.50' } });
  assert.equal(a.statusCode, 201);
  const b = await post({ loadbalancer: { vip_subnet_id: t.subnetId, vip_address: '10.115.54.50' } });
  assert.equal(b.statusCode, 409);
  assert.equal(b.json().faultcode, 'Client');
  const afterCount = (await t.app.inject({ method: 'GET', url: '/v2/lbaas/loadbalancers' })).json().loadbalancers.length;
  assert.equal(afterCount, before + 1);
});

test('bad input gets 400 in Octavia\'s format naming the field, and writes nothing', async () => {
  const cases: [unknown, RegExp][] = [
    [{ loadbalancer: { name: 'x' } }, /VIP must contain one of: vip_port_id, vip_network_id, vip_subnet_id/],
    [{ loadbalancer: { vip_subnet_id: 'nope' } }, /Invalid input for field\/attribute vip_subnet_id\. Value: 'nope'\. Value should be UUID format/],
    [{ loadbalancer: { vip_subnet_id: t.subnetId, bogus: 1 } }, /Unknown attribute for argument load_balancer\.loadbalancer: bogus/],
    [{ loadbalancer: { vip_subnet_id: t.subnetId, admin_state_up: 'yes' } }, /field\/attribute admin_state_up/],
    [{ loadbalancer: { vip_subnet_id: t.subnetId, name: 'x'.repeat(256) } }, /field\/attribute name.*maximum character requirement of 255/],
    [{ loadbalancer: { vip_subnet_id: t.subnetId, vip_address: '10.1.1.300' } }, /field\/attribute vip_address/],
    [{ loadbalancer: { vip_subnet_id: '11111111-2222-3333-4444-555555555555' } }, /Subnet 11111111-2222-3333-4444-555555555555 not found/],
    [{ loadbalancer: { vip_subnet_id: t.subnetId, provider: 'f5' } }, /Provider 'f5' is not enabled/],
    [{ nope: {} }, /Unknown attribute|Mandatory field missing/],
    [[1, 2], /./],
  ];
  const count = async () => (await t.app.inject({ method: 'GET', url: '/v2/lbaas/loadbalancers' })).json().loadbalancers.length;
  const n = await count();
  for (const [body, message] of cases) {
    const r = await post(body);
    assert.equal(r.statusCode, 400, `${JSON.stringify(body)} → ${r.body}`);
    assert.match(r.json().faultstring, message);
    assert.equal(r.json().debuginfo, null);
  }
  const bad = await t.app.inject({ method: 'POST', url: '/v2/lbaas/loadbalancers', headers: { ...headers, 'content-type': 'application/json' }, payload: '{"loadbalancer":' });
  assert.equal(bad.statusCode, 400);
  assert.equal(bad.json().faultstring, 'Request is not in valid JSON format');
  assert.equal(await count(), n);
});

test('404s and 405 as Octavia answers them', async () => {
  const r = await t.app.inject({ method: 'GET', url: '/v2/lbaas/loadbalancers/00000000-0000-0000-0000-000000000000' });
  assert.equal(r.statusCode, 404);
  assert.deepEqual(r.json(), { faultcode: 'Client', faultstring: 'Load Balancer 00000000-0000-0000-0000-000000000000 not found.', debuginfo: null });
  assert.equal((await t.app.inject({ method: 'GET', url: '/v2/lbaas/loadbalancers/not-a-uuid' })).json().faultstring, 'Load Balancer not-a-uuid not found.');
  assert.deepEqual((await t.app.inject({ method: 'GET', url: '/v2/lbaas/nonexistent' })).json(), { code: 404, title: 'Not Found', description: '' });
  const m = await t.app.inject({ method: 'PATCH', url: '/v2/lbaas/loadbalancers/00000000-0000-0000-0000-000000000000', payload: {} });
  assert.equal(m.statusCode, 405);
});

test('writes to a PENDING load balancer get 409; update and delete go through the agent', async () => {
  const lb = (await post({ loadbalancer: { name: 'busy', vip_subnet_id: t.subnetId } })).json().loadbalancer;
  const early = await t.app.inject({ method: 'PUT', url: `/v2/lbaas/loadbalancers/${lb.id}`, payload: { loadbalancer: { name: 'x' } } });
  if (early.statusCode !== 200) {
    assert.equal(early.statusCode, 409);
    assert.equal(early.json().faultstring, `Load Balancer ${lb.id} is immutable and cannot be updated.`);
  }
  await waitFor(t.app, `/v2/lbaas/loadbalancers/${lb.id}`, 'loadbalancer', 'ACTIVE');
  const put = await t.app.inject({ method: 'PUT', url: `/v2/lbaas/loadbalancers/${lb.id}`, payload: { loadbalancer: { name: 'renamed', tags: ['a'] } } });
  assert.equal(put.statusCode, 200);
  assert.equal(put.json().loadbalancer.provisioning_status, 'PENDING_UPDATE');
  assert.equal(put.json().loadbalancer.name, 'renamed');
  await waitFor(t.app, `/v2/lbaas/loadbalancers/${lb.id}`, 'loadbalancer', 'ACTIVE');
  const del = await t.app.inject({ method: 'DELETE', url: `/v2/lbaas/loadbalancers/${lb.id}` });
  assert.equal(del.statusCode, 204);
  assert.equal(del.body, '');
  await waitFor(t.app, `/v2/lbaas/loadbalancers/${lb.id}`, 'loadbalancer', 'DELETED');
  assert.equal(await t.store.get('port', lb.vip_port_id), undefined, 'the VIP port is freed');
});

test('lists: filters, sort, limit/marker links, fields, tags', async () => {
  for (const name of ['zeta', 'alpha', 'mid']) {
    const r = await post({ loadbalancer: { name, vip_subnet_id: t.subnetId, tags: name === 'mid' ? ['blue'] : ['red'] } });
    await waitFor(t.app, `/v2/lbaas/loadbalancers/${r.json().loadbalancer.id}`, 'loadbalancer', 'ACTIVE');
  }
  const get = async (q: string) => (await t.app.inject({ method: 'GET', url: `/v2/lbaas/loadbalancers?${q}` })).json();
  assert.deepEqual((await get('name=alpha')).loadbalancers.map((l: { name: string }) => l.name), ['alpha']);
  const page1 = await get('limit=1&sort=name:asc&tags-any=red,blue');
  assert.equal(page1.loadbalancers[0].name, 'alpha');
  assert.equal(page1.loadbalancers_links[0].rel, 'next');
  // Octavia's links carry limit, sort and marker but not the filters: the client repeats them.
  const next = new URL(page1.loadbalancers_links[0].href);
  const page2 = await get(`${next.search.slice(1)}&tags-any=red,blue`);
  assert.equal(page2.loadbalancers[0].name, 'mid');
  assert.deepEqual(page2.loadbalancers_links.map((l: { rel: string }) => l.rel), ['previous', 'next']);
  assert.deepEqual(Object.keys((await get('fields=id&fields=name&name=zeta')).loadbalancers[0]).sort(), ['id', 'name']);
  assert.deepEqual((await get('not-tags=red&tags=blue')).loadbalancers.map((l: { name: string }) => l.name), ['mid']);
  const bad = await t.app.inject({ method: 'GET', url: '/v2/lbaas/loadbalancers?sort=bogus:asc' });
  assert.equal(bad.statusCode, 400);
  assert.equal(bad.json().faultstring, "Supplied sort key 'bogus' is not valid.");
  assert.equal((await t.app.inject({ method: 'GET', url: '/v2.0/lbaas/loadbalancers?name=alpha' })).json().loadbalancers.length, 1, 'also under /v2.0');
});

test('status tree, stats, providers and version documents', async () => {
  const lb = (await post({ loadbalancer: { name: 'st', vip_subnet_id: t.subnetId } })).json().loadbalancer;
  await waitFor(t.app, `/v2/lbaas/loadbalancers/${lb.id}`, 'loadbalancer', 'ACTIVE');
  const st = (await t.app.inject({ method: 'GET', url: `/v2/lbaas/loadbalancers/${lb.id}/status` })).json();
  assert.deepEqual(st, { statuses: { loadbalancer: { id: lb.id, name: 'st', operating_status: 'OFFLINE', provisioning_status: 'ACTIVE', listeners: [] } } });
  const stats = (await t.app.inject({ method: 'GET', url: `/v2/lbaas/loadbalancers/${lb.id}/stats` })).json();
  assert.deepEqual(stats, { stats: { bytes_in: 0, bytes_out: 0, active_connections: 0, total_connections: 0, request_errors: 0 } });
  assert.equal((await t.app.inject({ method: 'GET', url: '/v2/lbaas/providers' })).json().providers[0].name, 'noop');
  const versions = (await t.app.inject({ method: 'GET', url: '/' })).json().versions;
  assert.equal(versions.at(-1).id, 'v2.26');
  assert.equal(versions.at(-1).status, 'CURRENT');
  assert.equal((await t.app.inject({ method: 'GET', url: '/v2' })).body, '"v2"');
  assert.equal((await t.app.inject({ method: 'GET', url: '/healthcheck' })).statusCode, 200);
});

test('deleting a load balancer with children needs cascade', async () => {
  const lb = (await post({ loadbalancer: { vip_subnet_id: t.subnetId } })).json().loadbalancer;
  await waitFor(t.app, `/v2/lbaas/loadbalancers/${lb.id}`, 'loadbalancer', 'ACTIVE');
  // A child row (the listener API comes with its own routes) is enough for the rule.
  await t.store.transaction(async (tx) => {
    await tx.insert('pool', {
      id: '0d3c6a41-8d7c-4c0e-9d4f-6a3b5f0b8d11' as never, loadBalancerId: lb.id, projectId: PROJECT, name: '', description: '',
      adminStateUp: true, provisioningStatus: 'ACTIVE', operatingStatus: 'ONLINE', tags: [], createdAt: '2026-01-01T00:00:00.000',
      updatedAt: null, protocol: 'HTTP', lbAlgorithm: 'ROUND_ROBIN', sessionPersistence: null, tlsContainerRef: null,
      caTlsContainerRef: null, crlContainerRef: null, tlsEnabled: false, tlsCiphers: null, tlsVersions: null, alpnProtocols: null,
    });
  });
  const r = await t.app.inject({ method: 'DELETE', url: `/v2/lbaas/loadbalancers/${lb.id}` });
  assert.equal(r.statusCode, 400);
  assert.equal(r.json().faultstring, `Validation failure: Cannot delete Load Balancer ${lb.id} - it has children`);
  assert.equal((await t.app.inject({ method: 'DELETE', url: `/v2/lbaas/loadbalancers/${lb.id}?cascade=true` })).statusCode, 204);
  await waitFor(t.app, `/v2/lbaas/loadbalancers/${lb.id}`, 'loadbalancer', 'DELETED');
  assert.equal(await t.store.get('pool', '0d3c6a41-8d7c-4c0e-9d4f-6a3b5f0b8d11'), undefined);
});
