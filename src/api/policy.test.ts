/**
 * @module api/policy.test — the policy as a matrix: every registered route × every role, with
 * the expected answers written out by hand (not derived from the code under test); then what
 * each role sees of another project's objects.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import type { FastifyRequest } from 'fastify';
import { makeTestApi, PROJECT, type TestApi } from '../../test/helpers/fixtures.js';
import { makeCaller, POLICY, policyKey, isOpenRoute, registeredRoutes, type Rule } from './policy.js';

/** What each role may do in its own project, by rule (Octavia's defaults, read from octavia/policies). */
const ALLOWED: Record<string, readonly Rule[]> = {
  admin: ['read', 'read-global', 'write', 'admin', 'read-quota', 'read-quota-global', 'write-quota', 'network-read', 'network-write', 'secret-read', 'secret-write'],
  member: ['read', 'write', 'read-quota', 'network-read', 'network-write', 'secret-read', 'secret-write'],
  reader: ['read', 'read-quota', 'network-read', 'secret-read'],
  'load-balancer_admin': ['read', 'read-global', 'write', 'admin', 'read-quota', 'read-quota-global', 'write-quota'],
  'load-balancer_member': ['read', 'write', 'read-quota'],
  'load-balancer_observer': ['read', 'read-quota'],
  'load-balancer_global_observer': ['read', 'read-global', 'read-quota', 'read-quota-global'],
  'load-balancer_quota_admin': ['read-quota', 'read-quota-global', 'write-quota'],
  heat_stack_user: [],
};

const OTHER = 'b7f1a3c0d2e44f5a9c8b7a6d5e4f3a2b';

/** Test authentication: roles from `x-test-roles`, project from `x-project-id`; no roles header = anonymous. */
const authenticate = async (request: FastifyRequest) => {
  const roles = request.headers['x-test-roles'];
  if (typeof roles !== 'string') return null;
  const project = request.headers['x-project-id'];
  return makeCaller({ projectId: typeof project === 'string' ? project : null, roles: roles === '' ? [] : roles.split(','), userId: 'u1' });
};

let t: TestApi;
let lbId: string;

async function as(role: string, project: string, method: string, url: string, payload?: unknown): Promise<{ status: number; body: any }> {
  // The event stream never ends by itself: its reply is read as a stream, and dropped once it answers 200.
  const isStream = url.endsWith('/events');
  const r = await t.app.inject({
    method: method as 'GET', url, headers: { 'x-test-roles': role, 'x-project-id': project },
    ...(payload === undefined ? {} : { payload: payload as object }),
    ...(isStream ? { payloadAsStream: true } : {}),
  });
  if (isStream) {
    const stream = r.stream();
    if (r.statusCode === 200) {
      stream.destroy();
      return { status: 200, body: null };
    }
    const chunks: Buffer[] = [];
    for await (const c of stream) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString();
    return { status: r.statusCode, body: text === '' ? null : JSON.parse(text) };
  }
  const isJson = String(r.headers['content-type'] ?? '').startsWith('application/json');
  return { status: r.statusCode, body: r.body === '' ? null : isJson ? r.json() : r.body };
}

before(async () => {
  t = await makeTestApi({ authenticate });
  const r = await as('admin', PROJECT, 'POST', '/v2/lbaas/loadbalancers', { loadbalancer: { vip_subnet_id: t.subnetId, name: 'mine' } });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  lbId = r.body.loadbalancer.id;
});

after(async () => {
  await t?.close();
});

test('every registered route is open or in the policy table (the table is the whole truth)', () => {
  const routes = registeredRoutes(t.app);
  assert.ok(routes.length > 30, `routes recorded: ${routes.length}`);
  const missing = routes.filter((r) => {
    const [method, url] = r.split(' ') as [string, string];
    return !isOpenRoute(url) && POLICY[policyKey(method, url)] === undefined;
  });
  assert.deepEqual(missing, []);
});

test('matrix: each route × each role in its own project is refused (403, Octavia body) exactly when the role lacks the rule', async () => {
  const routes = registeredRoutes(t.app).filter((r) => !isOpenRoute(r.split(' ')[1]!));
  let checked = 0;
  for (const route of routes) {
    const [method, pattern] = route.split(' ') as [string, string];
    const entry = POLICY[policyKey(method, pattern)]!;
    // Unknown ids: an allowed call fails later (404/400) without changing anything. A quota is
    // the caller's own project's: another project's is 403 by the owner check, as in Octavia.
    const url = pattern.replace(/:projectId/g, PROJECT).replace(/:[^/]+/g, () => randomUUID());
    for (const [role, rules] of Object.entries(ALLOWED)) {
      const r = await as(role, PROJECT, method, url, method === 'POST' || method === 'PUT' ? {} : undefined);
      if (rules.includes(entry.rule)) {
        assert.ok(r.status !== 403 && r.status !== 401, `${role} ${route} (${entry.rule}) allowed, got ${r.status} ${JSON.stringify(r.body)}`);
      } else {
        assert.equal(r.status, 403, `${role} ${route} (${entry.rule}) refused, got ${r.status}`);
        // Octavia's body on its own routes and on Fulcrum's (/metrics); Neutron's on the network APIs.
        if ((pattern.includes('/lbaas/') && !pattern.startsWith('/network')) || /^\/v2(\.0)?\/octavia\//.test(pattern) || pattern === '/metrics') {
          assert.deepEqual(r.body, { faultcode: 'Client', faultstring: 'Policy does not allow this request to be performed.', debuginfo: null });
        } else if (pattern.startsWith('/key-manager')) {
          assert.deepEqual(r.body, { code: 403, title: 'Forbidden', description: 'Policy does not allow this request to be performed.' });
        } else {
          assert.equal(r.body.NeutronError.type, 'PolicyNotAuthorized');
        }
      }
      checked++;
    }
  }
  assert.ok(checked > 300, `checked ${checked}`);
});

test('no token: 401 on every protected route, the version documents and health check still answer', async () => {
  for (const url of ['/v2/lbaas/loadbalancers', '/v2.0/networks', `/v2/lbaas/loadbalancers/${lbId}`]) {
    const r = await t.app.inject({ method: 'GET', url });
    assert.equal(r.statusCode, 401, url);
  }
  for (const url of ['/', '/v2', '/healthcheck']) assert.equal((await t.app.inject({ method: 'GET', url })).statusCode, 200, url);
});

test("another project's load balancer: 404 to its readers and members, visible to global observers, changed only by admins", async () => {
  const url = `/v2/lbaas/loadbalancers/${lbId}`;
  const put = { loadbalancer: { description: 'changed' } };
  for (const role of ['member', 'reader', 'load-balancer_member', 'load-balancer_observer']) {
    assert.equal((await as(role, OTHER, 'GET', url)).status, 404, `${role} GET`);
    const list = await as(role, OTHER, 'GET', '/v2/lbaas/loadbalancers');
    assert.deepEqual(list.body.loadbalancers, [], `${role} list`);
  }
  assert.equal((await as('member', OTHER, 'PUT', url, put)).status, 404);
  assert.equal((await as('member', OTHER, 'DELETE', url)).status, 404);
  // A global observer sees every project but changes none (even with member in its own).
  assert.equal((await as('load-balancer_global_observer', OTHER, 'GET', url)).status, 200);
  assert.equal((await as('load-balancer_global_observer,member', OTHER, 'GET', '/v2/lbaas/loadbalancers')).body.loadbalancers.length, 1);
  assert.equal((await as('load-balancer_global_observer,member', OTHER, 'PUT', url, put)).status, 404);
  // Only admins act on behalf of another project.
  const onBehalf = { loadbalancer: { vip_subnet_id: t.subnetId, project_id: PROJECT } };
  assert.equal((await as('member', OTHER, 'POST', '/v2/lbaas/loadbalancers', onBehalf)).status, 403);
  const lbAdmin = await as('load-balancer_admin', OTHER, 'PUT', url, put);
  assert.equal(lbAdmin.status, 200, JSON.stringify(lbAdmin.body));
  assert.equal(lbAdmin.body.loadbalancer.description, 'changed');
});

test('L7 routes: Octavia\'s rule names under both prefixes; members write their own policies and rules, readers read, others see 404', async () => {
  // Written out by hand from octavia/policies/l7policy.py and l7rule.py.
  const expected: Record<string, [string, Rule]> = {
    'GET /v2/lbaas/l7policies': ['os_load-balancer_api:l7policy:get_all', 'read'],
    'POST /v2/lbaas/l7policies': ['os_load-balancer_api:l7policy:post', 'write'],
    'GET /v2/lbaas/l7policies/:id': ['os_load-balancer_api:l7policy:get_one', 'read'],
    'PUT /v2/lbaas/l7policies/:id': ['os_load-balancer_api:l7policy:put', 'write'],
    'DELETE /v2/lbaas/l7policies/:id': ['os_load-balancer_api:l7policy:delete', 'write'],
    'GET /v2/lbaas/l7policies/:l7policyId/rules': ['os_load-balancer_api:l7rule:get_all', 'read'],
    'POST /v2/lbaas/l7policies/:l7policyId/rules': ['os_load-balancer_api:l7rule:post', 'write'],
    'GET /v2/lbaas/l7policies/:l7policyId/rules/:id': ['os_load-balancer_api:l7rule:get_one', 'read'],
    'PUT /v2/lbaas/l7policies/:l7policyId/rules/:id': ['os_load-balancer_api:l7rule:put', 'write'],
    'DELETE /v2/lbaas/l7policies/:l7policyId/rules/:id': ['os_load-balancer_api:l7rule:delete', 'write'],
  };
  for (const [key, [name, rule]] of Object.entries(expected)) assert.deepEqual(POLICY[key], { name, rule }, key);
  const routes = registeredRoutes(t.app);
  for (const prefix of ['/v2/lbaas', '/v2.0/lbaas']) {
    const l7 = routes.filter((r) => r.includes(`${prefix}/l7policies`)).map((r) => {
      const [method, url] = r.split(' ') as [string, string];
      return policyKey(method, url);
    });
    assert.deepEqual(l7.sort(), Object.keys(expected).sort(), prefix);
  }

  const settle = async (): Promise<void> => {
    const deadline = Date.now() + 5000;
    while ((await as('admin', PROJECT, 'GET', `/v2/lbaas/loadbalancers/${lbId}`)).body.loadbalancer.provisioning_status !== 'ACTIVE') {
      if (Date.now() > deadline) throw new Error('load balancer never ACTIVE');
      await new Promise((r) => setTimeout(r, 5));
    }
  };
  await settle();
  const listener = await as('member', PROJECT, 'POST', '/v2/lbaas/listeners', { listener: { loadbalancer_id: lbId, protocol: 'HTTP', protocol_port: 80 } });
  assert.equal(listener.status, 201, JSON.stringify(listener.body));
  await settle();
  const body = { l7policy: { listener_id: listener.body.listener.id, action: 'REJECT' } };
  assert.equal((await as('reader', PROJECT, 'POST', '/v2/lbaas/l7policies', body)).status, 403);
  assert.equal((await as('member', OTHER, 'POST', '/v2/lbaas/l7policies', body)).status, 404, "another project's listener");
  const policy = await as('load-balancer_member', PROJECT, 'POST', '/v2/lbaas/l7policies', body);
  assert.equal(policy.status, 201, JSON.stringify(policy.body));
  const id = policy.body.l7policy.id as string;
  await settle();
  const ruleBody = { rule: { type: 'PATH', compare_type: 'EQUAL_TO', value: '/' } };
  assert.equal((await as('load-balancer_observer', PROJECT, 'POST', `/v2/lbaas/l7policies/${id}/rules`, ruleBody)).status, 403);
  const rule = await as('member', PROJECT, 'POST', `/v2/lbaas/l7policies/${id}/rules`, ruleBody);
  assert.equal(rule.status, 201, JSON.stringify(rule.body));
  await settle();
  for (const role of ['reader', 'load-balancer_observer']) {
    assert.equal((await as(role, PROJECT, 'GET', `/v2/lbaas/l7policies/${id}`)).status, 200, role);
    assert.equal((await as(role, PROJECT, 'GET', `/v2/lbaas/l7policies/${id}/rules/${rule.body.rule.id}`)).status, 200, role);
  }
  for (const role of ['member', 'reader']) {
    assert.equal((await as(role, OTHER, 'GET', `/v2/lbaas/l7policies/${id}`)).status, 404, role);
    assert.equal((await as(role, OTHER, 'GET', `/v2/lbaas/l7policies/${id}/rules`)).status, 404, role);
    assert.deepEqual((await as(role, OTHER, 'GET', '/v2/lbaas/l7policies')).body.l7policies, [], role);
  }
  assert.equal((await as('load-balancer_global_observer', OTHER, 'GET', `/v2/lbaas/l7policies/${id}`)).status, 200);
  assert.equal((await as('load-balancer_global_observer', OTHER, 'DELETE', `/v2/lbaas/l7policies/${id}`)).status, 403);
  assert.equal((await as('member', OTHER, 'DELETE', `/v2/lbaas/l7policies/${id}`)).status, 404);
  assert.equal((await as('member', PROJECT, 'DELETE', `/v2/lbaas/l7policies/${id}`)).status, 204);
  await settle();
});
