/** @module api/octavia/listeners.test — the listener API end to end on SQLite with the noop agent. */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  activeLoadBalancer, call, holdStatus, makeTestApi, PROJECT, settled, waitFor, type TestApi,
} from '../../../test/helpers/fixtures.js';
import { makePki } from '../../../test/helpers/certs.js';

let t: TestApi;
before(async () => { t = await makeTestApi(); });
after(async () => { await t.close(); });

const LISTENER_KEYS = [
  'admin_state_up', 'allowed_cidrs', 'alpn_protocols', 'client_authentication', 'client_ca_tls_container_ref',
  'client_crl_container_ref', 'connection_limit', 'created_at', 'default_pool_id', 'default_tls_container_ref', 'description', 'hsts_include_subdomains', 'hsts_max_age', 'hsts_preload',
  'id', 'insert_headers', 'l7policies', 'loadbalancers', 'name', 'operating_status', 'project_id', 'protocol', 'protocol_port',
  'provisioning_status', 'sni_container_refs', 'tags', 'tenant_id', 'timeout_client_data', 'timeout_member_connect',
  'timeout_member_data', 'timeout_tcp_inspect', 'tls_ciphers', 'tls_versions', 'updated_at',
];

const post = (listener: Record<string, unknown>) => call(t.app, 'POST', '/v2/lbaas/listeners', { listener });
const count = async () => (await call(t.app, 'GET', '/v2/lbaas/listeners')).body.listeners.length as number;

test('create, show, list, update and delete a listener, each going through the agent to ACTIVE', async () => {
  const lb = await activeLoadBalancer(t, { name: 'l-crud' });
  const r = await post({ name: 'l1', protocol: 'HTTP', protocol_port: 80, loadbalancer_id: lb.id });
  assert.equal(r.status, 201);
  const l = r.body.listener;
  assert.deepEqual(Object.keys(l).sort(), LISTENER_KEYS);
  // Octavia's defaults, as in the reference body 07-listener-create.json.
  assert.deepEqual({ ...l, id: undefined, created_at: undefined, loadbalancers: undefined }, {
    id: undefined, name: 'l1', description: '', provisioning_status: 'PENDING_CREATE', operating_status: 'OFFLINE',
    admin_state_up: true, protocol: 'HTTP', protocol_port: 80, connection_limit: -1, default_tls_container_ref: null,
    sni_container_refs: [], project_id: PROJECT, default_pool_id: null, l7policies: [], insert_headers: {},
    created_at: undefined, updated_at: null, loadbalancers: undefined, timeout_client_data: 50000,
    timeout_member_connect: 5000, timeout_member_data: 50000, timeout_tcp_inspect: 0, tags: [],
    client_ca_tls_container_ref: null, client_authentication: 'NONE', client_crl_container_ref: null, allowed_cidrs: null,
    tls_ciphers: null, tls_versions: null, alpn_protocols: null, hsts_max_age: null, hsts_include_subdomains: false,
    hsts_preload: false, tenant_id: PROJECT,
  });
  assert.deepEqual(l.loadbalancers, [{ id: lb.id }]);
  const during = await call(t.app, 'GET', `/v2/lbaas/loadbalancers/${lb.id}`);
  assert.ok(['PENDING_UPDATE', 'ACTIVE'].includes(during.body.loadbalancer.provisioning_status));
  const active = await waitFor(t.app, `/v2/lbaas/listeners/${l.id}`, 'listener', 'ACTIVE');
  assert.notEqual(active.updated_at, null);
  await settled(t, lb.id);
  const lbNow = await call(t.app, 'GET', `/v2/lbaas/loadbalancers/${lb.id}`);
  assert.deepEqual(lbNow.body.loadbalancer.listeners, [{ id: l.id }]);

  const listed = await call(t.app, 'GET', `/v2/lbaas/listeners?loadbalancer_id=${lb.id}&fields=id&fields=protocol_port`);
  assert.deepEqual(listed.body, { listeners: [{ id: l.id, protocol_port: 80 }], listeners_links: [] });
  const shown = await call(t.app, 'GET', `/v2/lbaas/listeners/${l.id}?fields=name`);
  assert.deepEqual(shown.body, { listener: { name: 'l1' } });

  const put = await call(t.app, 'PUT', `/v2/lbaas/listeners/${l.id}`, {
    listener: { name: 'renamed', connection_limit: 100, timeout_client_data: 1000, insert_headers: { 'X-Forwarded-For': 'true' }, tags: ['x'] },
  });
  assert.equal(put.status, 200);
  assert.equal(put.body.listener.provisioning_status, 'PENDING_UPDATE');
  assert.equal(put.body.listener.name, 'renamed');
  assert.deepEqual(put.body.listener.insert_headers, { 'X-Forwarded-For': 'true' });
  await waitFor(t.app, `/v2/lbaas/listeners/${l.id}`, 'listener', 'ACTIVE');
  await settled(t, lb.id);
  // null resets to Octavia's defaults (_set_default_on_none).
  const reset = await call(t.app, 'PUT', `/v2/lbaas/listeners/${l.id}`, {
    listener: { connection_limit: null, timeout_client_data: null, name: null, tags: null },
  });
  assert.equal(reset.status, 200);
  assert.equal(reset.body.listener.connection_limit, -1);
  assert.equal(reset.body.listener.timeout_client_data, 50000);
  assert.equal(reset.body.listener.name, '');
  assert.deepEqual(reset.body.listener.tags, []);
  await settled(t, lb.id);

  const del = await call(t.app, 'DELETE', `/v2/lbaas/listeners/${l.id}`);
  assert.equal(del.status, 204);
  assert.equal(del.body, null);
  await waitFor(t.app, `/v2/lbaas/listeners/${l.id}`, 'listener', 'DELETED');
  await settled(t, lb.id);
  const gone = await call(t.app, 'GET', `/v2/lbaas/listeners/${l.id}`);
  assert.deepEqual(gone.body, { faultcode: 'Client', faultstring: `Listener ${l.id} not found.`, debuginfo: null });
});

test('409: a listener cannot be added while its load balancer is PENDING_*, nor reuse a port on the same transport', async () => {
  const lb = await activeLoadBalancer(t, { name: 'l-409' });
  const restore = await holdStatus(t.store, 'loadbalancer', lb.id, 'PENDING_UPDATE');
  const n = await count();
  const pending = await post({ name: 'l2', protocol: 'TCP', protocol_port: 81, loadbalancer_id: lb.id });
  assert.equal(pending.status, 409);
  assert.equal(pending.body.faultstring, `Load Balancer ${lb.id} is immutable and cannot be updated.`);
  assert.equal(await count(), n, 'nothing written');
  await restore();

  assert.equal((await post({ protocol: 'HTTP', protocol_port: 80, loadbalancer_id: lb.id })).status, 201);
  await settled(t, lb.id);
  const dup = await post({ name: 'dup', protocol: 'HTTP', protocol_port: 80, loadbalancer_id: lb.id });
  assert.equal(dup.status, 409);
  assert.equal(dup.body.faultstring, 'Another Listener on this Load Balancer is already using protocol HTTP and protocol_port 80');
  // TCP shares HTTP's transport; the message names the listener already there.
  const tcp = await post({ protocol: 'TCP', protocol_port: 80, loadbalancer_id: lb.id });
  assert.equal(tcp.status, 409);
  assert.equal(tcp.body.faultstring, 'Another Listener on this Load Balancer is already using protocol HTTP and protocol_port 80');
  // UDP is another transport: the same port is free.
  assert.equal((await post({ protocol: 'UDP', protocol_port: 80, loadbalancer_id: lb.id })).status, 201);
  await settled(t, lb.id);

  // While the listener change is pending, the listener itself cannot be changed or deleted.
  const l = (await post({ protocol: 'TCP', protocol_port: 443, loadbalancer_id: lb.id })).body.listener;
  await settled(t, lb.id);
  const hold = await holdStatus(t.store, 'loadbalancer', lb.id, 'PENDING_UPDATE');
  assert.equal((await call(t.app, 'PUT', `/v2/lbaas/listeners/${l.id}`, { listener: { name: 'x' } })).status, 409);
  assert.equal((await call(t.app, 'DELETE', `/v2/lbaas/listeners/${l.id}`)).status, 409);
  await hold();
  await settled(t, lb.id);
});

test('bad input gets 400 naming the field, in Octavia\'s words, and writes nothing', async () => {
  const lb = await activeLoadBalancer(t, { name: 'l-400' });
  const base = { protocol: 'HTTP', protocol_port: 8000, loadbalancer_id: lb.id };
  const cases: [Record<string, unknown>, string | RegExp][] = [
    [{ ...base, protocol: 'FTP', protocol_port: 21 }, "Invalid input for field/attribute protocol. Value: 'FTP'. Value should be one of: HTTP, TERMINATED_HTTPS, HTTPS, UDP, TCP, PROMETHEUS, SCTP"],
    [{ ...base, bogus: 1 }, 'Unknown attribute for argument listener_.listener: bogus'],
    [{ ...base, loadbalancer_id: 'nope' }, "Invalid input for field/attribute loadbalancer_id. Value: 'nope'. Value should be UUID format"],
    [{ ...base, protocol_port: 0 }, "Invalid input for field/attribute protocol_port. Value: '0'. Value should be greater or equal to 1"],
    [{ ...base, protocol_port: 65536 }, "Invalid input for field/attribute protocol_port. Value: '65536'. Value should be lower or equal to 65535"],
    [{ ...base, protocol_port: '80' }, /field\/attribute protocol_port\. Value: '80'\. Value should be an integer/],
    [{ ...base, connection_limit: -2 }, /field\/attribute connection_limit.*greater or equal to -1/],
    [{ ...base, timeout_client_data: 2073600001 }, /field\/attribute timeout_client_data.*lower or equal to 2073600000/],
    [{ ...base, admin_state_up: 'yes' }, /field\/attribute admin_state_up.*Value should be a boolean/],
    [{ protocol: 'HTTP', loadbalancer_id: lb.id }, "Invalid input for field/attribute protocol_port. Value: 'None'. Mandatory field missing."],
    [{ ...base, insert_headers: { 'X-Forwarded-For': 1 } }, /field\/attribute X-Forwarded-For\. Value: '1'\. Value should be a string/],
    // Octavia reads any value but "true" as off; a meaningless value is refused instead of ignored.
    [{ ...base, insert_headers: { 'X-Forwarded-For': 'yes' } }, /field\/attribute insert_headers\. Value: 'yes'\. Value for X-Forwarded-For should be 'true' or 'false'/],
    [{ ...base, protocol: 'TCP', insert_headers: { 'X-Forwarded-For': 'true' } }, 'insert-headers is not a valid option for a TCP protocol listener.'],
    [{ ...base, insert_headers: { 'X-Bogus': 'true' } }, "['X-Bogus'] is not a valid option for insert_headers"],
    [{ ...base, insert_headers: { 'X-SSL-Client-CN': 'true' } }, "['X-SSL-Client-CN'] is not a valid option for HTTP protocol listener."],
    [{ ...base, protocol: 'UDP', default_tls_container_ref: 'ref' }, 'Validation failure: UDP protocol listener does not support TLS.'],
    [{ ...base, default_tls_container_ref: 'ref' }, 'Validation failure: Certificate container references are not allowed on HTTP protocol listeners.'],
    [{ ...base, protocol: 'TERMINATED_HTTPS' }, 'Validation failure: An SNI or default certificate container reference must be provided for TERMINATED_HTTPS protocol listeners.'],
    [{ ...base, protocol: 'TERMINATED_HTTPS', default_tls_container_ref: 'ref', client_authentication: 'MANDATORY' }, 'Validation failure: Client authentication setting MANDATORY requires a client CA container reference.'],
    [{ ...base, protocol: 'TERMINATED_HTTPS', default_tls_container_ref: 'ref', tls_versions: [] }, 'Validation failure: Empty TLS version list. Either specify at least one TLS version or remove this parameter to use the default.'],
    [{ ...base, protocol: 'TERMINATED_HTTPS', default_tls_container_ref: 'ref', tls_versions: ['TLSv9'] }, 'Validation failure: Invalid TLS versions: TLSv9'],
    [{ ...base, alpn_protocols: ['spdy'] }, "Invalid input for field/attribute alpn_protocols. Value: 'spdy'. Value should be a valid ALPN protocol ID"],
    [{ ...base, allowed_cidrs: ['10.0.0.0/33'] }, "Invalid input for field/attribute allowed_cidrs. Value: '10.0.0.0/33'. Value should be IPv4 or IPv6 CIDR format"],
    [{ ...base, allowed_cidrs: ['fd00::/64'] }, `Validation failure: CIDR fd00::/64 IP version incompatible with VIP ${String(lb.vip_address)} IP version.`],
    [{ ...base, l7policies: [{ action: 'REJECT' }] }, /field\/attribute l7policies/],
    [{ ...base, protocol: 'PROMETHEUS', default_pool_id: '11111111-2222-3333-4444-555555555555' }, 'Protocol PROMETHEUS listeners cannot have child objects.'],
  ];
  const n = await count();
  for (const [listener, message] of cases) {
    const r = await post(listener);
    assert.equal(r.status, 400, `${JSON.stringify(listener)} → ${JSON.stringify(r.body)}`);
    if (typeof message === 'string') assert.equal(r.body.faultstring, message);
    else assert.match(r.body.faultstring, message);
  }
  const notJson = await t.app.inject({
    method: 'POST', url: '/v2/lbaas/listeners', headers: { 'content-type': 'application/json', 'x-project-id': PROJECT }, payload: '{"listener":',
  });
  assert.equal(notJson.statusCode, 400);
  assert.equal(notJson.json().faultstring, 'Request is not in valid JSON format');
  const missing = await post({ ...base, loadbalancer_id: '00000000-0000-0000-0000-000000000000' });
  assert.equal(missing.status, 404);
  assert.equal(missing.body.faultstring, 'Load Balancer 00000000-0000-0000-0000-000000000000 not found.');
  assert.equal(await count(), n, 'nothing written');
  assert.equal((await call(t.app, 'GET', `/v2/lbaas/loadbalancers/${lb.id}`)).body.loadbalancer.provisioning_status, 'ACTIVE');
});

test('TLS listeners and allowed CIDRs get Octavia\'s defaults and normal forms', async () => {
  const lb = await activeLoadBalancer(t, { name: 'l-tls' });
  const pki = await makePki();
  const secret = async (payload: string): Promise<string> => (await call(t.app, 'POST', '/key-manager/v1/secrets', {
    payload, payload_content_type: 'text/plain',
  })).body.secret_ref;
  const container = (await call(t.app, 'POST', '/key-manager/v1/containers', {
    type: 'certificate', secret_refs: [{ name: 'certificate', secret_ref: await secret(pki.www.cert) }, { name: 'private_key', secret_ref: await secret(pki.www.key) }],
  })).body.container_ref;
  pki.cleanup();
  const r = await post({
    protocol: 'TERMINATED_HTTPS', protocol_port: 443, loadbalancer_id: lb.id, default_tls_container_ref: container,
    allowed_cidrs: ['10.1.2.3/8', '192.0.2.7', '10.0.0.0/8'], insert_headers: { 'X-SSL-Client-CN': 'true' },
  });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  const l = r.body.listener;
  assert.deepEqual(l.allowed_cidrs, ['10.0.0.0/8', '192.0.2.7/32']);
  assert.deepEqual(l.tls_versions, ['TLSv1.2', 'TLSv1.3']);
  assert.deepEqual(l.alpn_protocols, ['h2', 'http/1.1', 'http/1.0']);
  assert.match(l.tls_ciphers, /^TLS_AES_256_GCM_SHA384:/);
  await settled(t, lb.id);
  const bad = await call(t.app, 'PUT', `/v2/lbaas/listeners/${l.id}`, { listener: { client_crl_container_ref: 'crl' } });
  assert.equal(bad.status, 400);
  assert.equal(bad.body.faultstring, 'Validation failure: A client authentication CA reference is required to specify a client authentication revocation list.');
});

test('a default pool must be on the listener\'s load balancer and speak a protocol it forwards to', async () => {
  const lb = await activeLoadBalancer(t, { name: 'l-pool' });
  const other = await activeLoadBalancer(t, { name: 'l-pool-other' });
  const udp = (await call(t.app, 'POST', '/v2/lbaas/pools', { pool: { loadbalancer_id: lb.id, protocol: 'UDP', lb_algorithm: 'ROUND_ROBIN' } })).body.pool;
  await settled(t, lb.id);
  const far = (await call(t.app, 'POST', '/v2/lbaas/pools', { pool: { loadbalancer_id: other.id, protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN' } })).body.pool;
  await settled(t, other.id);
  const mismatch = await post({ protocol: 'HTTP', protocol_port: 80, loadbalancer_id: lb.id, default_pool_id: udp.id });
  assert.equal(mismatch.status, 400);
  assert.equal(mismatch.body.faultstring, "Validation failure: The pool protocol 'UDP' is invalid while the listener protocol is 'HTTP'.");
  const elsewhere = await post({ protocol: 'HTTP', protocol_port: 80, loadbalancer_id: lb.id, default_pool_id: far.id });
  assert.equal(elsewhere.status, 404);
  assert.equal(elsewhere.body.faultstring, `Pool ${far.id} not found.`);
  const ok = await post({ protocol: 'UDP', protocol_port: 53, loadbalancer_id: lb.id, default_pool_id: udp.id });
  assert.equal(ok.status, 201);
  assert.equal(ok.body.listener.default_pool_id, udp.id);
  await settled(t, lb.id);
  const pool = await call(t.app, 'GET', `/v2/lbaas/pools/${udp.id}`);
  assert.deepEqual(pool.body.pool.listeners, [{ id: ok.body.listener.id }]);
  // PUT default_pool_id null unsets it.
  const unset = await call(t.app, 'PUT', `/v2/lbaas/listeners/${ok.body.listener.id}`, { listener: { default_pool_id: null } });
  assert.equal(unset.body.listener.default_pool_id, null);
  await settled(t, lb.id);
});

test('listener statistics, and the listener in the load balancer\'s status tree', async () => {
  const lb = await activeLoadBalancer(t, { name: 'l-stats' });
  const l = (await post({ name: 'st', protocol: 'TCP', protocol_port: 22, loadbalancer_id: lb.id })).body.listener;
  await settled(t, lb.id);
  const stats = await call(t.app, 'GET', `/v2/lbaas/listeners/${l.id}/stats`);
  assert.deepEqual(stats.body, { stats: { bytes_in: 0, bytes_out: 0, active_connections: 0, total_connections: 0, request_errors: 0 } });
  await t.store.recordCounters(lb.id, 'w', new Map([[l.id, { bytesIn: 10, bytesOut: 20, activeConnections: 1, totalConnections: 3, requestErrors: 0 }]]));
  assert.deepEqual((await call(t.app, 'GET', `/v2/lbaas/listeners/${l.id}/stats`)).body.stats,
    { bytes_in: 10, bytes_out: 20, active_connections: 1, total_connections: 3, request_errors: 0 });
  assert.equal((await call(t.app, 'GET', '/v2/lbaas/listeners/00000000-0000-0000-0000-000000000000/stats')).status, 404);
  const tree = await call(t.app, 'GET', `/v2/lbaas/loadbalancers/${lb.id}/status`);
  assert.deepEqual(tree.body.statuses.loadbalancer.listeners, [
    { id: l.id, name: 'st', operating_status: 'OFFLINE', provisioning_status: 'ACTIVE', pools: [] },
  ]);
});
