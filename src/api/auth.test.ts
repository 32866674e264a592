/**
 * @module api/auth.test — `--auth embedded` end to end in one server: tokens issued by `/v3`
 * authenticate the Octavia, Neutron and network-endpoint routes; no or a bad token is
 * keystonemiddleware's 401 on every API; a project sees only its own objects; deleting a user or
 * a role assignment stops its token at once.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { makeTestApi, type TestApi } from '../../test/helpers/fixtures.js';
import { PASSWORDS } from '../identity/fixtures.js';
import { KeystoneValidator } from '../identity/keystone-client.js';
import { tokenAuthenticator } from './auth.js';

let t: TestApi;
/** The identity service's clock runs this far ahead of the real one. */
let skewMs = 0;

before(async () => {
  t = await makeTestApi({ identity: true, identityNow: () => Date.now() + skewMs });
});
after(() => t.close());

/** A project-scoped token for a user (password login through the API). */
async function login(user: string, password: string, project: string): Promise<string> {
  const r = await t.app.inject({
    method: 'POST', url: '/v3/auth/tokens',
    payload: { auth: { identity: { methods: ['password'], password: { user: { name: user, domain: { id: 'default' }, password } } }, scope: { project: { name: project, domain: { id: 'default' } } } } },
  });
  assert.equal(r.statusCode, 201, r.body);
  return r.headers['x-subject-token'] as string;
}

async function as(token: string | null, method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: object): Promise<{ status: number; body: any; headers: Record<string, unknown> }> {
  const r = await t.app.inject({ method, url, headers: token === null ? {} : { 'x-auth-token': token }, ...(payload ? { payload } : {}) });
  return { status: r.statusCode, body: r.body === '' ? null : r.json(), headers: r.headers };
}

const UNAUTHENTICATED = { error: { code: 401, title: 'Unauthorized', message: 'The request you have made requires authentication.' } };

describe('without a valid token', () => {
  for (const url of ['/v2/lbaas/loadbalancers', '/v2.0/lbaas/listeners', '/v2.0/networks', '/network/v2.0/lbaas/loadbalancers', '/network/v2.0/subnets']) {
    test(`GET ${url}: keystonemiddleware's 401 with the identity URL`, async () => {
      for (const token of [null, 'not-a-token', 'gAAAAA' + 'x'.repeat(180)]) {
        const r = await as(token, 'GET', url);
        assert.equal(r.status, 401, `${token}: ${JSON.stringify(r.body)}`);
        assert.deepEqual(r.body, UNAUTHENTICATED);
        assert.equal(r.headers['www-authenticate'], 'Keystone uri="http://127.0.0.1/v3"');
      }
    });
  }

  test('an expired token is 401 on every API; a fresh one works', async () => {
    const demo = await login('demo', PASSWORDS.demo, 'demo');
    assert.equal((await as(demo, 'GET', '/v2/lbaas/loadbalancers')).status, 200);
    skewMs = 3601_000; // past the default one-hour lifetime
    try {
      for (const url of ['/v2/lbaas/loadbalancers', '/v2.0/networks', '/network/v2.0/lbaas/loadbalancers']) {
        const r = await as(demo, 'GET', url);
        assert.equal(r.status, 401, url);
        assert.deepEqual(r.body, UNAUTHENTICATED);
      }
      assert.equal((await as(await login('demo', PASSWORDS.demo, 'demo'), 'GET', '/v2/lbaas/loadbalancers')).status, 200);
    } finally {
      skewMs = 0;
    }
  });

  test('malformed login bodies are 400 in Keystone\'s body; a wrong password 401', async () => {
    for (const payload of ['{not json', { auth: {} }, { auth: { identity: { methods: ['password'] } } }, { auth: { identity: { methods: ['password'], password: { user: { name: 'demo' } } } } }]) {
      const r = await t.app.inject({ method: 'POST', url: '/v3/auth/tokens', headers: { 'content-type': 'application/json' }, payload: typeof payload === 'string' ? payload : JSON.stringify(payload) });
      assert.equal(r.statusCode, 400, `${JSON.stringify(payload)}: ${r.body}`);
      assert.equal(r.json().error.code, 400);
      assert.equal(r.json().error.title, 'Bad Request');
    }
    const wrong = await t.app.inject({
      method: 'POST', url: '/v3/auth/tokens',
      payload: { auth: { identity: { methods: ['password'], password: { user: { name: 'demo', domain: { id: 'default' }, password: 'nope' } } } } },
    });
    assert.equal(wrong.statusCode, 401);
    assert.equal(wrong.json().error.title, 'Unauthorized');
  });

  test('a write without a token changes nothing', async () => {
    const r = await as(null, 'POST', '/v2.0/networks', { network: { name: 'sneaky' } });
    assert.equal(r.status, 401);
    const admin = await login('admin', PASSWORDS.admin, 'admin');
    assert.deepEqual((await as(admin, 'GET', '/v2.0/networks?name=sneaky')).body.networks, []);
  });

  test('version documents, the health check and identity discovery need none', async () => {
    for (const url of ['/', '/v2', '/healthcheck', '/v3', '/identity/v3']) assert.equal((await t.app.inject({ url })).statusCode, 200, url);
    assert.equal((await t.app.inject({ url: '/identity' })).statusCode, 300, "Keystone's root list");
  });

  test("the catalog's identity endpoint discovers Keystone, not the root's Octavia versions", async () => {
    // `openstack versions show` listed Octavia's v2.x as identity: keystoneauth discovers at the
    // endpoint's unversioned URL, which for PUBLIC_URL/v3 was the root.
    const r = await t.app.inject({ method: 'POST', url: '/v3/auth/tokens', payload: { auth: { identity: { methods: ['password'], password: { user: { name: 'demo', domain: { id: 'default' }, password: PASSWORDS.demo } } }, scope: { project: { name: 'demo', domain: { id: 'default' } } } } } });
    const identity = (r.json().token.catalog as { type: string; endpoints: { url: string }[] }[]).find((s) => s.type === 'identity')!;
    const endpoint = new URL(identity.endpoints[0]!.url);
    assert.equal(endpoint.pathname, '/identity/v3');
    const unversioned = await t.app.inject({ url: endpoint.pathname.replace(/\/v3$/, '') });
    assert.deepEqual(unversioned.json().versions.values.map((v: { id: string }) => v.id), ['v3.14']);
    const token = r.headers['x-subject-token'] as string;
    assert.equal((await as(token, 'GET', '/identity/v3/auth/projects')).status, 200);
    assert.equal((await as(null, 'GET', '/identity/v3/auth/projects')).status, 401);
    assert.equal((await as(token, 'GET', '/identity/nothing-here')).status, 404);
  });
});

describe('with tokens', () => {
  test("a member works in its own project; another project's objects are 404; admin sees all", async () => {
    const demo = await login('demo', PASSWORDS.demo, 'demo');
    const net = await as(demo, 'POST', '/v2.0/networks', { network: { name: 'demo-net' } });
    assert.equal(net.status, 201, JSON.stringify(net.body));
    const demoProject = net.body.network.project_id as string;
    assert.match(demoProject, /^[0-9a-f]{32}$/, 'the project comes from the token');
    const subnet = await as(demo, 'POST', '/v2.0/subnets', { subnet: { network_id: net.body.network.id, cidr: '10.61.0.0/24', ip_version: 4 } });
    assert.equal(subnet.status, 201, JSON.stringify(subnet.body));
    const lb = await as(demo, 'POST', '/v2/lbaas/loadbalancers', { loadbalancer: { name: 'demo-lb', vip_subnet_id: subnet.body.subnet.id } });
    assert.equal(lb.status, 201, JSON.stringify(lb.body));
    assert.equal(lb.body.loadbalancer.project_id, demoProject);

    // A member of another project, made through the identity API by the admin.
    const admin = await login('admin', PASSWORDS.admin, 'admin');
    const other = await as(admin, 'POST', '/v3/projects', { project: { name: 'other', domain_id: 'default' } });
    assert.equal(other.status, 201, JSON.stringify(other.body));
    const bob = await as(admin, 'POST', '/v3/users', { user: { name: 'bob', password: 'bob-secret-pw', domain_id: 'default' } });
    const member = (await as(admin, 'GET', '/v3/roles?name=member')).body.roles[0].id;
    assert.equal((await as(admin, 'PUT', `/v3/projects/${other.body.project.id}/users/${bob.body.user.id}/roles/${member}`)).status, 204);
    const bobToken = await login('bob', 'bob-secret-pw', 'other');

    assert.equal((await as(bobToken, 'GET', `/v2/lbaas/loadbalancers/${lb.body.loadbalancer.id}`)).status, 404, 'another project reads 404');
    assert.deepEqual((await as(bobToken, 'GET', '/v2/lbaas/loadbalancers')).body.loadbalancers, []);
    const put = await as(bobToken, 'PUT', `/v2/lbaas/loadbalancers/${lb.body.loadbalancer.id}`, { loadbalancer: { name: 'mine' } });
    assert.equal(put.status, 404);
    const onBehalf = await as(bobToken, 'POST', '/v2/lbaas/loadbalancers', { loadbalancer: { vip_subnet_id: subnet.body.subnet.id, project_id: demoProject } });
    assert.equal(onBehalf.status, 403, 'only admins act for another project');
    assert.deepEqual(onBehalf.body, { faultcode: 'Client', faultstring: 'Policy does not allow this request to be performed.', debuginfo: null });

    const all = (await as(admin, 'GET', '/v2/lbaas/loadbalancers')).body.loadbalancers.map((l: { id: string }) => l.id);
    assert.ok(all.includes(lb.body.loadbalancer.id), 'the admin sees every project');

    // A reader reads but cannot write; its token loses the role the moment the assignment goes.
    const reader = (await as(admin, 'GET', '/v3/roles?name=reader')).body.roles[0].id;
    const demoUser = (await as(admin, 'GET', '/v3/users?name=demo')).body.users[0].id;
    assert.equal((await as(admin, 'PUT', `/v3/projects/${demoProject}/users/${bob.body.user.id}/roles/${reader}`)).status, 204);
    const bobOnDemo = await login('bob', 'bob-secret-pw', 'demo');
    assert.equal((await as(bobOnDemo, 'GET', `/v2/lbaas/loadbalancers/${lb.body.loadbalancer.id}`)).status, 200);
    const denied = await as(bobOnDemo, 'DELETE', `/v2/lbaas/loadbalancers/${lb.body.loadbalancer.id}`);
    assert.equal(denied.status, 403);
    const neutronDenied = await as(bobOnDemo, 'POST', '/network/v2.0/networks', { network: { name: 'x' } });
    assert.equal(neutronDenied.status, 403);
    assert.equal(neutronDenied.body.NeutronError.type, 'PolicyNotAuthorized');
    assert.equal((await as(admin, 'DELETE', `/v3/projects/${demoProject}/users/${bob.body.user.id}/roles/${reader}`)).status, 204);
    // As Keystone: a project-scoped token whose user holds no role on the project is no longer valid.
    assert.equal((await as(bobOnDemo, 'GET', `/v2/lbaas/loadbalancers/${lb.body.loadbalancer.id}`)).status, 401, 'no role left: the same token is refused');

    // Deleting the user stops every token of theirs.
    assert.equal((await as(bobToken, 'GET', '/v2/lbaas/loadbalancers')).status, 200);
    assert.equal((await as(admin, 'DELETE', `/v3/users/${bob.body.user.id}`)).status, 204);
    assert.equal((await as(bobToken, 'GET', '/v2/lbaas/loadbalancers')).status, 401);
    assert.ok(demoUser, 'the demo user is untouched');
    assert.equal((await as(demo, 'GET', `/v2/lbaas/loadbalancers/${lb.body.loadbalancer.id}`)).status, 200);
  });
});

describe('--auth keystone: tokens validated by an external Keystone (here, another Fulcrum\'s embedded one)', () => {
  test('a token from the external Keystone works; a bad one is 401; Keystone down is 503, not 401', async () => {
    const keystoneUrl = await t.app.listen({ host: '127.0.0.1', port: 0 });
    const validator = new KeystoneValidator({ url: keystoneUrl, username: 'admin', password: PASSWORDS.admin, projectName: 'admin', cacheSeconds: 0 });
    await validator.connect();
    const lbaas = await makeTestApi({ authenticate: tokenAuthenticator((token) => validator.validateToken(token)) });
    try {
      const demo = await login('demo', PASSWORDS.demo, 'demo');
      const r = await lbaas.app.inject({ url: '/v2/lbaas/loadbalancers', headers: { 'x-auth-token': demo } });
      assert.equal(r.statusCode, 200, r.body);
      const bad = await lbaas.app.inject({ url: '/v2/lbaas/loadbalancers', headers: { 'x-auth-token': 'forged-token-value' } });
      assert.equal(bad.statusCode, 401);
      assert.deepEqual(bad.json(), UNAUTHENTICATED);
      await t.app.close();
      const down = await lbaas.app.inject({ url: '/v2/lbaas/loadbalancers', headers: { 'x-auth-token': demo } });
      assert.equal(down.statusCode, 503);
      assert.deepEqual(down.json(), { faultcode: 'Server', faultstring: 'The identity service is unavailable; retry later.', debuginfo: null });
    } finally {
      await lbaas.close();
    }
  });
});
