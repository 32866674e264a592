/** @module api/octavia/graph.test — the fully-populated load balancer create, end to end with the noop agent. */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { call, makeTestApi, settled, waitFor, type TestApi } from '../../../test/helpers/fixtures.js';

let t: TestApi;
before(async () => { t = await makeTestApi(); });
after(async () => { await t.close(); });

const post = (loadbalancer: Record<string, unknown>) =>
  call(t.app, 'POST', '/v2/lbaas/loadbalancers', { loadbalancer: { vip_subnet_id: t.subnetId, ...loadbalancer } });
const counts = async () => ({
  lbs: (await call(t.app, 'GET', '/v2/lbaas/loadbalancers')).body.loadbalancers.length,
  listeners: (await call(t.app, 'GET', '/v2/lbaas/listeners')).body.listeners.length,
  pools: (await call(t.app, 'GET', '/v2/lbaas/pools')).body.pools.length,
  hms: (await call(t.app, 'GET', '/v2/lbaas/healthmonitors')).body.healthmonitors.length,
  addresses: (await t.store.allocatedAddresses(t.subnetId)).size,
});

test('the reference fully-populated create answers Octavia\'s full shape, all PENDING_CREATE, then all ACTIVE', async () => {
  // The request of the reference 52-lb-create-fully-populated.json.
  const r = await post({
    name: 'full',
    listeners: [{
      name: 'fl', protocol: 'HTTP', protocol_port: 8080,
      default_pool: {
        name: 'fp', protocol: 'HTTP', lb_algorithm: 'LEAST_CONNECTIONS',
        members: [{ address: '192.0.2.20', protocol_port: 80 }],
        healthmonitor: { type: 'PING', delay: 5, timeout: 2, max_retries: 2 },
      },
    }],
  });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  const lb = r.body.loadbalancer;
  assert.equal(lb.provisioning_status, 'PENDING_CREATE');
  assert.equal(lb.listeners.length, 1);
  assert.equal(lb.pools.length, 1);
  const [l] = lb.listeners;
  const [p] = lb.pools;
  // Octavia's LoadBalancerFullResponse: listeners and pools in full, without back-references.
  assert.deepEqual(Object.keys(l).sort(), [
    'admin_state_up', 'allowed_cidrs', 'alpn_protocols', 'client_authentication', 'client_ca_tls_container_ref',
    'client_crl_container_ref', 'connection_limit', 'created_at', 'default_pool_id', 'default_tls_container_ref', 'description', 'hsts_include_subdomains', 'hsts_max_age', 'hsts_preload',
    'id', 'insert_headers', 'l7policies', 'name', 'operating_status', 'project_id', 'protocol', 'protocol_port',
    'provisioning_status', 'sni_container_refs', 'tags', 'tenant_id', 'timeout_client_data', 'timeout_member_connect',
    'timeout_member_data', 'timeout_tcp_inspect', 'tls_ciphers', 'tls_versions', 'updated_at',
  ]);
  assert.deepEqual(Object.keys(p).sort(), [
    'admin_state_up', 'alpn_protocols', 'ca_tls_container_ref', 'created_at', 'crl_container_ref', 'description',
    'healthmonitor', 'id', 'lb_algorithm', 'listeners', 'members', 'name', 'operating_status', 'project_id', 'protocol',
    'provisioning_status', 'session_persistence', 'tags', 'tenant_id', 'tls_ciphers', 'tls_container_ref', 'tls_enabled',
    'tls_versions', 'updated_at',
  ]);
  assert.equal(l.default_pool_id, p.id);
  assert.deepEqual(p.listeners, [{ id: l.id }]);
  assert.equal(p.members.length, 1);
  assert.equal(p.members[0].address, '192.0.2.20');
  assert.equal(p.members[0].provisioning_status, 'PENDING_CREATE');
  assert.equal(p.healthmonitor.type, 'PING');
  assert.equal(p.healthmonitor.pools, undefined);
  for (const o of [l, p, p.members[0], p.healthmonitor]) assert.equal(o.provisioning_status, 'PENDING_CREATE');

  await waitFor(t.app, `/v2/lbaas/loadbalancers/${lb.id}`, 'loadbalancer', 'ACTIVE');
  const tree = (await call(t.app, 'GET', `/v2/lbaas/loadbalancers/${lb.id}/status`)).body.statuses.loadbalancer;
  assert.deepEqual(tree, {
    id: lb.id, name: 'full', operating_status: 'OFFLINE', provisioning_status: 'ACTIVE',
    listeners: [{
      id: l.id, name: 'fl', operating_status: 'OFFLINE', provisioning_status: 'ACTIVE',
      pools: [{
        id: p.id, name: 'fp', provisioning_status: 'ACTIVE', operating_status: 'OFFLINE',
        health_monitor: { id: p.healthmonitor.id, name: '', type: 'PING', provisioning_status: 'ACTIVE', operating_status: 'ONLINE' },
        members: [{ id: p.members[0].id, name: '', operating_status: 'ONLINE', provisioning_status: 'ACTIVE', address: '192.0.2.20', protocol_port: 80 }],
      }],
    }],
  });
  const shown = (await call(t.app, 'GET', `/v2/lbaas/loadbalancers/${lb.id}`)).body.loadbalancer;
  assert.deepEqual(shown.listeners, [{ id: l.id }]);
  assert.deepEqual(shown.pools, [{ id: p.id }]);
});

test('pools defined once in `pools` are referenced by name from several listeners', async () => {
  const r = await post({
    name: 'shared',
    pools: [
      { name: 'web', protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN', members: [{ address: '192.0.2.1', protocol_port: 80 }, { address: '192.0.2.2', protocol_port: 80, subnet_id: t.subnetId }] },
      { name: 'spare', protocol: 'TCP', lb_algorithm: 'SOURCE_IP', session_persistence: { type: 'SOURCE_IP' } },
    ],
    listeners: [
      { name: 'a', protocol: 'HTTP', protocol_port: 80, default_pool: { name: 'web' } },
      { name: 'b', protocol: 'TCP', protocol_port: 8080, default_pool: { name: 'web', admin_state_up: true } },
      { name: 'c', protocol: 'UDP', protocol_port: 80 },
    ],
  });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  const lb = r.body.loadbalancer;
  const web = lb.pools.find((x: { name: string }) => x.name === 'web');
  const spare = lb.pools.find((x: { name: string }) => x.name === 'spare');
  assert.deepEqual(lb.listeners.map((x: { name: string; default_pool_id: string | null }) => [x.name, x.default_pool_id]), [['a', web.id], ['b', web.id], ['c', null]]);
  assert.deepEqual(web.listeners.map((x: { id: string }) => x.id).sort(), lb.listeners.slice(0, 2).map((x: { id: string }) => x.id).sort());
  assert.equal(web.members.length, 2);
  assert.deepEqual(spare.listeners, []);
  assert.equal(spare.healthmonitor, null);
  await settled(t, lb.id);
  for (const x of lb.listeners) assert.equal((await call(t.app, 'GET', `/v2/lbaas/listeners/${x.id}`)).body.listener.provisioning_status, 'ACTIVE');
  const members = await call(t.app, 'GET', `/v2/lbaas/pools/${web.id}/members`);
  assert.deepEqual(members.body.members.map((m: { provisioning_status: string }) => m.provisioning_status), ['ACTIVE', 'ACTIVE']);
});

test('a bad tree is refused as a whole: nothing is written, not even the VIP port', async () => {
  const pool = { name: 'p', protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN' };
  const cases: [Record<string, unknown>, number, string | RegExp][] = [
    [{ listeners: [{ protocol: 'HTTP', protocol_port: 80, default_pool: { protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN' } }] }, 400,
      'Validation failure: Pools must be named when creating a fully populated loadbalancer.'],
    [{ pools: [pool, pool] }, 400, 'Validation failure: Pool names must be unique when creating a fully populated loadbalancer.'],
    [{ listeners: [{ protocol: 'HTTP', protocol_port: 80, default_pool: { name: 'nowhere' } }] }, 400,
      "Validation failure: Pool 'nowhere' was referenced but no full definition was found."],
    [{ pools: [{ name: 'p', protocol: 'HTTP' }] }, 400, "Validation failure: Pool definition for 'p' missing required attribute: lb_algorithm"],
    [{ pools: [{ lb_algorithm: 'ROUND_ROBIN' }] }, 400, "Validation failure: Pool definition for 'None' missing required attribute: protocol"],
    [{ listeners: [{ protocol: 'HTTP', protocol_port: 80, default_pool: { ...pool, protocol: 'UDP' } }] }, 400,
      "Validation failure: The pool protocol 'UDP' is invalid while the listener protocol is 'HTTP'."],
    [{ listeners: [{ protocol: 'HTTP', protocol_port: 80 }, { protocol: 'TCP', protocol_port: 80 }] }, 409,
      'Another Listener on this Load Balancer is already using protocol HTTP and protocol_port 80'],
    [{ pools: [{ ...pool, members: [{ address: '192.0.2.1', protocol_port: 80 }, { address: '192.0.2.1', protocol_port: 80 }] }] }, 409,
      'Another member on this pool is already using ip 192.0.2.1 on protocol_port 80'],
    [{ pools: [{ ...pool, members: [{ address: '192.0.2.1', protocol_port: 80, subnet_id: '11111111-2222-3333-4444-555555555555' }] }] }, 404,
      'Subnet 11111111-2222-3333-4444-555555555555 not found.'],
    [{ pools: [{ ...pool, healthmonitor: { type: 'UDP-CONNECT', delay: 5, timeout: 3, max_retries: 3 } }] }, 400,
      'Validation failure: The UDP-CONNECT type is only supported for pools of type UDP/SCTP.'],
    [{ pools: [{ ...pool, lb_algorithm: 'RANDOM' }] }, 400, /lb_algorithm/],
    [{ pools: [{ ...pool, session_persistence: { type: 'APP_COOKIE' } }] }, 400,
      'Validation failure: Field "cookie_name" must be specified when using the "APP_COOKIE" session persistence type.'],
    [{ listeners: [{ protocol: 'HTTP', protocol_port: 80, default_pool_id: '11111111-2222-3333-4444-555555555555' }] }, 404,
      'Pool 11111111-2222-3333-4444-555555555555 not found.'],
    [{ listeners: [{ protocol: 'HTTP', protocol_port: 80, default_pool: { ...pool, bogus: 1 } }] }, 400,
      'Unknown attribute for argument load_balancer.loadbalancer.listeners.default_pool: bogus'],
    [{ listeners: [{ protocol: 'HTTP', protocol_port: 80, default_pool: { ...pool, members: [{ address: '192.0.2.1', protocol_port: 80, x: 1 }] } }] }, 400,
      'Unknown attribute for argument load_balancer.loadbalancer.listeners.default_pool.members: x'],
    [{ listeners: [{ protocol: 'HTTP', protocol_port: 80, project_id: 'p' }] }, 400,
      'Unknown attribute for argument load_balancer.loadbalancer.listeners: project_id'],
    [{ pools: [{ ...pool, healthmonitor: { type: 'HTTP', delay: 5, timeout: 3 } }] }, 400,
      "Invalid input for field/attribute max_retries. Value: 'None'. Mandatory field missing."],
    [{ pools: [{ ...pool, members: [{ address: 'nope', protocol_port: 80 }] }] }, 400,
      "Invalid input for field/attribute address. Value: 'nope'. Value should be IPv4 or IPv6 format"],
    [{ listeners: [{ protocol: 'HTTP', protocol_port: 99999 }] }, 400,
      "Invalid input for field/attribute protocol_port. Value: '99999'. Value should be lower or equal to 65535"],
  ];
  const before = await counts();
  for (const [body, status, message] of cases) {
    const r = await post(body);
    assert.equal(r.status, status, `${JSON.stringify(body)} → ${JSON.stringify(r.body)}`);
    if (typeof message === 'string') assert.equal(r.body.faultstring, message);
    else assert.match(r.body.faultstring, message);
  }
  assert.deepEqual(await counts(), before);
});
