/** @module api/octavia/health-monitors.test — the health monitor API end to end on SQLite with the noop agent. */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  activeLoadBalancer, call, holdStatus, makeTestApi, PROJECT, settled, waitFor, type TestApi,
} from '../../../test/helpers/fixtures.js';

let t: TestApi;
before(async () => { t = await makeTestApi(); });
after(async () => { await t.close(); });

const HM_KEYS = [
  'admin_state_up', 'created_at', 'delay', 'domain_name', 'expected_codes', 'http_method', 'http_version', 'id',
  'max_retries', 'max_retries_down', 'name', 'operating_status', 'pools', 'project_id', 'provisioning_status', 'tags',
  'tenant_id', 'timeout', 'type', 'updated_at', 'url_path',
];

/** An ACTIVE load balancer with a pool of the given protocol. */
async function pool(name: string, protocol = 'HTTP'): Promise<{ lbId: string; poolId: string }> {
  const lb = await activeLoadBalancer(t, { name });
  const p = await call(t.app, 'POST', '/v2/lbaas/pools', { pool: { protocol, lb_algorithm: 'ROUND_ROBIN', loadbalancer_id: lb.id } });
  assert.equal(p.status, 201, JSON.stringify(p.body));
  await settled(t, lb.id);
  return { lbId: lb.id, poolId: p.body.pool.id };
}

const post = (healthmonitor: Record<string, unknown>) => call(t.app, 'POST', '/v2/lbaas/healthmonitors', { healthmonitor });

test('health monitors: create with HTTP defaults, show, list, update, delete, each to ACTIVE', async () => {
  const { lbId, poolId } = await pool('hm-crud');
  const r = await post({ name: 'hm1', pool_id: poolId, type: 'HTTP', delay: 5, timeout: 3, max_retries: 3, url_path: '/health', expected_codes: '200-299' });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  const hm = r.body.healthmonitor;
  assert.deepEqual(Object.keys(hm).sort(), HM_KEYS);
  // As the reference body 17-healthmonitor-create.json.
  assert.deepEqual({ ...hm, id: undefined, created_at: undefined }, {
    id: undefined, name: 'hm1', type: 'HTTP', delay: 5, timeout: 3, max_retries: 3, max_retries_down: 3, http_method: 'GET',
    url_path: '/health', expected_codes: '200-299', admin_state_up: true, project_id: PROJECT, pools: [{ id: poolId }],
    provisioning_status: 'PENDING_CREATE', operating_status: 'OFFLINE', created_at: undefined, updated_at: null, tags: [],
    http_version: null, domain_name: null, tenant_id: PROJECT,
  });
  const active = await waitFor(t.app, `/v2/lbaas/healthmonitors/${hm.id}`, 'healthmonitor', 'ACTIVE');
  assert.equal(active.operating_status, 'ONLINE');
  await settled(t, lbId);
  assert.equal((await call(t.app, 'GET', `/v2/lbaas/pools/${poolId}`)).body.pool.healthmonitor_id, hm.id);
  const listed = await call(t.app, 'GET', `/v2/lbaas/healthmonitors?pool_id=${poolId}`);
  assert.deepEqual(listed.body.healthmonitors.map((h: { id: string }) => h.id), [hm.id]);
  assert.deepEqual(listed.body.healthmonitors_links, []);

  const put = await call(t.app, 'PUT', `/v2/lbaas/healthmonitors/${hm.id}`, {
    healthmonitor: { delay: 10, http_method: null, url_path: null, expected_codes: '200,202', max_retries_down: null, http_version: 1.1, domain_name: 'example.com' },
  });
  assert.equal(put.status, 200, JSON.stringify(put.body));
  assert.deepEqual(
    [put.body.healthmonitor.delay, put.body.healthmonitor.http_method, put.body.healthmonitor.url_path, put.body.healthmonitor.expected_codes,
      put.body.healthmonitor.provisioning_status, put.body.healthmonitor.domain_name],
    [10, 'GET', '/', '200,202', 'PENDING_UPDATE', 'example.com'],
  );
  await waitFor(t.app, `/v2/lbaas/healthmonitors/${hm.id}`, 'healthmonitor', 'ACTIVE');
  await settled(t, lbId);

  assert.equal((await call(t.app, 'DELETE', `/v2/lbaas/healthmonitors/${hm.id}`)).status, 204);
  await waitFor(t.app, `/v2/lbaas/healthmonitors/${hm.id}`, 'healthmonitor', 'DELETED');
  await settled(t, lbId);
  assert.equal((await call(t.app, 'GET', `/v2/lbaas/pools/${poolId}`)).body.pool.healthmonitor_id, null);
});

test('a non-HTTP monitor has no HTTP fields; one monitor per pool; a pending pool or load balancer is 409', async () => {
  const { lbId, poolId } = await pool('hm-409');
  const ping = await post({ pool_id: poolId, type: 'PING', delay: 5, timeout: 2, max_retries: 2 });
  assert.equal(ping.status, 201);
  assert.deepEqual([ping.body.healthmonitor.http_method, ping.body.healthmonitor.url_path, ping.body.healthmonitor.expected_codes], [null, null, null]);
  await settled(t, lbId);
  const dup = await post({ pool_id: poolId, type: 'TCP', delay: 5, timeout: 2, max_retries: 2 });
  assert.equal(dup.status, 409);
  assert.equal(dup.body.faultstring, 'This pool already has a health monitor');
  const putHttp = await call(t.app, 'PUT', `/v2/lbaas/healthmonitors/${ping.body.healthmonitor.id}`, { healthmonitor: { url_path: '/x' } });
  assert.equal(putHttp.status, 400);
  assert.equal(putHttp.body.faultstring, 'url_path is not a valid option for health monitors of type PING');
  const putNull = await call(t.app, 'PUT', `/v2/lbaas/healthmonitors/${ping.body.healthmonitor.id}`, { healthmonitor: { delay: null } });
  assert.equal(putNull.status, 400);
  assert.equal(putNull.body.faultstring, 'None is not a valid option for delay');
  // HAProxy's timers are 32-bit milliseconds: a longer delay or timeout is refused here, not in the data plane.
  for (const [field, value] of [['delay', 2_147_484], ['timeout', 3_000_000]] as const) {
    const tooLong = await call(t.app, 'PUT', `/v2/lbaas/healthmonitors/${ping.body.healthmonitor.id}`, { healthmonitor: { [field]: value } });
    assert.equal(tooLong.status, 400, field);
    assert.match(tooLong.body.faultstring, new RegExp(`${field}.*2147483`), tooLong.body.faultstring);
    const created = await post({ pool_id: poolId, type: 'TCP', delay: 5, timeout: 2, max_retries: 2, [field]: value });
    assert.equal(created.status, 400, field);
  }
  const longest = await call(t.app, 'PUT', `/v2/lbaas/healthmonitors/${ping.body.healthmonitor.id}`, { healthmonitor: { delay: 2_147_483 } });
  assert.equal(longest.status, 200, JSON.stringify(longest.body));

  const other = await pool('hm-409-b');
  const restorePool = await holdStatus(t.store, 'pool', other.poolId, 'PENDING_CREATE');
  const poolBusy = await post({ pool_id: other.poolId, type: 'TCP', delay: 5, timeout: 2, max_retries: 2 });
  assert.equal(poolBusy.status, 409);
  assert.equal(poolBusy.body.faultstring, `Pool ${other.poolId} is immutable and cannot be updated.`);
  await restorePool();
  const restoreLb = await holdStatus(t.store, 'loadbalancer', other.lbId, 'PENDING_UPDATE');
  const lbBusy = await post({ pool_id: other.poolId, type: 'TCP', delay: 5, timeout: 2, max_retries: 2 });
  assert.equal(lbBusy.status, 409);
  assert.equal(lbBusy.body.faultstring, `Load Balancer ${other.lbId} is immutable and cannot be updated.`);
  await restoreLb();
  assert.deepEqual((await call(t.app, 'GET', `/v2/lbaas/healthmonitors?pool_id=${other.poolId}`)).body.healthmonitors, []);
});

test('type against pool protocol and field rules answer 400 in Octavia\'s words, writing nothing', async () => {
  const http = await pool('hm-rules-http');
  const udp = await pool('hm-rules-udp', 'UDP');
  const ok = { type: 'HTTP', delay: 5, timeout: 3, max_retries: 3 };
  const cases: [Record<string, unknown>, string | RegExp][] = [
    [{ ...ok, pool_id: http.poolId, type: 'UDP-CONNECT' }, 'Validation failure: The UDP-CONNECT type is only supported for pools of type UDP/SCTP.'],
    [{ ...ok, pool_id: http.poolId, type: 'SCTP' }, 'Validation failure: The SCTP type is only supported for pools of type UDP/SCTP.'],
    [{ ...ok, pool_id: udp.poolId, type: 'PING' }, 'Validation failure: The associated pool protocol is UDP, so only a UDP-CONNECT/SCTP/TCP/HTTP health monitor is supported.'],
    [{ ...ok, pool_id: udp.poolId, type: 'UDP-CONNECT', delay: 2 }, 'Validation failure: The request delay value 2 should be larger than 3 for UDP-CONNECT health monitor type.'],
    [{ ...ok, pool_id: http.poolId, type: 'TCP', http_method: 'GET' }, 'http_method is not a valid option for health monitors of type TCP'],
    [{ ...ok, pool_id: http.poolId, type: 'TLS-HELLO', expected_codes: '200' }, 'expected_codes is not a valid option for health monitors of type TLS-HELLO'],
    [{ ...ok, pool_id: http.poolId, expected_codes: '2xx' }, /^Invalid input for field\/attribute expected_codes\. Value: '2xx'\. Value should match the pattern/],
    [{ ...ok, pool_id: http.poolId, url_path: 'health' }, "Invalid input for field/attribute url_path. Value: 'health'. Value must be a valid URL Path string"],
    [{ ...ok, pool_id: http.poolId, url_path: '//host/x' }, "Invalid input for field/attribute url_path. Value: '//host/x'. Value must be a valid URL Path string"],
    [{ ...ok, pool_id: http.poolId, max_retries: 11 }, "Invalid input for field/attribute max_retries. Value: '11'. Value should be lower or equal to 10"],
    [{ ...ok, pool_id: http.poolId, max_retries_down: 0 }, /field\/attribute max_retries_down.*greater or equal to 1/],
    [{ ...ok, pool_id: http.poolId, delay: -1 }, /field\/attribute delay.*greater or equal to 1/],
    // HAProxy refuses `inter 0`: a 0 delay or timeout was accepted (as Octavia does) and then failed at apply.
    [{ ...ok, pool_id: http.poolId, delay: 0 }, /field\/attribute delay.*greater or equal to 1/],
    [{ ...ok, pool_id: http.poolId, timeout: 0 }, /field\/attribute timeout.*greater or equal to 1/],
    [{ ...ok, pool_id: http.poolId, http_method: 'FETCH' }, /field\/attribute http_method\. Value: 'FETCH'\. Value should be one of/],
    [{ ...ok, pool_id: http.poolId, domain_name: 'example.com' }, "Validation failure: 'http_version' must be specified when 'domain_name' is provided."],
    [{ ...ok, pool_id: http.poolId, domain_name: 'example.com', http_version: 1.0 }, 'http_version 1.0 is not a valid option for health monitors HTTP 1.1 domain name health check'],
    [{ ...ok, pool_id: http.poolId, http_version: 2 }, /field\/attribute http_version/],
    [{ ...ok, pool_id: http.poolId, domain_name: '-bad-' , http_version: 1.1 }, /field\/attribute domain_name/],
    [{ ...ok, pool_id: http.poolId, delay: '5' }, /field\/attribute delay\. Value: '5'\. Value should be an integer/],
    [{ ...ok }, "Invalid input for field/attribute pool_id. Value: 'None'. Mandatory field missing."],
    [{ ...ok, pool_id: http.poolId, description: 'x' }, 'Unknown attribute for argument health_monitor_.healthmonitor: description'],
  ];
  for (const [healthmonitor, message] of cases) {
    const r = await post(healthmonitor);
    assert.equal(r.status, 400, `${JSON.stringify(healthmonitor)} → ${JSON.stringify(r.body)}`);
    if (typeof message === 'string') assert.equal(r.body.faultstring, message);
    else assert.match(r.body.faultstring, message);
  }
  const missingPool = await post({ ...ok, pool_id: '00000000-0000-0000-0000-000000000000' });
  assert.equal(missingPool.status, 404);
  assert.equal(missingPool.body.faultstring, 'Pool 00000000-0000-0000-0000-000000000000 not found.');
  assert.deepEqual((await call(t.app, 'GET', '/v2/lbaas/healthmonitors?name=never')).body.healthmonitors, []);
  for (const id of [http.poolId, udp.poolId]) {
    assert.deepEqual((await call(t.app, 'GET', `/v2/lbaas/healthmonitors?pool_id=${id}`)).body.healthmonitors, [], 'nothing written');
  }
  // What UDP pools do accept: UDP-CONNECT with a long enough delay, and HTTP with its defaults.
  const udpOk = await post({ ...ok, pool_id: udp.poolId, type: 'UDP-CONNECT', delay: 3 });
  assert.equal(udpOk.status, 201);
  await settled(t, udp.lbId);
  const udpPut = await call(t.app, 'PUT', `/v2/lbaas/healthmonitors/${udpOk.body.healthmonitor.id}`, { healthmonitor: { delay: 1 } });
  assert.equal(udpPut.status, 400);
  assert.equal(udpPut.body.faultstring, 'Validation failure: The request delay value 1 should be larger than 3 for UDP-CONNECT health monitor type.');
});
