/**
 * @module api/neutron-lbaas/resources.test — the Neutron LBaaS v2 view end to end on SQLite with
 * the noop provider: Neutron's shapes for each resource, one object in two views (Neutron and
 * Octavia), the seed's walkthrough as requests, and Neutron's no-cascade deletes.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { activeLoadBalancer, call, holdStatus, makeTestApi, PROJECT, settled, waitFor, type TestApi } from '../../../test/helpers/fixtures.js';

const N = '/network/v2.0/lbaas';
const O = '/v2/lbaas';

let t: TestApi;
before(async () => { t = await makeTestApi(); });
after(async () => { await t.close(); });

const keys = (o: object) => Object.keys(o).sort();
const idsOf = (xs: { id: string }[]) => xs.map((x) => x.id);

/** Waits until the load balancer is ACTIVE, read through the Neutron view. */
async function active(lbId: string): Promise<Record<string, unknown>> {
  return waitFor(t.app, `${N}/loadbalancers/${lbId}`, 'loadbalancer', 'ACTIVE');
}

async function created(path: string, body: Record<string, unknown>): Promise<any> {
  const r = await call(t.app, 'POST', path, body);
  assert.equal(r.status, 201, `${path}: ${JSON.stringify(r.body)}`);
  return r.body[Object.keys(body)[0]!];
}

describe('the seed\'s walkthrough through the Neutron LBaaS v2 API', () => {
  let lb: any;
  let listener: any;
  let pool: any;
  const members: any[] = [];
  let hm: any;

  test('lbaas-loadbalancer-create on a subnet: the seed\'s fields, PENDING_CREATE, then ACTIVE', async () => {
    lb = await created(`${N}/loadbalancers`, { loadbalancer: { name: 'lb', vip_subnet_id: t.subnetId } });
    assert.deepEqual(keys(lb), [
      'admin_state_up', 'description', 'id', 'listeners', 'name', 'operating_status', 'pools', 'project_id', 'provider',
      'provisioning_status', 'tenant_id', 'vip_address', 'vip_port_id', 'vip_subnet_id',
    ]);
    assert.deepEqual([lb.provisioning_status, lb.operating_status, lb.provider, lb.tenant_id, lb.project_id],
      ['PENDING_CREATE', 'OFFLINE', 'noop', PROJECT, PROJECT]);
    assert.equal(lb.vip_subnet_id, t.subnetId);
    assert.match(lb.vip_address, /^10\.115\.54\.\d+$/);
    assert.deepEqual([lb.listeners, lb.pools], [[], []]);
    const port = await call(t.app, 'GET', `/network/v2.0/ports/${lb.vip_port_id}`);
    assert.equal(port.body.port.fixed_ips[0].ip_address, lb.vip_address, 'the VIP port is a Neutron port of the same endpoint');
    assert.equal((await active(lb.id)).provisioning_status, 'ACTIVE');
  });

  test('lbaas-listener-create with loadbalancer_id: loadbalancers [{id}], no statuses, the string port converted', async () => {
    listener = await created(`${N}/listeners`, {
      listener: { loadbalancer_id: lb.id, protocol: 'HTTP', protocol_port: '80', name: 'listenerlb', admin_state_up: true },
    });
    assert.deepEqual(keys(listener), [
      'admin_state_up', 'connection_limit', 'default_pool_id', 'default_tls_container_ref', 'description', 'id', 'loadbalancers',
      'name', 'project_id', 'protocol', 'protocol_port', 'sni_container_refs', 'tenant_id',
    ]);
    assert.deepEqual(listener.loadbalancers, [{ id: lb.id }]);
    assert.deepEqual([listener.protocol_port, listener.connection_limit, listener.default_pool_id], [80, -1, null]);
    await active(lb.id);
  });

  test('lbaas-pool-create with listener_id and lb_algorithm: it becomes the listener\'s default pool', async () => {
    pool = await created(`${N}/pools`, { pool: { lb_algorithm: 'ROUND_ROBIN', listener_id: listener.id, protocol: 'HTTP', name: 'pool1', admin_state_up: true } });
    assert.deepEqual(keys(pool), [
      'admin_state_up', 'description', 'healthmonitor_id', 'id', 'lb_algorithm', 'listeners', 'loadbalancers', 'members', 'name',
      'project_id', 'protocol', 'session_persistence', 'tenant_id',
    ]);
    assert.deepEqual([pool.listeners, pool.loadbalancers, pool.members, pool.healthmonitor_id, pool.session_persistence],
      [[{ id: listener.id }], [{ id: lb.id }], [], null, null]);
    await active(lb.id);
    const shown = await call(t.app, 'GET', `${N}/listeners/${listener.id}`);
    assert.equal(shown.body.listener.default_pool_id, pool.id);
  });

  test('lbaas-member-create with subnet_id, address and protocol_port, twice', async () => {
    for (const address of ['10.115.54.52', '10.115.54.53']) {
      const m = await created(`${N}/pools/${pool.id}/members`, {
        member: { subnet_id: t.subnetId, address, protocol_port: '80', admin_state_up: true },
      });
      assert.deepEqual(keys(m), ['address', 'admin_state_up', 'id', 'name', 'project_id', 'protocol_port', 'subnet_id', 'tenant_id', 'weight']);
      assert.deepEqual([m.address, m.protocol_port, m.weight, m.subnet_id, m.tenant_id], [address, 80, 1, t.subnetId, PROJECT]);
      members.push(m);
      await active(lb.id);
    }
    const list = await call(t.app, 'GET', `${N}/pools/${pool.id}/members`);
    assert.deepEqual(idsOf(list.body.members), idsOf(members));
    const again = await call(t.app, 'POST', `${N}/pools/${pool.id}/members`, { member: { subnet_id: t.subnetId, address: '10.115.54.53', protocol_port: 80 } });
    assert.equal(again.status, 409);
    assert.deepEqual(again.body.NeutronError, {
      type: 'MemberExists', message: `Member with address 10.115.54.53 and protocol_port 80 already present in pool ${pool.id}`, detail: '',
    });
  });

  test('lbaas-healthmonitor-create with pool_id: pools [{id}], Neutron\'s defaults, one per pool', async () => {
    hm = await created(`${N}/healthmonitors`, { healthmonitor: { pool_id: pool.id, type: 'HTTP', delay: '5', timeout: '2', max_retries: '3', admin_state_up: true } });
    assert.deepEqual(keys(hm), [
      'admin_state_up', 'delay', 'expected_codes', 'http_method', 'id', 'max_retries', 'max_retries_down', 'name', 'pools',
      'project_id', 'tenant_id', 'timeout', 'type', 'url_path',
    ]);
    assert.deepEqual([hm.delay, hm.timeout, hm.max_retries, hm.max_retries_down, hm.http_method, hm.url_path, hm.expected_codes, hm.pools],
      [5, 2, 3, 3, 'GET', '/', '200', [{ id: pool.id }]]);
    await active(lb.id);
    const second = await call(t.app, 'POST', `${N}/healthmonitors`, { healthmonitor: { pool_id: pool.id, type: 'TCP', delay: 5, timeout: 2, max_retries: 3 } });
    assert.equal(second.status, 409);
    assert.deepEqual(second.body.NeutronError, {
      type: 'OneHealthMonitorPerPool', detail: '',
      message: `Only one health monitor per pool allowed.  Pool ${pool.id} is already using Health Monitor ${hm.id}.`,
    });
  });

  test('the load balancer and pool show their children as [{id}]', async () => {
    const shown = (await call(t.app, 'GET', `${N}/loadbalancers/${lb.id}`)).body.loadbalancer;
    assert.deepEqual([shown.listeners, shown.pools], [[{ id: listener.id }], [{ id: pool.id }]]);
    const p = (await call(t.app, 'GET', `${N}/pools/${pool.id}`)).body.pool;
    assert.equal(p.healthmonitor_id, hm.id);
    assert.deepEqual(idsOf(p.members).sort(), idsOf(members).sort());
  });

  test('statuses: {"statuses": {"loadbalancer": …}} with listeners → pools → members and health monitor, and the pools again', async () => {
    const r = await call(t.app, 'GET', `${N}/loadbalancers/${lb.id}/statuses`);
    assert.equal(r.status, 200);
    assert.deepEqual(keys(r.body), ['statuses']);
    const tree = r.body.statuses.loadbalancer;
    assert.deepEqual([tree.id, tree.name, tree.provisioning_status, tree.operating_status], [lb.id, 'lb', 'ACTIVE', 'OFFLINE']);
    const [l] = tree.listeners;
    assert.deepEqual([tree.listeners.length, l.id, l.name, l.provisioning_status, l.l7policies], [1, listener.id, 'listenerlb', 'ACTIVE', []]);
    const [p] = l.pools;
    assert.deepEqual([p.id, p.name, p.provisioning_status], [pool.id, 'pool1', 'ACTIVE']);
    assert.deepEqual(p.healthmonitor, { id: hm.id, name: '', type: 'HTTP', provisioning_status: 'ACTIVE' });
    assert.deepEqual(p.members.map((m: any) => [m.address, m.protocol_port, m.provisioning_status]).sort(),
      [['10.115.54.52', 80, 'ACTIVE'], ['10.115.54.53', 80, 'ACTIVE']]);
    assert.deepEqual(keys(p.members[0]), ['address', 'id', 'name', 'operating_status', 'protocol_port', 'provisioning_status']);
    assert.deepEqual(tree.pools, [p], 'every pool of the load balancer is listed once more at the top');
  });

  test('stats: Neutron\'s four counters', async () => {
    const r = await call(t.app, 'GET', `${N}/loadbalancers/${lb.id}/stats`);
    assert.deepEqual(r.body, { stats: { bytes_in: 0, bytes_out: 0, active_connections: 0, total_connections: 0 } });
  });

  test('updates: PUT changes allowed attributes; the object goes PENDING_UPDATE and settles', async () => {
    const up = await call(t.app, 'PUT', `${N}/loadbalancers/${lb.id}`, { loadbalancer: { name: 'lb1', description: 'seed' } });
    assert.equal(up.status, 200);
    assert.deepEqual([up.body.loadbalancer.name, up.body.loadbalancer.description, up.body.loadbalancer.provisioning_status], ['lb1', 'seed', 'PENDING_UPDATE']);
    await active(lb.id);
    const p = await call(t.app, 'PUT', `${N}/pools/${pool.id}`, { pool: { lb_algorithm: 'LEAST_CONNECTIONS', session_persistence: { type: 'HTTP_COOKIE' } } });
    assert.deepEqual([p.body.pool.lb_algorithm, p.body.pool.session_persistence], ['LEAST_CONNECTIONS', { type: 'HTTP_COOKIE', cookie_name: null }]);
    await active(lb.id);
    const cleared = await call(t.app, 'PUT', `${N}/pools/${pool.id}`, { pool: { session_persistence: null } });
    assert.equal(cleared.body.pool.session_persistence, null, 'null (an empty dict to Neutron) removes persistence');
    await active(lb.id);
    const m = await call(t.app, 'PUT', `${N}/pools/${pool.id}/members/${members[0].id}`, { member: { weight: '5', name: 'web1' } });
    assert.deepEqual([m.body.member.weight, m.body.member.name], [5, 'web1']);
    await active(lb.id);
    const h = await call(t.app, 'PUT', `${N}/healthmonitors/${hm.id}`, { healthmonitor: { delay: 7, url_path: '/health' } });
    assert.deepEqual([h.body.healthmonitor.delay, h.body.healthmonitor.url_path], [7, '/health']);
    await active(lb.id);
    const l = await call(t.app, 'PUT', `${N}/listeners/${listener.id}`, { listener: { connection_limit: 1000, name: 'listener1' } });
    assert.deepEqual([l.body.listener.connection_limit, l.body.listener.name], [1000, 'listener1']);
    await active(lb.id);
  });

  test('no cascade: a load balancer with a listener, a pool with a monitor are EntityInUse (409), and stay', async () => {
    const lbDel = await call(t.app, 'DELETE', `${N}/loadbalancers/${lb.id}`);
    assert.equal(lbDel.status, 409);
    assert.deepEqual(lbDel.body.NeutronError, { type: 'EntityInUse', message: `listener ${listener.id} is using this loadbalancer`, detail: '' });
    const poolDel = await call(t.app, 'DELETE', `${N}/pools/${pool.id}`);
    assert.equal(poolDel.status, 409);
    assert.deepEqual(poolDel.body.NeutronError, { type: 'EntityInUse', message: `healthmonitor ${hm.id} is using this pool`, detail: '' });
    assert.equal((await call(t.app, 'GET', `${N}/loadbalancers/${lb.id}`)).body.loadbalancer.provisioning_status, 'ACTIVE');
    assert.equal((await call(t.app, 'GET', `${N}/pools/${pool.id}`)).status, 200);
  });

  test('deletes bottom-up: monitor, member, pool (its other member with it), listener, load balancer', async () => {
    const del = async (path: string) => {
      const r = await call(t.app, 'DELETE', path);
      assert.equal(r.status, 204, `${path}: ${JSON.stringify(r.body)}`);
      // Until the agent drops it the object still shows (Neutron's children have no provisioning_status); then 404.
      const key = /\/(healthmonitor|member|pool|listener)s\/[^/]+$/.exec(path)![1]!;
      await waitFor(t.app, path, key, 'DELETED');
    };
    await del(`${N}/healthmonitors/${hm.id}`);
    await del(`${N}/pools/${pool.id}/members/${members[0].id}`);
    await active(lb.id);
    await del(`${N}/pools/${pool.id}`);
    assert.equal((await call(t.app, 'GET', `${N}/pools/${pool.id}/members/${members[1].id}`)).status, 404);
    await active(lb.id);
    await del(`${N}/listeners/${listener.id}`);
    await active(lb.id);
    const r = await call(t.app, 'DELETE', `${N}/loadbalancers/${lb.id}`);
    assert.equal(r.status, 204);
    await waitFor(t.app, `${N}/loadbalancers/${lb.id}`, 'loadbalancer', 'DELETED');
    const gone = await call(t.app, 'GET', `${N}/loadbalancers/${lb.id}`);
    assert.deepEqual(gone.body.NeutronError, { type: 'EntityNotFound', message: `loadbalancer ${lb.id} could not be found`, detail: '' });
  });
});

describe('one object, two views', () => {
  test('a tree made through Neutron shows in Octavia with the same ids, relations and statuses', async () => {
    const lb = await created(`${N}/loadbalancers`, { loadbalancer: { name: 'n-lb', vip_subnet_id: t.subnetId } });
    await active(lb.id);
    const listener = await created(`${N}/listeners`, { listener: { loadbalancer_id: lb.id, protocol: 'TCP', protocol_port: 443 } });
    await active(lb.id);
    const pool = await created(`${N}/pools`, { pool: { listener_id: listener.id, protocol: 'TCP', lb_algorithm: 'SOURCE_IP' } });
    await active(lb.id);
    const member = await created(`${N}/pools/${pool.id}/members`, { member: { subnet_id: t.subnetId, address: '10.115.54.80', protocol_port: 443, weight: 3 } });
    await active(lb.id);
    const hm = await created(`${N}/healthmonitors`, { healthmonitor: { pool_id: pool.id, type: 'TCP', delay: 3, timeout: 1, max_retries: 2 } });
    assert.deepEqual(keys(hm).filter((k) => k.startsWith('http') || k === 'url_path' || k === 'expected_codes'), [], 'a TCP monitor has no HTTP attributes');
    await active(lb.id);

    const o = (await call(t.app, 'GET', `${O}/loadbalancers/${lb.id}`)).body.loadbalancer;
    const n = (await call(t.app, 'GET', `${N}/loadbalancers/${lb.id}`)).body.loadbalancer;
    for (const k of ['id', 'name', 'vip_address', 'vip_subnet_id', 'vip_port_id', 'provider', 'provisioning_status', 'operating_status', 'listeners', 'pools']) {
      assert.deepEqual(n[k], o[k], k);
    }
    const ol = (await call(t.app, 'GET', `${O}/listeners/${listener.id}`)).body.listener;
    assert.deepEqual([ol.protocol_port, ol.default_pool_id, ol.loadbalancers, ol.provisioning_status], [443, pool.id, [{ id: lb.id }], 'ACTIVE']);
    const op = (await call(t.app, 'GET', `${O}/pools/${pool.id}`)).body.pool;
    assert.deepEqual([op.lb_algorithm, op.healthmonitor_id, op.members, op.listeners], ['SOURCE_IP', hm.id, [{ id: member.id }], [{ id: listener.id }]]);
    const om = (await call(t.app, 'GET', `${O}/pools/${pool.id}/members/${member.id}`)).body.member;
    assert.deepEqual([om.address, om.weight, om.subnet_id], ['10.115.54.80', 3, t.subnetId]);
    const oh = (await call(t.app, 'GET', `${O}/healthmonitors/${hm.id}`)).body.healthmonitor;
    assert.deepEqual([oh.type, oh.delay, oh.max_retries, oh.pools], ['TCP', 3, 2, [{ id: pool.id }]]);

    const octaviaTree = (await call(t.app, 'GET', `${O}/loadbalancers/${lb.id}/status`)).body.statuses.loadbalancer;
    const neutronTree = (await call(t.app, 'GET', `${N}/loadbalancers/${lb.id}/statuses`)).body.statuses.loadbalancer;
    const flat = (tree: any) => [tree.provisioning_status, tree.operating_status, ...tree.listeners.flatMap((l: any) => [
      l.id, l.provisioning_status, l.operating_status,
      ...l.pools.flatMap((p: any) => [p.id, p.provisioning_status, p.operating_status, ...p.members.map((m: any) => `${m.id}:${m.provisioning_status}:${m.operating_status}`)]),
    ])];
    assert.deepEqual(flat(neutronTree), flat(octaviaTree), 'both trees show the same statuses');

    // Octavia's cascade delete removes what Neutron made, and Neutron sees it go.
    const del = await call(t.app, 'DELETE', `${O}/loadbalancers/${lb.id}?cascade=true`);
    assert.equal(del.status, 204);
    await waitFor(t.app, `${N}/loadbalancers/${lb.id}`, 'loadbalancer', 'DELETED');
    assert.equal((await call(t.app, 'GET', `${N}/healthmonitors/${hm.id}`)).status, 404);
  });

  test('a fully populated load balancer made through Octavia shows in Neutron', async () => {
    const r = await call(t.app, 'POST', `${O}/loadbalancers`, {
      loadbalancer: {
        name: 'o-lb', vip_subnet_id: t.subnetId,
        listeners: [{
          name: 'o-l', protocol: 'HTTP', protocol_port: 8080,
          default_pool: {
            name: 'o-p', protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN', session_persistence: { type: 'APP_COOKIE', cookie_name: 'sid' },
            healthmonitor: { type: 'HTTP', delay: 2, timeout: 1, max_retries: 2, url_path: '/ping' },
            members: [{ address: '10.115.54.90', protocol_port: 8080, subnet_id: t.subnetId }],
          },
        }],
      },
    });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    const id = r.body.loadbalancer.id;
    const ol = r.body.loadbalancer.listeners[0];
    const op = r.body.loadbalancer.pools[0];
    await settled(t, id);
    const n = (await call(t.app, 'GET', `${N}/loadbalancers/${id}`)).body.loadbalancer;
    assert.deepEqual([n.name, n.provisioning_status, n.listeners, n.pools], ['o-lb', 'ACTIVE', [{ id: ol.id }], [{ id: op.id }]]);
    const byName = (await call(t.app, 'GET', `${N}/listeners?name=o-l`)).body.listeners;
    assert.deepEqual(byName.map((l: any) => [l.id, l.protocol_port, l.default_pool_id]), [[ol.id, 8080, op.id]]);
    const np = (await call(t.app, 'GET', `${N}/pools/${op.id}`)).body.pool;
    assert.deepEqual(np.session_persistence, { type: 'APP_COOKIE', cookie_name: 'sid' });
    assert.equal(np.healthmonitor_id, op.healthmonitor.id);
    const nm = (await call(t.app, 'GET', `${N}/pools/${op.id}/members`)).body.members;
    assert.deepEqual(nm.map((m: any) => [m.id, m.address]), [[op.members[0].id, '10.115.54.90']]);
    const nh = (await call(t.app, 'GET', `${N}/healthmonitors?pool_id=${op.id}`)).body.healthmonitors;
    assert.deepEqual(nh.map((h: any) => [h.id, h.url_path, h.pools]), [[op.healthmonitor.id, '/ping', [{ id: op.id }]]]);
    // A change through Neutron shows in Octavia.
    const up = await call(t.app, 'PUT', `${N}/listeners/${ol.id}`, { listener: { admin_state_up: false } });
    assert.equal(up.status, 200);
    await settled(t, id);
    assert.equal((await call(t.app, 'GET', `${O}/listeners/${ol.id}`)).body.listener.admin_state_up, false);
    await call(t.app, 'DELETE', `${O}/loadbalancers/${id}?cascade=true`);
    await waitFor(t.app, `${O}/loadbalancers/${id}`, 'loadbalancer', 'DELETED');
  });
});

describe('Neutron\'s rules around the services', () => {
  test('a change while the load balancer is pending is StateInvalid (409), and nothing is written', async () => {
    const lb = await activeLoadBalancer(t, { name: 'pending' });
    const restore = await holdStatus(t.store, 'loadbalancer', lb.id, 'PENDING_UPDATE');
    try {
      const r = await call(t.app, 'POST', `${N}/listeners`, { listener: { loadbalancer_id: lb.id, protocol: 'HTTP', protocol_port: 80 } });
      assert.equal(r.status, 409);
      assert.deepEqual(r.body.NeutronError, { type: 'StateInvalid', message: `Invalid state PENDING_UPDATE of loadbalancer resource ${lb.id}`, detail: '' });
      const d = await call(t.app, 'DELETE', `${N}/loadbalancers/${lb.id}`);
      assert.equal(d.status, 409);
      assert.equal(d.body.NeutronError.type, 'StateInvalid');
      assert.deepEqual((await call(t.app, 'GET', `${N}/listeners?loadbalancer_id=${lb.id}`)).body.listeners, []);
    } finally {
      await restore();
    }
    assert.equal((await call(t.app, 'DELETE', `${N}/loadbalancers/${lb.id}`)).status, 204);
  });

  test('without a project (noauth, no X-Project-Id) a load balancer needs tenant_id, as Neutron without Keystone', async () => {
    const body = { loadbalancer: { name: 'no-project', vip_subnet_id: t.subnetId } };
    const bare = await t.app.inject({ method: 'POST', url: `${N}/loadbalancers`, payload: body });
    assert.equal(bare.statusCode, 400);
    assert.deepEqual(bare.json().NeutronError, { type: 'HTTPBadRequest', message: 'Running without keystone AuthN requires that tenant_id is specified', detail: '' });
    const withTenant = await t.app.inject({ method: 'POST', url: `${N}/loadbalancers`, payload: { loadbalancer: { ...body.loadbalancer, tenant_id: PROJECT } } });
    assert.equal(withTenant.statusCode, 201);
    const lb = withTenant.json().loadbalancer;
    assert.deepEqual([lb.tenant_id, lb.project_id], [PROJECT, PROJECT]);
    await active(lb.id);
    // Children need no tenant_id: they belong to their load balancer's project.
    const l = await t.app.inject({ method: 'POST', url: `${N}/listeners`, payload: { listener: { loadbalancer_id: lb.id, protocol: 'HTTP', protocol_port: 80 } } });
    assert.equal(l.statusCode, 201, l.body);
    assert.equal(l.json().listener.tenant_id, PROJECT);
    await active(lb.id);
    await call(t.app, 'DELETE', `${O}/loadbalancers/${lb.id}?cascade=true`);
  });

  test('shared pools: a pool on a load balancer, then a listener created on that pool alone', async () => {
    const lb = await activeLoadBalancer(t, { name: 'shared' });
    const pool = await created(`${N}/pools`, { pool: { loadbalancer_id: lb.id, protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN' } });
    assert.deepEqual([pool.listeners, pool.loadbalancers], [[], [{ id: lb.id }]]);
    await active(lb.id);
    const l = await created(`${N}/listeners`, { listener: { default_pool_id: pool.id, protocol: 'HTTP', protocol_port: 81 } });
    assert.deepEqual([l.loadbalancers, l.default_pool_id], [[{ id: lb.id }], pool.id]);
    await active(lb.id);
    const taken = await call(t.app, 'POST', `${N}/pools`, { pool: { listener_id: l.id, protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN' } });
    assert.equal(taken.status, 409);
    assert.deepEqual(taken.body.NeutronError, { type: 'ListenerDefaultPoolAlreadySet', message: `Listener ${l.id} is already using default pool ${pool.id}.`, detail: '' });
    const port = await call(t.app, 'POST', `${N}/listeners`, { listener: { loadbalancer_id: lb.id, protocol: 'TCP', protocol_port: 81 } });
    assert.equal(port.status, 409);
    assert.deepEqual(port.body.NeutronError, { type: 'LoadBalancerListenerProtocolPortExists', message: `Load Balancer ${lb.id} already has a listener with protocol_port of 81`, detail: '' });
    const orphan = await call(t.app, 'POST', `${N}/listeners`, { listener: { protocol: 'HTTP', protocol_port: 82 } });
    assert.equal(orphan.status, 400);
    assert.equal(orphan.body.NeutronError.message, 'Listener must be created with a loadbalancer or pool.');
    const nowhere = await call(t.app, 'POST', `${N}/pools`, { pool: { protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN' } });
    assert.equal(nowhere.status, 400);
    assert.equal(nowhere.body.NeutronError.message, 'Pool must be created with a loadbalancer or listener.');
    await call(t.app, 'DELETE', `${O}/loadbalancers/${lb.id}?cascade=true`);
  });

  test('unknown objects and subnets are 404 in neutron-lbaas\'s words', async () => {
    const ghost = '6f0c2f8e-0a57-4a7e-9d5c-2d1b9c0e4a11';
    const cases: [string, string, unknown, string, string][] = [
      ['GET', `${N}/listeners/${ghost}`, undefined, 'EntityNotFound', `listener ${ghost} could not be found`],
      ['GET', `${N}/healthmonitors/${ghost}`, undefined, 'EntityNotFound', `healthmonitor ${ghost} could not be found`],
      ['GET', `${N}/pools/${ghost}/members`, undefined, 'EntityNotFound', `pool ${ghost} could not be found`],
      ['POST', `${N}/loadbalancers`, { loadbalancer: { vip_subnet_id: ghost } }, 'SubnetNotFound', `Subnet ${ghost} could not be found.`],
      ['POST', `${N}/listeners`, { listener: { loadbalancer_id: ghost, protocol: 'HTTP', protocol_port: 80 } }, 'EntityNotFound', `loadbalancer ${ghost} could not be found`],
      ['POST', `${N}/loadbalancers`, { loadbalancer: { vip_subnet_id: t.subnetId, provider: 'Octavia' } }, 'ServiceProviderNotFound',
        "Service provider 'octavia' could not be found for service type LOADBALANCERV2"],
    ];
    for (const [method, url, body, type, message] of cases) {
      const r = await call(t.app, method as 'GET', url, body);
      assert.equal(r.status, 404, `${method} ${url}`);
      assert.deepEqual(r.body.NeutronError, { type, message, detail: '' });
    }
  });

  test('lists filter on attributes (tenant_id too), ignore unknown filters, select fields and paginate with links', async () => {
    const a = await activeLoadBalancer(t, { name: 'list-a' });
    const b = await activeLoadBalancer(t, { name: 'list-b' });
    const byName = await call(t.app, 'GET', `${N}/loadbalancers?name=list-b&fields=id`);
    assert.deepEqual(byName.body, { loadbalancers: [{ id: b.id }] }, 'no links without limit, as Neutron');
    const byTenant = await call(t.app, 'GET', `${N}/loadbalancers?tenant_id=${PROJECT}&name=list-a&colour=red`);
    assert.deepEqual(idsOf(byTenant.body.loadbalancers), [a.id]);
    const none = await call(t.app, 'GET', `${N}/loadbalancers?tenant_id=someone-else`);
    assert.deepEqual(none.body.loadbalancers, []);
    const page = await call(t.app, 'GET', `${N}/loadbalancers?limit=1&sort_key=name&sort_dir=asc&fields=id&fields=name&name=list-a&name=list-b`);
    assert.deepEqual(page.body.loadbalancers, [{ id: a.id, name: 'list-a' }]);
    assert.equal(page.body.loadbalancers_links[0].rel, 'next');
    const next = await call(t.app, 'GET', `${N}/loadbalancers?limit=1&sort_key=name&sort_dir=asc&name=list-a&name=list-b&marker=${a.id}`);
    assert.deepEqual(idsOf(next.body.loadbalancers), [b.id]);
    for (const lb of [a, b]) await call(t.app, 'DELETE', `${N}/loadbalancers/${lb.id}`);
  });
});
