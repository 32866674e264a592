/** @module api/octavia/members.test — the member API end to end on SQLite with the noop agent. */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  activeLoadBalancer, call, holdStatus, makeTestApi, PROJECT, settled, waitFor, type TestApi,
} from '../../../test/helpers/fixtures.js';

let t: TestApi;
before(async () => { t = await makeTestApi(); });
after(async () => { await t.close(); });

const MEMBER_KEYS = [
  'address', 'admin_state_up', 'backup', 'created_at', 'id', 'monitor_address', 'monitor_port', 'name', 'operating_status',
  'project_id', 'protocol_port', 'provisioning_status', 'subnet_id', 'tags', 'tenant_id', 'updated_at', 'weight',
];

/** An ACTIVE load balancer with an HTTP listener and its default pool. */
async function poolOn(name: string): Promise<{ lbId: string; listenerId: string; poolId: string }> {
  const lb = await activeLoadBalancer(t, { name });
  const l = await call(t.app, 'POST', '/v2/lbaas/listeners', { listener: { protocol: 'HTTP', protocol_port: 80, loadbalancer_id: lb.id } });
  await settled(t, lb.id);
  const p = await call(t.app, 'POST', '/v2/lbaas/pools', { pool: { protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN', listener_id: l.body.listener.id } });
  await settled(t, lb.id);
  return { lbId: lb.id, listenerId: l.body.listener.id, poolId: p.body.pool.id };
}

test('members: create, show, list, update and delete, each through the agent to ACTIVE', async () => {
  const { lbId, listenerId, poolId } = await poolOn('m-crud');
  const base = `/v2/lbaas/pools/${poolId}/members`;
  const r = await call(t.app, 'POST', base, { member: { name: 'm1', address: '192.0.2.10', protocol_port: 8080, weight: 1 } });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  const m1 = r.body.member;
  assert.deepEqual(Object.keys(m1).sort(), MEMBER_KEYS);
  // As the reference body 13-member-create-1.json.
  assert.deepEqual({ ...m1, id: undefined, created_at: undefined }, {
    id: undefined, name: 'm1', operating_status: 'NO_MONITOR', provisioning_status: 'PENDING_CREATE', admin_state_up: true,
    address: '192.0.2.10', protocol_port: 8080, weight: 1, backup: false, subnet_id: null, project_id: PROJECT,
    created_at: undefined, updated_at: null, monitor_address: null, monitor_port: null, tags: [], tenant_id: PROJECT,
  });
  // The pool and its listener are part of the change (Octavia marks them PENDING_UPDATE).
  const pool = (await t.store.get('pool', poolId))!;
  assert.ok(['PENDING_UPDATE', 'ACTIVE'].includes(pool.provisioningStatus));
  await waitFor(t.app, `${base}/${m1.id}`, 'member', 'ACTIVE');
  await settled(t, lbId);
  assert.equal((await call(t.app, 'GET', `/v2/lbaas/listeners/${listenerId}`)).body.listener.provisioning_status, 'ACTIVE');

  const m2 = (await call(t.app, 'POST', base, { member: { name: 'm2', address: '192.0.2.11', protocol_port: 8080, weight: 2, subnet_id: t.subnetId } })).body.member;
  assert.equal(m2.subnet_id, t.subnetId);
  await settled(t, lbId);
  const listed = await call(t.app, 'GET', base);
  assert.deepEqual(listed.body.members.map((m: { name: string }) => m.name), ['m1', 'm2']);
  assert.deepEqual(listed.body.members_links, []);
  assert.deepEqual((await call(t.app, 'GET', `${base}?weight=2&fields=name`)).body.members, [{ name: 'm2' }]);
  const page = await call(t.app, 'GET', `${base}?limit=1`);
  assert.equal(page.body.members.length, 1);
  assert.equal(page.body.members_links[0].rel, 'next');
  assert.equal((await call(t.app, 'GET', `/v2/lbaas/pools/${poolId}`)).body.pool.members.length, 2);

  const put = await call(t.app, 'PUT', `${base}/${m2.id}`, { member: { weight: null, backup: true, admin_state_up: false, name: 'm2b' } });
  assert.equal(put.status, 200);
  assert.equal(put.body.member.weight, 1, 'null weight resets to the default');
  assert.equal(put.body.member.backup, true);
  assert.equal(put.body.member.provisioning_status, 'PENDING_UPDATE');
  const updated = await waitFor(t.app, `${base}/${m2.id}`, 'member', 'ACTIVE');
  assert.equal(updated.operating_status, 'OFFLINE', 'an administratively down member is OFFLINE');
  await settled(t, lbId);
  const readOnly = await call(t.app, 'PUT', `${base}/${m2.id}`, { member: { address: '192.0.2.99' } });
  assert.equal(readOnly.status, 400);
  assert.equal(readOnly.body.faultstring, 'Unknown attribute for argument member_.member: address');

  assert.equal((await call(t.app, 'DELETE', `${base}/${m1.id}`)).status, 204);
  await waitFor(t.app, `${base}/${m1.id}`, 'member', 'DELETED');
  await settled(t, lbId);
  assert.deepEqual((await call(t.app, 'GET', base)).body.members.map((m: { id: string }) => m.id), [m2.id]);
});

test('409: a duplicate address and port, a pending pool, a pending load balancer', async () => {
  const { lbId, poolId } = await poolOn('m-409');
  const base = `/v2/lbaas/pools/${poolId}/members`;
  assert.equal((await call(t.app, 'POST', base, { member: { address: '192.0.2.10', protocol_port: 8080 } })).status, 201);
  await settled(t, lbId);
  const dup = await call(t.app, 'POST', base, { member: { address: '192.0.2.10', protocol_port: 8080 } });
  assert.equal(dup.status, 409);
  assert.deepEqual(dup.body, { faultcode: 'Client', faultstring: 'Another member on this pool is already using ip 192.0.2.10 on protocol_port 8080', debuginfo: null });
  assert.equal((await call(t.app, 'POST', base, { member: { address: '192.0.2.10', protocol_port: 8081 } })).status, 201);
  await settled(t, lbId);

  const restorePool = await holdStatus(t.store, 'pool', poolId, 'PENDING_UPDATE');
  const poolBusy = await call(t.app, 'POST', base, { member: { address: '192.0.2.12', protocol_port: 80 } });
  assert.equal(poolBusy.status, 409);
  assert.equal(poolBusy.body.faultstring, `Pool ${poolId} is immutable and cannot be updated.`);
  await restorePool();
  const restoreLb = await holdStatus(t.store, 'loadbalancer', lbId, 'PENDING_UPDATE');
  const lbBusy = await call(t.app, 'POST', base, { member: { address: '192.0.2.12', protocol_port: 80 } });
  assert.equal(lbBusy.status, 409);
  assert.equal(lbBusy.body.faultstring, `Load Balancer ${lbId} is immutable and cannot be updated.`);
  await restoreLb();
  assert.equal((await call(t.app, 'GET', base)).body.members.length, 2, 'nothing written');
});

test('bad input gets 400 (404 for an unknown subnet, as Octavia) naming the field, and writes nothing', async () => {
  const { poolId } = await poolOn('m-400');
  const base = `/v2/lbaas/pools/${poolId}/members`;
  const cases: [Record<string, unknown>, number, string | RegExp][] = [
    [{ address: 'not-an-ip', protocol_port: 8080 }, 400, "Invalid input for field/attribute address. Value: 'not-an-ip'. Value should be IPv4 or IPv6 format"],
    [{ address: '169.254.169.254', protocol_port: 80 }, 400, '169.254.169.254 is not a valid option for member address'],
    [{ address: '192.0.2.1', protocol_port: 80, weight: 257 }, 400, "Invalid input for field/attribute weight. Value: '257'. Value should be lower or equal to 256"],
    [{ address: '192.0.2.1', protocol_port: 70000 }, 400, /field\/attribute protocol_port.*lower or equal to 65535/],
    [{ address: '192.0.2.1', protocol_port: 80, monitor_port: 0 }, 400, /field\/attribute monitor_port.*greater or equal to 1/],
    [{ address: '192.0.2.1', protocol_port: 80, backup: 'no' }, 400, /field\/attribute backup.*Value should be a boolean/],
    [{ address: '192.0.2.1', protocol_port: 80, subnet_id: 'x' }, 400, "Invalid input for field/attribute subnet_id. Value: 'x'. Value should be UUID format"],
    [{ address: '192.0.2.1', protocol_port: 80, description: 'members have none' }, 400, 'Unknown attribute for argument member_.member: description'],
    [{ protocol_port: 80 }, 400, "Invalid input for field/attribute address. Value: 'None'. Mandatory field missing."],
    [{ address: '192.0.2.1', protocol_port: 80, subnet_id: '11111111-2222-3333-4444-555555555555' }, 404, 'Subnet 11111111-2222-3333-4444-555555555555 not found.'],
  ];
  for (const [member, status, message] of cases) {
    const r = await call(t.app, 'POST', base, { member });
    assert.equal(r.status, status, `${JSON.stringify(member)} → ${JSON.stringify(r.body)}`);
    if (typeof message === 'string') assert.equal(r.body.faultstring, message);
    else assert.match(r.body.faultstring, message);
  }
  assert.deepEqual((await call(t.app, 'GET', base)).body.members, []);
  const noPool = await call(t.app, 'POST', '/v2/lbaas/pools/00000000-0000-0000-0000-000000000000/members', { member: { address: '192.0.2.1', protocol_port: 80 } });
  assert.equal(noPool.status, 404);
  assert.equal(noPool.body.faultstring, 'Pool 00000000-0000-0000-0000-000000000000 not found.');
  assert.equal((await call(t.app, 'GET', '/v2/lbaas/pools/00000000-0000-0000-0000-000000000000/members')).status, 404);
});

test('a member is only found under its own pool; members of a monitored pool start OFFLINE', async () => {
  const a = await poolOn('m-scope-a');
  const b = await poolOn('m-scope-b');
  await call(t.app, 'POST', '/v2/lbaas/healthmonitors', { healthmonitor: { pool_id: b.poolId, type: 'TCP', delay: 5, timeout: 3, max_retries: 3 } });
  await settled(t, b.lbId);
  const m = (await call(t.app, 'POST', `/v2/lbaas/pools/${b.poolId}/members`, { member: { address: '2001:db8::5', protocol_port: 80 } })).body.member;
  assert.equal(m.operating_status, 'OFFLINE');
  await settled(t, b.lbId);
  const wrong = await call(t.app, 'GET', `/v2/lbaas/pools/${a.poolId}/members/${m.id}`);
  assert.equal(wrong.status, 404);
  assert.equal(wrong.body.faultstring, `Member ${m.id} not found.`);
  assert.equal((await call(t.app, 'DELETE', `/v2/lbaas/pools/${a.poolId}/members/${m.id}`)).status, 404);
  const right = await call(t.app, 'GET', `/v2/lbaas/pools/${b.poolId}/members/${m.id}`);
  assert.equal(right.body.member.operating_status, 'ONLINE', 'the noop provider reports monitored members ONLINE');
  const tree = await call(t.app, 'GET', `/v2/lbaas/loadbalancers/${b.lbId}/status`);
  assert.deepEqual(tree.body.statuses.loadbalancer.listeners[0].pools[0].members, [
    { id: m.id, name: '', operating_status: 'ONLINE', provisioning_status: 'ACTIVE', address: '2001:db8::5', protocol_port: 80 },
  ]);
});

test('a member on another subnet gives the load balancer a port there (as Octavia plugs the amphora), freed with the last such member', async () => {
  const { lbId, poolId } = await poolOn('m-subnet');
  const net = (await call(t.app, 'POST', '/v2.0/networks', { network: { name: 'webserver', mtu: 9000 } })).body.network.id;
  const subnet = (await call(t.app, 'POST', '/v2.0/subnets', { subnet: { network_id: net, ip_version: 4, cidr: '10.93.48.0/24' } })).body.subnet.id;
  // The web servers' own ports (their VMs') hold .2 and .3.
  for (let i = 0; i < 2; i++) await call(t.app, 'POST', '/v2.0/ports', { port: { network_id: net, device_owner: 'compute:nova' } });
  const base = `/v2/lbaas/pools/${poolId}/members`;
  const a = await call(t.app, 'POST', base, { member: { address: '10.93.48.2', protocol_port: 80, subnet_id: subnet } });
  await settled(t, lbId);
  const b = await call(t.app, 'POST', base, { member: { address: '10.93.48.3', protocol_port: 80, subnet_id: subnet } });
  await settled(t, lbId);
  const ports = async () => (await call(t.app, 'GET', `/v2.0/ports?device_id=${lbId}&network_id=${net}`)).body.ports;
  const [port] = await ports();
  assert.equal((await ports()).length, 1, 'one port per member subnet, whatever the number of members');
  assert.equal(port.device_owner, 'Octavia');
  assert.equal(port.fixed_ips[0].subnet_id, subnet);
  assert.equal(port.fixed_ips[0].ip_address, '10.93.48.4', 'the first free address (.1 is the gateway)');
  const graph = await t.store.loadGraph(lbId);
  assert.deepEqual(graph?.memberPorts.map((p) => p.id), [port.id]);
  assert.ok(graph?.subnets.some((s) => s.id === subnet));
  assert.equal(graph?.networks.find((n) => n.id === net)?.mtu, 9000, 'the member port\'s network is in the graph, for its MTU');
  await call(t.app, 'DELETE', `${base}/${a.body.member.id}`);
  await settled(t, lbId);
  assert.equal((await ports()).length, 1, 'still needed by the other member');
  await call(t.app, 'DELETE', `${base}/${b.body.member.id}`);
  await settled(t, lbId);
  assert.equal((await ports()).length, 0);
});

/** The pool's members as `address:port → member` (wire shape). */
async function membersByKey(poolId: string): Promise<Map<string, Record<string, any>>> {
  const list = (await call(t.app, 'GET', `/v2/lbaas/pools/${poolId}/members`)).body.members as Record<string, any>[];
  return new Map(list.map((m) => [`${m.address}:${m.protocol_port}`, m]));
}

test('batch update: matched members updated, new ones created, the rest deleted, in one change (202, no body)', async () => {
  const { lbId, poolId } = await poolOn('m-batch');
  const base = `/v2/lbaas/pools/${poolId}/members`;
  const gen = async () => (await t.store.get('loadbalancer', lbId))!.generation;
  const g0 = await gen();
  const first = await call(t.app, 'PUT', base, { members: [
    { address: '192.0.2.1', protocol_port: 80, name: 'a', weight: 3 },
    { address: '192.0.2.2', protocol_port: 80, name: 'b', backup: true },
    { address: '192.0.2.3', protocol_port: 80, name: 'c', admin_state_up: false, tags: ['t'] },
  ] });
  assert.equal(first.status, 202, JSON.stringify(first.body));
  assert.equal(first.body, null, 'no body, as Octavia');
  assert.equal(await gen(), g0 + 1, 'one generation for the whole batch');
  await settled(t, lbId);
  const before = await membersByKey(poolId);
  assert.deepEqual([...before.keys()].sort(), ['192.0.2.1:80', '192.0.2.2:80', '192.0.2.3:80']);
  assert.ok([...before.values()].every((m) => m.provisioning_status === 'ACTIVE'));
  assert.equal(before.get('192.0.2.1:80')!.weight, 3);

  // a: updated (weight left out → Octavia's default 1); b: deleted; c: name and admin state; d: new.
  const g1 = await gen();
  const second = await call(t.app, 'PUT', `${base}?additive_only=false`, { members: [
    { address: '192.0.2.1', protocol_port: 80 },
    { address: '192.0.2.3', protocol_port: 80, name: 'c2' },
    { address: '192.0.2.4', protocol_port: 8080, name: 'd', weight: 7 },
  ] });
  assert.equal(second.status, 202);
  assert.equal(await gen(), g1 + 1);
  const pending = await membersByKey(poolId);
  assert.equal(pending.get('192.0.2.1:80')!.provisioning_status, 'PENDING_UPDATE');
  assert.equal(pending.get('192.0.2.2:80')!.provisioning_status, 'PENDING_DELETE');
  assert.equal(pending.get('192.0.2.4:8080')!.provisioning_status, 'PENDING_CREATE');
  assert.equal((await call(t.app, 'GET', `/v2/lbaas/pools/${poolId}`)).body.pool.provisioning_status, 'PENDING_UPDATE');
  await settled(t, lbId);
  const after = await membersByKey(poolId);
  assert.deepEqual([...after.keys()].sort(), ['192.0.2.1:80', '192.0.2.3:80', '192.0.2.4:8080']);
  const a = after.get('192.0.2.1:80')!;
  assert.equal(a.id, before.get('192.0.2.1:80')!.id, 'matched on address and port: the same member');
  assert.equal(a.weight, 1);
  assert.equal(a.name, 'a', 'a name left out is kept');
  const c = after.get('192.0.2.3:80')!;
  assert.equal(c.name, 'c2');
  assert.equal(c.admin_state_up, true, 'admin_state_up left out → true');
  assert.deepEqual(c.tags, ['t'], 'tags left out are kept');
  assert.equal(after.get('192.0.2.4:8080')!.weight, 7);
  assert.ok([...after.values()].every((m) => m.provisioning_status === 'ACTIVE'));

  // additive_only: members the list leaves out stay as they are (not even PENDING_UPDATE).
  const g2 = await gen();
  const additive = await call(t.app, 'PUT', `${base}?additive_only=True`, { members: [{ address: '192.0.2.5', protocol_port: 80 }] });
  assert.equal(additive.status, 202);
  assert.equal(await gen(), g2 + 1);
  const kept = await membersByKey(poolId);
  assert.equal(kept.size, 4);
  assert.equal(kept.get('192.0.2.1:80')!.provisioning_status, 'ACTIVE');
  assert.equal(kept.get('192.0.2.1:80')!.updated_at, a.updated_at);
  await settled(t, lbId);

  // An empty list deletes everything; on an empty pool it is a no-op (no change at all).
  assert.equal((await call(t.app, 'PUT', base, { members: [] })).status, 202);
  await settled(t, lbId);
  assert.equal((await membersByKey(poolId)).size, 0);
  const g3 = await gen();
  assert.equal((await call(t.app, 'PUT', base, { members: [] })).status, 202);
  assert.equal(await gen(), g3, 'a batch that changes nothing is no change');
});

test('batch update: bad entries get the API error naming the field, and nothing is written', async () => {
  const { lbId, poolId } = await poolOn('m-batch-400');
  const base = `/v2/lbaas/pools/${poolId}/members`;
  assert.equal((await call(t.app, 'PUT', base, { members: [{ address: '192.0.2.1', protocol_port: 80, weight: 2 }] })).status, 202);
  await settled(t, lbId);
  const gen = (await t.store.get('loadbalancer', lbId))!.generation;
  const ok = { address: '192.0.2.9', protocol_port: 80 };
  const cases: [unknown, number, string | RegExp][] = [
    [{ members: [ok, { address: 'not-an-ip', protocol_port: 80 }] }, 400, "Invalid input for field/attribute address. Value: 'not-an-ip'. Value should be IPv4 or IPv6 format"],
    [{ members: [ok, { address: '192.0.2.2', protocol_port: 80, weight: 257 }] }, 400, "Invalid input for field/attribute weight. Value: '257'. Value should be lower or equal to 256"],
    [{ members: [ok, { address: '192.0.2.2' }] }, 400, "Invalid input for field/attribute protocol_port. Value: 'None'. Mandatory field missing."],
    [{ members: [ok, { address: '192.0.2.2', protocol_port: 80, description: 'x' }] }, 400, 'Unknown attribute for argument members_.members: description'],
    [{ members: [ok, { address: '169.254.169.254', protocol_port: 80 }] }, 400, '169.254.169.254 is not a valid option for member address'],
    [{ members: [ok, { address: '192.0.2.2', protocol_port: 80, subnet_id: '11111111-2222-3333-4444-555555555555' }] }, 404, 'Subnet 11111111-2222-3333-4444-555555555555 not found.'],
    [{ members: [ok, ok] }, 409, 'Another member on this pool is already using ip 192.0.2.9 on protocol_port 80'],
    [{ member: ok }, 400, /Unknown attribute for argument members_.members: member|Mandatory field missing/],
    [{ members: ok }, 400, /field\/attribute members/],
  ];
  for (const [body, status, message] of cases) {
    const r = await call(t.app, 'PUT', base, body);
    assert.equal(r.status, status, `${JSON.stringify(body)} → ${JSON.stringify(r.body)}`);
    if (typeof message === 'string') assert.equal(r.body.faultstring, message);
    else assert.match(r.body.faultstring, message);
  }
  const restore = await holdStatus(t.store, 'pool', poolId, 'PENDING_UPDATE');
  const busy = await call(t.app, 'PUT', base, { members: [ok] });
  assert.equal(busy.status, 409);
  assert.equal(busy.body.faultstring, `Pool ${poolId} is immutable and cannot be updated.`);
  await restore();
  assert.equal((await t.store.get('loadbalancer', lbId))!.generation, gen, 'no change');
  const members = [...(await membersByKey(poolId)).values()];
  assert.deepEqual(members.map((m) => [m.address, m.weight, m.provisioning_status]), [['192.0.2.1', 2, 'ACTIVE']]);
  assert.equal((await call(t.app, 'PUT', '/v2/lbaas/pools/00000000-0000-0000-0000-000000000000/members', { members: [ok] })).status, 404);
});

test('batch update: new members count against the member quota (403, nothing written), as creates do', async () => {
  const { lbId, poolId } = await poolOn('m-batch-quota');
  const base = `/v2/lbaas/pools/${poolId}/members`;
  const project = (await t.store.get('loadbalancer', lbId))!.projectId;
  const owned = (await t.store.list('member', { limit: null })).filter((m) => m.projectId === project).length;
  assert.equal((await call(t.app, 'PUT', `/v2/lbaas/quotas/${project}`, { quota: { member: owned + 2 } })).status, 202);
  try {
    const gen = (await t.store.get('loadbalancer', lbId))!.generation;
    const three = [1, 2, 3].map((i) => ({ address: `192.0.2.${40 + i}`, protocol_port: 80 }));
    const over = await call(t.app, 'PUT', base, { members: three });
    assert.equal(over.status, 403, JSON.stringify(over.body));
    assert.match(over.body.faultstring, /Quota has been met for resources: Member/);
    assert.equal((await t.store.get('loadbalancer', lbId))!.generation, gen, 'no change');
    assert.equal((await membersByKey(poolId)).size, 0, 'nothing written');
    assert.equal((await call(t.app, 'PUT', base, { members: three.slice(0, 2) })).status, 202, 'within the quota');
    await settled(t, lbId);
  } finally {
    await call(t.app, 'DELETE', `/v2/lbaas/quotas/${project}`);
  }
});
