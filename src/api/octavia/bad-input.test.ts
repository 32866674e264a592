/**
 * @module api/octavia/bad-input.test — no body, however wrong, makes a listener, pool, member,
 * health monitor, L7 policy, L7 rule or fully-populated load balancer route answer 5xx.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { activeLoadBalancer, call, makeTestApi, PROJECT, settled, type TestApi } from '../../../test/helpers/fixtures.js';

let t: TestApi;
const headers = { 'x-project-id': PROJECT };
before(async () => { t = await makeTestApi(); });
after(async () => { await t.close(); });

/** Values of every JSON type and at every edge, substituted for each field in turn. */
const ODD: unknown[] = [
  null, true, 0, -1, 1.5, 1e20, -1e20, '', ' ', 'x'.repeat(3000), '\u0000', '../../etc', [], [null], ['x'], {}, { a: 1 },
  '00000000-0000-0000-0000-000000000000', '10.0.0.1', '::1', '10.0.0.0/8',
];

test('every field set to every odd value answers 2xx or 4xx, never 5xx', async () => {
  const lb = await activeLoadBalancer(t, { name: 'fuzz' });
  const listener = (await call(t.app, 'POST', '/v2/lbaas/listeners', { listener: { protocol: 'HTTP', protocol_port: 80, loadbalancer_id: lb.id } })).body.listener;
  await settled(t, lb.id);
  const pool = (await call(t.app, 'POST', '/v2/lbaas/pools', { pool: { protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN', listener_id: listener.id } })).body.pool;
  await settled(t, lb.id);
  const member = (await call(t.app, 'POST', `/v2/lbaas/pools/${pool.id}/members`, { member: { address: '192.0.2.1', protocol_port: 80 } })).body.member;
  await settled(t, lb.id);
  const hm = (await call(t.app, 'POST', '/v2/lbaas/healthmonitors', { healthmonitor: { pool_id: pool.id, type: 'HTTP', delay: 5, timeout: 3, max_retries: 3 } })).body.healthmonitor;
  await settled(t, lb.id);
  const policy = (await call(t.app, 'POST', '/v2/lbaas/l7policies', { l7policy: { listener_id: listener.id, action: 'REJECT' } })).body.l7policy;
  await settled(t, lb.id);
  const rule = (await call(t.app, 'POST', `/v2/lbaas/l7policies/${policy.id}/rules`, { rule: { type: 'PATH', compare_type: 'EQUAL_TO', value: '/' } })).body.rule;
  await settled(t, lb.id);

  const routes: [method: 'POST' | 'PUT', url: string, key: string, valid: Record<string, unknown>][] = [
    ['POST', '/v2/lbaas/listeners', 'listener', {
      protocol: 'TERMINATED_HTTPS', protocol_port: 443, loadbalancer_id: lb.id, default_tls_container_ref: 'r', connection_limit: 5,
      insert_headers: { 'X-Forwarded-For': 'true' }, allowed_cidrs: ['10.0.0.0/8'], tls_versions: ['TLSv1.2'], alpn_protocols: ['h2'],
      default_pool_id: pool.id, timeout_client_data: 1, client_authentication: 'NONE', sni_container_refs: ['s'], tags: ['a'],
    }],
    ['PUT', `/v2/lbaas/listeners/${listener.id}`, 'listener', {
      name: 'n', connection_limit: 5, default_pool_id: pool.id, insert_headers: { 'X-Forwarded-Port': 'true' },
      allowed_cidrs: ['10.0.0.0/8'], tls_versions: ['TLSv1.2'], alpn_protocols: ['h2'], client_crl_container_ref: 'c',
    }],
    ['POST', '/v2/lbaas/pools', 'pool', {
      protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN', loadbalancer_id: lb.id, listener_id: listener.id,
      session_persistence: { type: 'APP_COOKIE', cookie_name: 'c', persistence_timeout: 1, persistence_granularity: '255.0.0.0' },
      tls_enabled: true, tls_versions: ['TLSv1.3'], ca_tls_container_ref: 'ca', crl_container_ref: 'crl',
    }],
    ['PUT', `/v2/lbaas/pools/${pool.id}`, 'pool', {
      lb_algorithm: 'SOURCE_IP', session_persistence: { type: 'HTTP_COOKIE' }, tls_enabled: false, tls_versions: ['TLSv1.3'],
      ca_tls_container_ref: 'ca', crl_container_ref: 'crl',
    }],
    ['POST', `/v2/lbaas/pools/${pool.id}/members`, 'member', {
      address: '192.0.2.9', protocol_port: 81, weight: 3, backup: true, subnet_id: t.subnetId, monitor_port: 1, monitor_address: '192.0.2.8',
    }],
    ['PUT', `/v2/lbaas/pools/${pool.id}/members/${member.id}`, 'member', { weight: 3, backup: true, monitor_port: 1, monitor_address: '::1' }],
    ['POST', '/v2/lbaas/healthmonitors', 'healthmonitor', {
      pool_id: pool.id, type: 'HTTP', delay: 5, timeout: 3, max_retries: 3, max_retries_down: 2, http_method: 'HEAD',
      url_path: '/x', expected_codes: '200', http_version: 1.1, domain_name: 'a.example',
    }],
    ['PUT', `/v2/lbaas/healthmonitors/${hm.id}`, 'healthmonitor', {
      delay: 5, timeout: 3, max_retries: 3, http_method: 'HEAD', url_path: '/x', expected_codes: '200', http_version: 1.0, domain_name: 'a.example',
    }],
    ['POST', '/v2/lbaas/l7policies', 'l7policy', {
      listener_id: listener.id, action: 'REDIRECT_TO_URL', redirect_url: 'http://example.com/', redirect_http_code: 301, position: 1,
      name: 'n', description: 'd', admin_state_up: true, tags: ['a'], rules: [{ type: 'HEADER', compare_type: 'EQUAL_TO', key: 'X', value: 'v' }],
    }],
    ['PUT', `/v2/lbaas/l7policies/${policy.id}`, 'l7policy', {
      action: 'REDIRECT_PREFIX', redirect_prefix: 'https://example.com', redirect_http_code: 308, position: 2, name: 'n', tags: ['b'],
    }],
    ['POST', `/v2/lbaas/l7policies/${policy.id}/rules`, 'rule', {
      type: 'COOKIE', compare_type: 'CONTAINS', key: 'c', value: 'v', invert: true, admin_state_up: true, tags: ['a'],
    }],
    ['PUT', `/v2/lbaas/l7policies/${policy.id}/rules/${rule.id}`, 'rule', {
      type: 'HEADER', compare_type: 'REGEX', key: 'X', value: '^a', invert: false, admin_state_up: false,
    }],
    ['POST', '/v2/lbaas/loadbalancers', 'loadbalancer', {
      vip_subnet_id: t.subnetId,
      listeners: [{
        protocol: 'HTTP', protocol_port: 80, default_pool: { name: 'p', protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN', members: [{ address: '192.0.2.1', protocol_port: 80 }], healthmonitor: { type: 'TCP', delay: 1, timeout: 1, max_retries: 1 } },
        l7policies: [{ action: 'REDIRECT_TO_POOL', redirect_pool: { name: 'r', protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN' }, rules: [{ type: 'PATH', compare_type: 'STARTS_WITH', value: '/a' }] }],
      }],
      pools: [{ name: 'q', protocol: 'TCP', lb_algorithm: 'SOURCE_IP' }],
    }],
  ];
  let requests = 0;
  let accepted = 0;
  for (const [method, url, key, valid] of routes) {
    const bodies: unknown[] = [null, [], 'x', 1, {}, { [key]: null }, { [key]: [] }, { [key]: 'x' }, { [key]: {} }, { [key]: valid, extra: 1 }];
    for (const field of Object.keys(valid)) {
      for (const odd of ODD) bodies.push({ [key]: { ...valid, [field]: odd } });
      const without = { ...valid };
      delete without[field];
      bodies.push({ [key]: without });
    }
    for (const body of bodies) {
      const r = await t.app.inject({ method, url, headers: { ...headers, 'content-type': 'application/json' }, payload: JSON.stringify(body) });
      requests++;
      assert.ok(r.statusCode < 500, `${method} ${url} ${JSON.stringify(body).slice(0, 300)} → ${r.statusCode} ${r.body}`);
      if (r.statusCode >= 400) assert.equal(r.json().faultcode, 'Client');
      // Anything accepted is applied before the next body, so later requests meet an ACTIVE load balancer.
      if (r.statusCode < 300) {
        accepted++;
        const lbId = key === 'loadbalancer' ? r.json().loadbalancer.id : lb.id;
        await settled(t, lbId);
      }
    }
  }
  assert.ok(requests > 1000);
  assert.ok(accepted > 20, 'the valid variants went through, so the odd ones were checked against real state');
});
