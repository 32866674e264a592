/** @module api/network/routes.test — the Neutron-compatible networks, subnets and ports end to end on SQLite. */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { call, makeTestApi, PROJECT, waitFor, type TestApi } from '../../../test/helpers/fixtures.js';

let t: TestApi;
before(async () => { t = await makeTestApi(); });
after(async () => { await t.close(); });

const counts = async () => ({
  networks: (await call(t.app, 'GET', '/v2.0/networks')).body.networks.length,
  subnets: (await call(t.app, 'GET', '/v2.0/subnets')).body.subnets.length,
  ports: (await call(t.app, 'GET', '/v2.0/ports')).body.ports.length,
});

async function network(name: string): Promise<string> {
  const r = await call(t.app, 'POST', '/v2.0/networks', { network: { name } });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.body.network.id;
}

test('network create, lookup by name, show, update and Neutron\'s shape', async () => {
  const r = await call(t.app, 'POST', '/v2.0/networks', { network: { name: 'web', admin_state_up: true } });
  assert.equal(r.status, 201);
  const n = r.body.network;
  assert.deepEqual(Object.keys(n).sort(), [
    'admin_state_up', 'availability_zone_hints', 'availability_zones', 'created_at', 'description', 'id',
    'ipv4_address_scope', 'ipv6_address_scope', 'mtu', 'name', 'port_security_enabled', 'project_id', 'revision_number',
    'router:external', 'shared', 'status', 'subnets', 'tags', 'tenant_id', 'updated_at',
  ]);
  assert.equal(n.project_id, PROJECT);
  assert.equal(n.status, 'ACTIVE');
  assert.match(n.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  const byName = await call(t.app, 'GET', '/v2.0/networks?name=web');
  assert.deepEqual(byName.body.networks.map((x: { id: string }) => x.id), [n.id]);
  assert.equal(byName.body.networks_links, undefined, 'links only on paginated lists, as Neutron');
  const upd = await call(t.app, 'PUT', `/v2.0/networks/${n.id}`, { network: { name: 'web2', description: 'front' } });
  assert.equal(upd.status, 200);
  assert.equal(upd.body.network.name, 'web2');
  const fields = await call(t.app, 'GET', `/v2.0/networks/${n.id}?fields=id&fields=name`);
  assert.deepEqual(fields.body.network, { id: n.id, name: 'web2' });
});

test('IPv4 subnet: default gateway and pool; IPv6 subnet; the network lists its subnets', async () => {
  const net = await network('dual');
  const v4 = await call(t.app, 'POST', '/v2.0/subnets', { subnet: { network_id: net, ip_version: 4, cidr: '192.168.10.0/24', name: 's4' } });
  assert.equal(v4.status, 201, JSON.stringify(v4.body));
  assert.equal(v4.body.subnet.gateway_ip, '192.168.10.1');
  assert.deepEqual(v4.body.subnet.allocation_pools, [{ start: '192.168.10.2', end: '192.168.10.254' }]);
  const v6 = await call(t.app, 'POST', '/v2.0/subnets', { subnet: { network_id: net, ip_version: 6, cidr: 'fd00:AB::/64' } });
  assert.equal(v6.status, 201, JSON.stringify(v6.body));
  assert.equal(v6.body.subnet.cidr, 'fd00:ab::/64');
  assert.equal(v6.body.subnet.gateway_ip, 'fd00:ab::1');
  const shown = await call(t.app, 'GET', `/v2.0/networks/${net}`);
  assert.deepEqual(shown.body.network.subnets.sort(), [v4.body.subnet.id, v6.body.subnet.id].sort());
  const filtered = await call(t.app, 'GET', `/v2.0/subnets?network_id=${net}&ip_version=6`);
  assert.deepEqual(filtered.body.subnets.map((s: { id: string }) => s.id), [v6.body.subnet.id]);
});

test('bad subnets get Neutron\'s 400 naming the field, and nothing is written', async () => {
  const net = await network('bad');
  await call(t.app, 'POST', '/v2.0/subnets', { subnet: { network_id: net, ip_version: 4, cidr: '10.20.0.0/16' } });
  const before = await counts();
  const cases: [unknown, RegExp][] = [
    [{ subnet: { network_id: net, ip_version: 4, cidr: '10.21.0.0/33' } }, /Invalid input for cidr/],
    [{ subnet: { network_id: net, ip_version: 4, cidr: '10.21.0.5/24' } }, /cidr/],
    [{ subnet: { network_id: net, ip_version: 6, cidr: '10.21.0.0/24' } }, /ip_version/],
    [{ subnet: { network_id: net, ip_version: 4, cidr: '10.20.128.0/24' } }, /overlaps with another subnet/],
    [{ subnet: { network_id: net, ip_version: 4, cidr: '10.22.0.0/24', gateway_ip: '10.23.0.1' } }, /Gateway IP/i],
    [{ subnet: { network_id: net, ip_version: 4, cidr: '10.22.0.0/24', allocation_pools: [{ start: '10.22.0.10', end: '10.22.1.5' }] } }, /allocation pool/],
    [{ subnet: { network_id: net, cidr: '10.22.0.0/24' } }, /Required attribute 'ip_version' not specified/],
    [{ subnet: { network_id: net, ip_version: 4, cidr: '10.22.0.0/24', colour: 'red' } }, /Unrecognized attribute\(s\) 'colour'/],
    [{ subnet: { network_id: 'nope', ip_version: 4, cidr: '10.22.0.0/24' } }, /network_id.*not a valid UUID/],
    [{ subnet: { network_id: net, ip_version: 4, cidr: '10.22.0.0/24', enable_dhcp: 'yes' } }, /enable_dhcp.*boolean/],
    [{ subnets: {} }, /Unable to find 'subnet' in request body/],
  ];
  for (const [body, message] of cases) {
    const r = await call(t.app, 'POST', '/v2.0/subnets', body);
    assert.equal(r.status, 400, `${JSON.stringify(body)} → ${r.status} ${JSON.stringify(r.body)}`);
    assert.match(r.body.NeutronError.message, message, JSON.stringify(body));
    assert.equal(r.body.NeutronError.detail, '');
  }
  const missing = await call(t.app, 'POST', '/v2.0/subnets', { subnet: { network_id: '0b9e4a6a-2b1c-4d5e-8f70-1a2b3c4d5e6f', ip_version: 4, cidr: '10.22.0.0/24' } });
  assert.equal(missing.status, 404);
  assert.equal(missing.body.NeutronError.type, 'NetworkNotFound');
  assert.deepEqual(await counts(), before);
});

test('ports: allocation from the pools, asked addresses, conflicts, and freeing on delete', async () => {
  const net = await network('ports');
  const s = (await call(t.app, 'POST', '/v2.0/subnets', { subnet: { network_id: net, ip_version: 4, cidr: '10.30.0.0/29' } })).body.subnet;
  const a = await call(t.app, 'POST', '/v2.0/ports', { port: { network_id: net, name: 'a', device_owner: 'compute:nova' } });
  assert.equal(a.status, 201);
  assert.deepEqual(a.body.port.fixed_ips, [{ subnet_id: s.id, ip_address: '10.30.0.2' }]);
  assert.match(a.body.port.mac_address, /^fa:16:3e(:[0-9a-f]{2}){3}$/);
  const b = await call(t.app, 'POST', '/v2.0/ports', { port: { network_id: net, fixed_ips: [{ ip_address: '10.30.0.5' }] } });
  assert.deepEqual(b.body.port.fixed_ips, [{ subnet_id: s.id, ip_address: '10.30.0.5' }]);
  const taken = await call(t.app, 'POST', '/v2.0/ports', { port: { network_id: net, fixed_ips: [{ subnet_id: s.id, ip_address: '10.30.0.5' }] } });
  assert.equal(taken.status, 409);
  assert.equal(taken.body.NeutronError.type, 'IpAddressAlreadyAllocated');
  const outside = await call(t.app, 'POST', '/v2.0/ports', { port: { network_id: net, fixed_ips: [{ subnet_id: s.id, ip_address: '10.31.0.5' }] } });
  assert.equal(outside.status, 400);
  assert.equal(outside.body.NeutronError.type, 'InvalidIpForSubnet');
  // .1 is the gateway; .2 and .5 are taken; the pool .2–.6 has .3, .4, .6 left.
  for (const want of ['10.30.0.3', '10.30.0.4', '10.30.0.6']) {
    const r = await call(t.app, 'POST', '/v2.0/ports', { port: { network_id: net } });
    assert.equal(r.body.port.fixed_ips[0].ip_address, want);
  }
  const full = await call(t.app, 'POST', '/v2.0/ports', { port: { network_id: net } });
  assert.equal(full.status, 409);
  assert.equal(full.body.NeutronError.type, 'IpAddressGenerationFailure');
  assert.equal((await call(t.app, 'DELETE', `/v2.0/ports/${b.body.port.id}`)).status, 204);
  const again = await call(t.app, 'POST', '/v2.0/ports', { port: { network_id: net } });
  assert.equal(again.body.port.fixed_ips[0].ip_address, '10.30.0.5', 'a deleted port frees its address');
  const upd = await call(t.app, 'PUT', `/v2.0/ports/${a.body.port.id}`, { port: { name: 'a2', device_id: 'vm-1' } });
  assert.equal(upd.body.port.name, 'a2');
  assert.equal(upd.body.port.device_id, 'vm-1');
  const badMac = await call(t.app, 'POST', '/v2.0/ports', { port: { network_id: net, mac_address: 'fa:16:3e:00:00:0g' } });
  assert.equal(badMac.status, 400);
  assert.match(badMac.body.NeutronError.message, /mac_address/);
});

test('in-use networks and subnets are 409; a deleted network takes its subnets', async () => {
  const net = await network('inuse');
  const s = (await call(t.app, 'POST', '/v2.0/subnets', { subnet: { network_id: net, ip_version: 4, cidr: '10.40.0.0/24' } })).body.subnet;
  const p = (await call(t.app, 'POST', '/v2.0/ports', { port: { network_id: net } })).body.port;
  const delSubnet = await call(t.app, 'DELETE', `/v2.0/subnets/${s.id}`);
  assert.equal(delSubnet.status, 409);
  assert.equal(delSubnet.body.NeutronError.type, 'SubnetInUse');
  const delNet = await call(t.app, 'DELETE', `/v2.0/networks/${net}`);
  assert.equal(delNet.status, 409);
  assert.equal(delNet.body.NeutronError.type, 'NetworkInUse');
  assert.equal((await call(t.app, 'DELETE', `/v2.0/ports/${p.id}`)).status, 204);
  assert.equal((await call(t.app, 'DELETE', `/v2.0/networks/${net}`)).status, 204);
  assert.equal((await call(t.app, 'GET', `/v2.0/subnets/${s.id}`)).status, 404);
  const gone = await call(t.app, 'GET', `/v2.0/networks/${net}`);
  assert.equal(gone.status, 404);
  assert.deepEqual(gone.body, { NeutronError: { type: 'NetworkNotFound', message: `Network ${net} could not be found.`, detail: '' } });
});

test('a load balancer\'s VIP is a real port: listed, protected while the load balancer lives, freed with it', async () => {
  const net = await network('vip');
  const s = (await call(t.app, 'POST', '/v2.0/subnets', { subnet: { network_id: net, ip_version: 4, cidr: '10.50.0.0/24' } })).body.subnet;
  const lb = (await call(t.app, 'POST', '/v2/lbaas/loadbalancers', { loadbalancer: { vip_subnet_id: s.id } })).body.loadbalancer;
  await waitFor(t.app, `/v2/lbaas/loadbalancers/${lb.id}`, 'loadbalancer', 'ACTIVE');
  const ports = (await call(t.app, 'GET', `/v2.0/ports?network_id=${net}&device_owner=Octavia`)).body.ports;
  assert.equal(ports.length, 1);
  assert.equal(ports[0].id, lb.vip_port_id);
  assert.equal(ports[0].device_id, lb.id);
  assert.deepEqual(ports[0].fixed_ips, [{ subnet_id: s.id, ip_address: lb.vip_address }]);
  const del = await call(t.app, 'DELETE', `/v2.0/ports/${lb.vip_port_id}`);
  assert.equal(del.status, 409);
  assert.equal(del.body.NeutronError.type, 'ServicePortInUse');
  assert.equal((await call(t.app, 'DELETE', `/v2/lbaas/loadbalancers/${lb.id}`)).status, 204);
  await waitFor(t.app, `/v2/lbaas/loadbalancers/${lb.id}`, 'loadbalancer', 'DELETED');
  assert.equal((await call(t.app, 'GET', `/v2.0/ports/${lb.vip_port_id}`)).status, 404);
  assert.equal((await call(t.app, 'DELETE', `/v2.0/subnets/${s.id}`)).status, 204, 'the VIP address is free again');
});

test('paginated lists carry Neutron links', async () => {
  for (const n of ['pg-a', 'pg-b', 'pg-c']) await network(n);
  const r = await call(t.app, 'GET', '/v2.0/networks?limit=2&sort_key=name&sort_dir=asc');
  assert.equal(r.body.networks.length, 2);
  assert.equal(r.body.networks_links[0].rel, 'next');
});
