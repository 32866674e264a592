/** @module api/octavia/pools.test — the pool API end to end on SQLite with the noop agent. */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  activeLoadBalancer, call, holdStatus, makeTestApi, PROJECT, settled, waitFor, type TestApi,
} from '../../../test/helpers/fixtures.js';

let t: TestApi;
before(async () => { t = await makeTestApi(); });
after(async () => { await t.close(); });

const POOL_KEYS = [
  'admin_state_up', 'alpn_protocols', 'ca_tls_container_ref', 'created_at', 'crl_container_ref', 'description',
  'healthmonitor_id', 'id', 'lb_algorithm', 'listeners', 'loadbalancers', 'members', 'name', 'operating_status', 'project_id',
  'protocol', 'provisioning_status', 'session_persistence', 'tags', 'tenant_id', 'tls_ciphers', 'tls_container_ref',
  'tls_enabled', 'tls_versions', 'updated_at',
];

const post = (pool: Record<string, unknown>) => call(t.app, 'POST', '/v2/lbaas/pools', { pool });
const count = async () => (await call(t.app, 'GET', '/v2/lbaas/pools')).body.pools.length as number;

async function listener(lbId: string, protocol = 'HTTP', port = 80): Promise<string> {
  const r = await call(t.app, 'POST', '/v2/lbaas/listeners', { listener: { protocol, protocol_port: port, loadbalancer_id: lbId } });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  await settled(t, lbId);
  return r.body.listener.id;
}

test('a pool created with listener_id becomes its default pool; show, list, update, delete go to ACTIVE and away', async () => {
  const lb = await activeLoadBalancer(t, { name: 'p-crud' });
  const l1 = await listener(lb.id);
  const r = await post({
    name: 'p1', protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN', listener_id: l1, session_persistence: { type: 'APP_COOKIE', cookie_name: 'sid' },
  });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  const p = r.body.pool;
  assert.deepEqual(Object.keys(p).sort(), POOL_KEYS);
  // As the reference body 12-pool-create.json.
  assert.deepEqual({ ...p, id: undefined, created_at: undefined }, {
    id: undefined, name: 'p1', description: '', provisioning_status: 'PENDING_CREATE', operating_status: 'OFFLINE',
    admin_state_up: true, protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN',
    session_persistence: { type: 'APP_COOKIE', cookie_name: 'sid', persistence_timeout: null, persistence_granularity: null },
    project_id: PROJECT, loadbalancers: [{ id: lb.id }], listeners: [{ id: l1 }], created_at: undefined, updated_at: null,
    healthmonitor_id: null, members: [], tags: [], tls_container_ref: null, ca_tls_container_ref: null, crl_container_ref: null,
    tls_enabled: false, tls_ciphers: null, tls_versions: null, alpn_protocols: null, tenant_id: PROJECT,
  });
  const l = await call(t.app, 'GET', `/v2/lbaas/listeners/${l1}`);
  assert.equal(l.body.listener.default_pool_id, p.id);
  assert.ok(['PENDING_UPDATE', 'ACTIVE'].includes(l.body.listener.provisioning_status), 'the listener is touched too');
  await waitFor(t.app, `/v2/lbaas/pools/${p.id}`, 'pool', 'ACTIVE');
  await settled(t, lb.id);
  assert.equal((await call(t.app, 'GET', `/v2/lbaas/listeners/${l1}`)).body.listener.provisioning_status, 'ACTIVE');

  const listed = await call(t.app, 'GET', `/v2/lbaas/pools?loadbalancer_id=${lb.id}`);
  assert.deepEqual(listed.body.pools.map((x: { id: string }) => x.id), [p.id]);
  assert.deepEqual(listed.body.pools_links, []);
  assert.deepEqual((await call(t.app, 'GET', `/v2/lbaas/pools?loadbalancer_id=${lb.id}&protocol=TCP`)).body.pools, []);

  const put = await call(t.app, 'PUT', `/v2/lbaas/pools/${p.id}`, { pool: { name: 'p1b', lb_algorithm: 'LEAST_CONNECTIONS', session_persistence: null } });
  assert.equal(put.status, 200, JSON.stringify(put.body));
  assert.equal(put.body.pool.provisioning_status, 'PENDING_UPDATE');
  assert.equal(put.body.pool.lb_algorithm, 'LEAST_CONNECTIONS');
  assert.equal(put.body.pool.session_persistence, null);
  assert.ok(['PENDING_UPDATE', 'ACTIVE'].includes((await call(t.app, 'GET', `/v2/lbaas/listeners/${l1}`)).body.listener.provisioning_status));
  await waitFor(t.app, `/v2/lbaas/pools/${p.id}`, 'pool', 'ACTIVE');
  await settled(t, lb.id);
  // A session persistence PUT without type keeps the stored type.
  await call(t.app, 'PUT', `/v2/lbaas/pools/${p.id}`, { pool: { session_persistence: { type: 'HTTP_COOKIE' } } });
  await settled(t, lb.id);
  const noType = await call(t.app, 'PUT', `/v2/lbaas/pools/${p.id}`, { pool: { session_persistence: { cookie_name: 'x' } } });
  assert.equal(noType.status, 400);
  assert.equal(noType.body.faultstring, 'Validation failure: Field "cookie_name" can only be specified with session persistence of type "APP_COOKIE".');

  assert.equal((await call(t.app, 'DELETE', `/v2/lbaas/pools/${p.id}`)).status, 204);
  await waitFor(t.app, `/v2/lbaas/pools/${p.id}`, 'pool', 'DELETED');
  await settled(t, lb.id);
  assert.equal((await call(t.app, 'GET', `/v2/lbaas/listeners/${l1}`)).body.listener.default_pool_id, null);
});

test('pool on a load balancer; neither or mismatched parents are 400; a listener\'s second default pool is 409', async () => {
  const lb = await activeLoadBalancer(t, { name: 'p-parents' });
  const other = await activeLoadBalancer(t, { name: 'p-parents-other' });
  const l1 = await listener(lb.id);
  const n = await count();
  const neither = await post({ protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN' });
  assert.equal(neither.status, 400);
  assert.equal(neither.body.faultstring, 'Validation failure: Must provide at least one of: loadbalancer_id, listener_id');
  const mismatched = await post({ protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN', listener_id: l1, loadbalancer_id: other.id });
  assert.equal(mismatched.status, 400);
  assert.equal(mismatched.body.faultstring, `Validation failure: Listener ${l1} is not on Load Balancer ${other.id}.`);
  const missing = await post({ protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN', listener_id: '00000000-0000-0000-0000-000000000000' });
  assert.equal(missing.status, 404);
  assert.equal(missing.body.faultstring, 'Listener 00000000-0000-0000-0000-000000000000 not found.');
  assert.equal(await count(), n);

  const onLb = await post({ protocol: 'TCP', lb_algorithm: 'SOURCE_IP', loadbalancer_id: lb.id });
  assert.equal(onLb.status, 201);
  assert.deepEqual(onLb.body.pool.listeners, []);
  await settled(t, lb.id);
  assert.equal((await post({ protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN', listener_id: l1, loadbalancer_id: lb.id })).status, 201);
  await settled(t, lb.id);
  const second = await post({ protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN', listener_id: l1 });
  assert.equal(second.status, 409);
  assert.equal(second.body.faultstring, 'This listener already has a default pool');

  const hold = await holdStatus(t.store, 'loadbalancer', lb.id, 'PENDING_UPDATE');
  const pending = await post({ protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN', loadbalancer_id: lb.id });
  assert.equal(pending.status, 409);
  assert.equal(pending.body.faultstring, `Load Balancer ${lb.id} is immutable and cannot be updated.`);
  assert.equal((await call(t.app, 'PUT', `/v2/lbaas/pools/${onLb.body.pool.id}`, { pool: { name: 'x' } })).status, 409);
  assert.equal((await call(t.app, 'DELETE', `/v2/lbaas/pools/${onLb.body.pool.id}`)).status, 409);
  await hold();
});

test('protocol and session persistence rules answer 400 in Octavia\'s words', async () => {
  const lb = await activeLoadBalancer(t, { name: 'p-rules' });
  const http = await listener(lb.id, 'HTTP', 80);
  const prom = await listener(lb.id, 'PROMETHEUS', 9100);
  const on = { loadbalancer_id: lb.id, lb_algorithm: 'ROUND_ROBIN' };
  const cases: [Record<string, unknown>, number, string | RegExp][] = [
    [{ listener_id: http, protocol: 'UDP', lb_algorithm: 'ROUND_ROBIN' }, 400, "Validation failure: The pool protocol 'UDP' is invalid while the listener protocol is 'HTTP'."],
    [{ listener_id: http, protocol: 'TCP', lb_algorithm: 'ROUND_ROBIN' }, 400, "Validation failure: The pool protocol 'TCP' is invalid while the listener protocol is 'HTTP'."],
    [{ listener_id: prom, protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN' }, 400, 'Protocol PROMETHEUS listeners cannot have child objects.'],
    [{ ...on, protocol: 'HTTP', session_persistence: { type: 'APP_COOKIE' } }, 400, 'Validation failure: Field "cookie_name" must be specified when using the "APP_COOKIE" session persistence type.'],
    [{ ...on, protocol: 'HTTP', session_persistence: { type: 'HTTP_COOKIE', cookie_name: 'c' } }, 400, 'Validation failure: Field "cookie_name" can only be specified with session persistence of type "APP_COOKIE".'],
    [{ ...on, protocol: 'HTTP', session_persistence: { type: 'APP_COOKIE', cookie_name: 'a=b' } }, 400, 'Validation failure: Supplied "cookie_name" is invalid.'],
    [{ ...on, protocol: 'HTTP', session_persistence: { type: 'APP_COOKIE', cookie_name: 'a b' } }, 400, /field\/attribute cookie_name\. Value: 'a b'\. Value should match the pattern/],
    [{ ...on, protocol: 'HTTP', session_persistence: { type: 'SOURCE_IP', persistence_timeout: 5 } }, 400, 'Validation failure: persistence_timeout and persistence_granularity is only for UDP and SCTP protocol pools.'],
    [{ ...on, protocol: 'UDP', session_persistence: { type: 'HTTP_COOKIE' } }, 400, 'Validation failure: Session persistence of type HTTP_COOKIE is not supported for UDP/SCTP protocol pools.'],
    [{ ...on, protocol: 'UDP', session_persistence: { type: 'SOURCE_IP', cookie_name: 'c' } }, 400, 'Validation failure: session_persistence SOURCE_IP type for UDP and SCTP protocols only accepts: type, persistence_timeout, persistence_granularity.'],
    [{ ...on, protocol: 'SCTP', session_persistence: { type: 'APP_COOKIE', cookie_name: 'c' } }, 400, 'Validation failure: Cookie names are not supported for UDP/SCTP pools.'],
    [{ ...on, protocol: 'HTTP', crl_container_ref: 'crl' }, 400, 'Validation failure: A CA certificate reference is required to specify a revocation list.'],
    [{ ...on, protocol: 'HTTPS', tls_enabled: true, tls_versions: [] }, 400, 'Validation failure: Empty TLS version list. Either specify at least one TLS version or remove this parameter to use the default.'],
    [{ ...on, protocol: 'FTP' }, 400, "Invalid input for field/attribute protocol. Value: 'FTP'. Value should be one of: HTTP, HTTPS, PROXY, PROXYV2, SCTP, TCP, UDP"],
    [{ ...on, protocol: 'HTTP', lb_algorithm: 'RANDOM' }, 400, /field\/attribute lb_algorithm\. Value: 'RANDOM'\. Value should be one of/],
    [{ ...on }, 400, "Invalid input for field/attribute protocol. Value: 'None'. Mandatory field missing."],
    [{ ...on, protocol: 'HTTP', bogus: true }, 400, 'Unknown attribute for argument pool_.pool: bogus'],
    [{ ...on, protocol: 'HTTP', session_persistence: { type: 'SOURCE_IP', bogus: 1 } }, 400, 'Unknown attribute for argument pool_.pool.session_persistence: bogus'],
    [{ ...on, protocol: 'HTTP', loadbalancer_id: 'x' }, 400, "Invalid input for field/attribute loadbalancer_id. Value: 'x'. Value should be UUID format"],
    [{ ...on, protocol: 'HTTP', members: [{ address: '192.0.2.1', protocol_port: 80 }] }, 400, /field\/attribute members/],
  ];
  const n = await count();
  for (const [pool, status, message] of cases) {
    const r = await post(pool);
    assert.equal(r.status, status, `${JSON.stringify(pool)} → ${JSON.stringify(r.body)}`);
    if (typeof message === 'string') assert.equal(r.body.faultstring, message);
    else assert.match(r.body.faultstring, message);
  }
  assert.equal(await count(), n, 'nothing written');

  // What is allowed: UDP with SOURCE_IP persistence and timeouts; TLS pools get Octavia's defaults.
  const udp = await post({ ...on, protocol: 'UDP', session_persistence: { type: 'SOURCE_IP', persistence_timeout: 60, persistence_granularity: '255.255.255.0' } });
  assert.equal(udp.status, 201, JSON.stringify(udp.body));
  assert.deepEqual(udp.body.pool.session_persistence, { type: 'SOURCE_IP', cookie_name: null, persistence_timeout: 60, persistence_granularity: '255.255.255.0' });
  await settled(t, lb.id);
  const tls = await post({ ...on, protocol: 'HTTPS', tls_enabled: true });
  assert.equal(tls.status, 201);
  assert.deepEqual(tls.body.pool.tls_versions, ['TLSv1.2', 'TLSv1.3']);
  await settled(t, lb.id);
  const put = await call(t.app, 'PUT', `/v2/lbaas/pools/${udp.body.pool.id}`, { pool: { session_persistence: { persistence_timeout: 5 }, lb_algorithm: 'BOGUS' } });
  assert.equal(put.status, 400);
  // SOURCE_IP_PORT is accepted (the HAProxy provider hashes source address and port; Octavia's amphora refuses it).
  const sipp = await post({ ...on, protocol: 'TCP', lb_algorithm: 'SOURCE_IP_PORT' });
  assert.equal(sipp.status, 201, JSON.stringify(sipp.body));
  assert.equal(sipp.body.pool.lb_algorithm, 'SOURCE_IP_PORT');
  await settled(t, lb.id);
  const putHttp = await call(t.app, 'PUT', `/v2/lbaas/pools/${tls.body.pool.id}`, { pool: { session_persistence: { type: 'SOURCE_IP', persistence_timeout: 5 } } });
  assert.equal(putHttp.status, 400);
  assert.equal(putHttp.body.faultstring, 'Validation failure: persistence_timeout and persistence_granularity is only for UDP protocol pools.');
  const unknown = await call(t.app, 'PUT', `/v2/lbaas/pools/${tls.body.pool.id}`, { pool: { protocol: 'TCP' } });
  assert.equal(unknown.status, 400);
  assert.equal(unknown.body.faultstring, 'Unknown attribute for argument pool_.pool: protocol');
});

test('deleting a pool takes its members and health monitor with it and clears the listener\'s default pool', async () => {
  const lb = await activeLoadBalancer(t, { name: 'p-cascade' });
  const l1 = await listener(lb.id);
  const pool = (await post({ protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN', listener_id: l1 })).body.pool;
  await settled(t, lb.id);
  const m = (await call(t.app, 'POST', `/v2/lbaas/pools/${pool.id}/members`, { member: { address: '192.0.2.5', protocol_port: 80 } })).body.member;
  await settled(t, lb.id);
  const hm = (await call(t.app, 'POST', '/v2/lbaas/healthmonitors', { healthmonitor: { pool_id: pool.id, type: 'TCP', delay: 5, timeout: 3, max_retries: 3 } })).body.healthmonitor;
  await settled(t, lb.id);
  const shown = await call(t.app, 'GET', `/v2/lbaas/pools/${pool.id}`);
  assert.deepEqual(shown.body.pool.members, [{ id: m.id }]);
  assert.equal(shown.body.pool.healthmonitor_id, hm.id);

  assert.equal((await call(t.app, 'DELETE', `/v2/lbaas/pools/${pool.id}`)).status, 204);
  const during = await t.store.get('member', m.id);
  assert.ok(during === undefined || during.provisioningStatus === 'PENDING_DELETE');
  await settled(t, lb.id);
  assert.equal((await call(t.app, 'GET', `/v2/lbaas/pools/${pool.id}`)).status, 404);
  assert.equal((await call(t.app, 'GET', `/v2/lbaas/healthmonitors/${hm.id}`)).status, 404);
  assert.equal(await t.store.get('member', m.id), undefined);
  const l = (await call(t.app, 'GET', `/v2/lbaas/listeners/${l1}`)).body.listener;
  assert.equal(l.default_pool_id, null);
  assert.equal(l.provisioning_status, 'ACTIVE');
  const tree = await call(t.app, 'GET', `/v2/lbaas/loadbalancers/${lb.id}/status`);
  assert.deepEqual(tree.body.statuses.loadbalancer.listeners[0].pools, []);
});
