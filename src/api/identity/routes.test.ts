/**
 * @module api/identity/routes.test — the Keystone v3 subset over HTTP (`inject()`), on a bare
 * Fastify with only the identity routes and a bootstrapped identity store on a temp SQLite file.
 */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, test } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { makeTestIdentity, passwordAuth, PASSWORDS, type TestIdentity } from '../../identity/fixtures.js';
import { identityRoutes, type IdentityRouteDeps } from './routes.js';

const HOST = 'fulcrum.test:9876';

interface TestApp extends TestIdentity {
  app: FastifyInstance;
  logs: string[];
}

async function makeApp(opts: { ttl?: number; deps?: Partial<IdentityRouteDeps> } = {}): Promise<TestApp> {
  const t = await makeTestIdentity(opts.ttl === undefined ? {} : { tokenTtlSeconds: opts.ttl });
  const logs: string[] = [];
  const stream = new Writable({ write(chunk, _enc, cb) { logs.push(String(chunk)); cb(); } });
  const app = Fastify({ logger: { level: 'trace', stream }, routerOptions: { ignoreTrailingSlash: true } });
  await identityRoutes(app, { identity: t.identity, ...opts.deps });
  await app.ready();
  return {
    ...t, app, logs,
    close: async () => {
      await app.close();
      await t.close();
    },
  };
}

interface Res {
  status: number;
  headers: Record<string, unknown>;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- a test reads JSON bodies freely
  body: any;
  raw: string;
}

async function call(app: FastifyInstance, method: string, url: string, o: { token?: string; subject?: string; body?: unknown; raw?: string } = {}): Promise<Res> {
  const headers: Record<string, string> = { host: HOST };
  if (o.token !== undefined) headers['x-auth-token'] = o.token;
  if (o.subject !== undefined) headers['x-subject-token'] = o.subject;
  if (o.body !== undefined || o.raw !== undefined) headers['content-type'] = 'application/json';
  const r = await app.inject({
    method: method as 'GET', url, headers,
    ...(o.raw !== undefined ? { payload: o.raw } : o.body !== undefined ? { payload: JSON.stringify(o.body) } : {}),
  });
  let body: unknown = null;
  try {
    body = r.body ? JSON.parse(r.body) : null;
  } catch {
    body = r.body;
  }
  return { status: r.statusCode, headers: r.headers, body, raw: r.body };
}

async function login(app: FastifyInstance, user: string, password: string, project?: string): Promise<string> {
  const r = await call(app, 'POST', '/v3/auth/tokens', { body: passwordAuth(user, password, project) });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return String(r.headers['x-subject-token']);
}

function assertKeystoneError(r: Res, status: number, title: string): void {
  assert.equal(r.status, status, JSON.stringify(r.body));
  assert.deepEqual(Object.keys(r.body), ['error']);
  assert.equal(r.body.error.code, status);
  assert.equal(r.body.error.title, title);
  assert.equal(typeof r.body.error.message, 'string');
}

let t: TestApp;
let admin: string;
let demo: string;
before(async () => {
  t = await makeApp();
  admin = await login(t.app, 'admin', PASSWORDS.admin, 'admin');
  demo = await login(t.app, 'demo', PASSWORDS.demo, 'demo');
});
after(async () => {
  await t.close();
});

test('GET /v3 and /v3/ answer the version document keystoneauth discovers, with no token', async () => {
  for (const url of ['/v3', '/v3/']) {
    const r = await call(t.app, 'GET', url);
    assert.equal(r.status, 200);
    assert.equal(r.body.version.id, 'v3.14');
    assert.equal(r.body.version.status, 'stable');
    assert.deepEqual(r.body.version.links, [{ rel: 'self', href: `http://${HOST}/v3/` }]);
    assert.deepEqual(r.body.version['media-types'], [{ base: 'application/json', type: 'application/vnd.openstack.identity-v3+json' }]);
  }
});

test('POST /v3/auth/tokens: 201, the token in X-Subject-Token, Keystone\'s body with a catalog built from the Host', async () => {
  const r = await call(t.app, 'POST', '/v3/auth/tokens', { body: passwordAuth('admin', PASSWORDS.admin, 'admin') });
  assert.equal(r.status, 201);
  const token = r.headers['x-subject-token'];
  assert.match(String(token), /^[0-9a-f]{64}$/);
  assert.ok(!r.raw.includes(String(token)), 'the token is not in the body');
  const b = r.body.token;
  assert.deepEqual(Object.keys(b).sort(), ['audit_ids', 'catalog', 'expires_at', 'is_domain', 'issued_at', 'methods', 'project', 'roles', 'user']);
  assert.deepEqual(b.methods, ['password']);
  assert.deepEqual(Object.keys(b.user).sort(), ['domain', 'id', 'name', 'password_expires_at']);
  assert.deepEqual(b.user.domain, { id: 'default', name: 'Default' });
  assert.equal(b.project.name, 'admin');
  assert.deepEqual(b.project.domain, { id: 'default', name: 'Default' });
  assert.equal(b.is_domain, false);
  assert.deepEqual(b.roles.map((x: { name: string }) => x.name), ['admin']);
  assert.match(b.expires_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
  assert.equal(Date.parse(b.expires_at) - Date.parse(b.issued_at), 3600_000);
  assert.match(b.audit_ids[0], /^[\w-]{22}$/);
  const urls = Object.fromEntries(b.catalog.map((s: { type: string; endpoints: { interface: string; url: string }[] }) => [
    s.type, Object.fromEntries(s.endpoints.map((e) => [e.interface, e.url])),
  ]));
  assert.deepEqual(urls, {
    identity: { public: `http://${HOST}/v3`, internal: `http://${HOST}/v3`, admin: `http://${HOST}/v3` },
    network: { public: `http://${HOST}/network`, internal: `http://${HOST}/network`, admin: `http://${HOST}/network` },
    'load-balancer': { public: `http://${HOST}`, internal: `http://${HOST}`, admin: `http://${HOST}` },
    'key-manager': { public: `http://${HOST}/key-manager`, internal: `http://${HOST}/key-manager`, admin: `http://${HOST}/key-manager` },
  });
  const noCatalog = await call(t.app, 'POST', '/v3/auth/tokens?nocatalog', { body: passwordAuth('admin', PASSWORDS.admin, 'admin') });
  assert.equal(noCatalog.body.token.catalog, undefined);
});

test('a configured public URL wins over the Host header, in the catalog and in links', async () => {
  const other = await makeApp({ deps: { publicUrl: 'https://lb.example.com/', region: 'east' } });
  try {
    const r = await call(other.app, 'POST', '/v3/auth/tokens', { body: passwordAuth('demo', PASSWORDS.demo, 'demo') });
    const identity = r.body.token.catalog.find((s: { type: string }) => s.type === 'identity');
    assert.equal(identity.endpoints[0].url, 'https://lb.example.com/v3');
    assert.equal(identity.endpoints[0].region_id, 'east');
    const v = await call(other.app, 'GET', '/v3');
    assert.equal(v.body.version.links[0].href, 'https://lb.example.com/v3/');
  } finally {
    await other.close();
  }
});

test('mounted twice as the server does: a Keystone root list at /identity, the catalog naming /identity/v3 from either mount, links to the mount used', async () => {
  // `openstack versions show` listed Octavia's v2.0…v2.26 as identity's versions: keystoneauth
  // strips `/v3` off the catalog's identity endpoint and read the server root, Octavia's list.
  const ti = await makeTestIdentity();
  const app = Fastify({ logger: false, routerOptions: { ignoreTrailingSlash: true } });
  try {
    await identityRoutes(app, { identity: ti.identity, prefix: '/identity/v3', root: '/identity' });
    await identityRoutes(app, { identity: ti.identity, prefix: '/v3', paths: { identity: '/identity/v3' } });
    for (const url of ['/identity', '/identity/']) {
      const root = await call(app, 'GET', url);
      assert.equal(root.status, 300, 'Multiple Choices, as a Keystone root');
      assert.deepEqual(root.body.versions.values.map((v: { id: string; links: unknown }) => [v.id, v.links]), [['v3.14', [{ rel: 'self', href: `http://${HOST}/identity/v3/` }]]]);
    }
    assert.equal((await call(app, 'GET', '/identity/v3')).body.version.links[0].href, `http://${HOST}/identity/v3/`);
    assert.equal((await call(app, 'GET', '/v3')).body.version.links[0].href, `http://${HOST}/v3/`, 'each mount links to itself');
    for (const prefix of ['/identity/v3', '/v3']) {
      const r = await call(app, 'POST', `${prefix}/auth/tokens`, { body: passwordAuth('demo', PASSWORDS.demo, 'demo') });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      const identity = r.body.token.catalog.find((s: { type: string }) => s.type === 'identity');
      assert.deepEqual(identity.endpoints.map((e: { url: string }) => e.url), Array(3).fill(`http://${HOST}/identity/v3`));
      const token = String(r.headers['x-subject-token']);
      const other = prefix === '/v3' ? '/identity/v3' : '/v3';
      assert.equal((await call(app, 'GET', `${other}/auth/projects`, { token })).status, 200, 'one identity behind both mounts');
    }
  } finally {
    await app.close();
    await ti.close();
  }
});

test('unscoped and domain-scoped tokens; the catalog needs a scope', async () => {
  const unscoped = await call(t.app, 'POST', '/v3/auth/tokens', {
    body: { auth: { ...(passwordAuth('demo', PASSWORDS.demo).auth as object), scope: 'unscoped' } },
  });
  assert.equal(unscoped.status, 201);
  assert.deepEqual(Object.keys(unscoped.body.token).sort(), ['audit_ids', 'expires_at', 'issued_at', 'methods', 'user']);
  const u = String(unscoped.headers['x-subject-token']);
  assertKeystoneError(await call(t.app, 'GET', '/v3/auth/catalog', { token: u }), 403, 'Forbidden');
  const catalog = await call(t.app, 'GET', '/v3/auth/catalog', { token: demo });
  assert.equal(catalog.status, 200);
  assert.deepEqual(catalog.body.catalog.map((s: { type: string }) => s.type), ['identity', 'network', 'load-balancer', 'key-manager']);
  assert.equal(catalog.body.links.self, `http://${HOST}/v3/auth/catalog`);

  const domainAuth = { auth: { ...(passwordAuth('admin', PASSWORDS.admin).auth as object), scope: { domain: { id: 'default' } } } };
  assertKeystoneError(await call(t.app, 'POST', '/v3/auth/tokens', { body: domainAuth }), 401, 'Unauthorized');
  const me = (await call(t.app, 'GET', '/v3/auth/tokens', { token: admin, subject: admin })).body.token;
  const adminRole = me.roles[0].id;
  assert.equal((await call(t.app, 'PUT', `/v3/domains/default/users/${me.user.id}/roles/${adminRole}`, { token: admin })).status, 204);
  const onDomain = await call(t.app, 'POST', '/v3/auth/tokens', { body: domainAuth });
  assert.equal(onDomain.status, 201);
  assert.deepEqual(onDomain.body.token.domain, { id: 'default', name: 'Default' });
  assert.equal(onDomain.body.token.project, undefined);
  assert.equal((await call(t.app, 'DELETE', `/v3/domains/default/users/${me.user.id}/roles/${adminRole}`, { token: admin })).status, 204);
  assert.equal((await call(t.app, 'GET', '/v3/auth/tokens', { token: admin, subject: String(onDomain.headers['x-subject-token']) })).status, 404,
    'the domain token died with its only role');
});

test('the token method rescopes an unscoped token to a project', async () => {
  const unscoped = await call(t.app, 'POST', '/v3/auth/tokens', { body: { auth: { ...(passwordAuth('demo', PASSWORDS.demo).auth as object), scope: 'unscoped' } } });
  const r = await call(t.app, 'POST', '/v3/auth/tokens', {
    body: { auth: { identity: { methods: ['token'], token: { id: unscoped.headers['x-subject-token'] } }, scope: { project: { name: 'demo', domain: { name: 'Default' } } } } },
  });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  assert.equal(r.body.token.project.name, 'demo');
  assert.ok(r.body.token.methods.includes('token'));
  assert.equal(r.body.token.expires_at, unscoped.body.token.expires_at);
});

test('bad credentials are 401 in Keystone\'s body with WWW-Authenticate; malformed bodies 400', async () => {
  const wrong = await call(t.app, 'POST', '/v3/auth/tokens', { body: passwordAuth('admin', 'wrong-password', 'admin') });
  assertKeystoneError(wrong, 401, 'Unauthorized');
  assert.equal(wrong.body.error.message, 'The request you have made requires authentication.');
  assert.equal(wrong.headers['www-authenticate'], `Keystone uri="http://${HOST}"`);
  assert.equal(wrong.headers['x-subject-token'], undefined);
  const unknown = await call(t.app, 'POST', '/v3/auth/tokens', { body: passwordAuth('nobody', 'whatever', 'admin') });
  assertKeystoneError(unknown, 401, 'Unauthorized');
  assert.equal(unknown.body.error.message, wrong.body.error.message, 'nothing tells which part was wrong');
  assertKeystoneError(await call(t.app, 'POST', '/v3/auth/tokens', { body: passwordAuth('demo', PASSWORDS.demo, 'admin') }), 401, 'Unauthorized');

  assertKeystoneError(await call(t.app, 'POST', '/v3/auth/tokens', { raw: '{"auth": ' }), 400, 'Bad Request');
  assertKeystoneError(await call(t.app, 'POST', '/v3/auth/tokens'), 400, 'Bad Request');
  const noMethods = await call(t.app, 'POST', '/v3/auth/tokens', { body: { auth: { identity: {} } } });
  assertKeystoneError(noMethods, 400, 'Bad Request');
  assert.match(noMethods.body.error.message, /methods/);
  const noDomain = await call(t.app, 'POST', '/v3/auth/tokens', { body: { auth: { identity: { methods: ['password'], password: { user: { name: 'admin', password: 'x' } } } } } });
  assertKeystoneError(noDomain, 400, 'Bad Request');
  assert.match(noDomain.body.error.message, /domain/);
  const typed = await call(t.app, 'POST', '/v3/auth/tokens', { body: { auth: { identity: { methods: ['password'], password: { user: { id: 'x', password: 12 } } } } } });
  assertKeystoneError(typed, 400, 'Bad Request');
  assert.match(typed.body.error.message, /auth\/identity\/password\/user\/password/);
  assertKeystoneError(await call(t.app, 'POST', '/v3/auth/tokens', { body: { auth: { identity: { methods: ['totp'] } } } }), 401, 'Unauthorized');
});

test('validate (GET, HEAD) and revoke (DELETE) /v3/auth/tokens: 401 for the caller, 404 for the subject, 403 for another user', async () => {
  const subject = await login(t.app, 'demo', PASSWORDS.demo, 'demo');
  const ok = await call(t.app, 'GET', '/v3/auth/tokens', { token: admin, subject });
  assert.equal(ok.status, 200);
  assert.equal(ok.headers['x-subject-token'], subject);
  assert.equal(ok.body.token.user.name, 'demo');
  assert.ok(ok.body.token.catalog);
  assert.equal((await call(t.app, 'GET', '/v3/auth/tokens?nocatalog', { token: admin, subject })).body.token.catalog, undefined);
  const head = await call(t.app, 'HEAD', '/v3/auth/tokens', { token: admin, subject });
  assert.equal(head.status, 200);
  assert.equal(head.raw, '');
  assert.equal((await call(t.app, 'GET', '/v3/auth/tokens', { token: subject, subject })).status, 200, 'a user may validate their own token');
  assertKeystoneError(await call(t.app, 'GET', '/v3/auth/tokens', { token: demo, subject: admin }), 403, 'Forbidden');
  assertKeystoneError(await call(t.app, 'GET', '/v3/auth/tokens', { subject }), 401, 'Unauthorized');
  assertKeystoneError(await call(t.app, 'GET', '/v3/auth/tokens', { token: 'not-a-token', subject }), 401, 'Unauthorized');
  assertKeystoneError(await call(t.app, 'GET', '/v3/auth/tokens', { token: admin }), 400, 'Bad Request');
  assertKeystoneError(await call(t.app, 'GET', '/v3/auth/tokens', { token: admin, subject: 'a'.repeat(64) }), 404, 'Not Found');
  assert.equal((await call(t.app, 'HEAD', '/v3/auth/tokens', { token: admin, subject: 'a'.repeat(64) })).status, 404);

  assertKeystoneError(await call(t.app, 'DELETE', '/v3/auth/tokens', { token: demo, subject: admin }), 403, 'Forbidden');
  assert.equal((await call(t.app, 'DELETE', '/v3/auth/tokens', { token: admin, subject })).status, 204);
  assertKeystoneError(await call(t.app, 'GET', '/v3/auth/tokens', { token: admin, subject }), 404, 'Not Found');
  assertKeystoneError(await call(t.app, 'DELETE', '/v3/auth/tokens', { token: admin, subject }), 404, 'Not Found');
  assertKeystoneError(await call(t.app, 'GET', '/v3/auth/catalog', { token: subject }), 401, 'Unauthorized');
  // A user may revoke their own token, even with that same token.
  const mine = await login(t.app, 'demo', PASSWORDS.demo, 'demo');
  assert.equal((await call(t.app, 'DELETE', '/v3/auth/tokens', { token: mine, subject: mine })).status, 204);
});

test('tokens expire: 404 as a subject and 401 as a caller once their (short) lifetime is over', async () => {
  const short = await makeApp({ ttl: 0.6 });
  try {
    const token = await login(short.app, 'admin', PASSWORDS.admin, 'admin');
    const other = await login(short.app, 'demo', PASSWORDS.demo, 'demo');
    assert.equal((await call(short.app, 'GET', '/v3/auth/tokens', { token, subject: other })).status, 200);
    await new Promise((r) => setTimeout(r, 800));
    const fresh = await login(short.app, 'admin', PASSWORDS.admin, 'admin');
    assertKeystoneError(await call(short.app, 'GET', '/v3/auth/tokens', { token: fresh, subject: other }), 404, 'Not Found');
    assertKeystoneError(await call(short.app, 'GET', '/v3/projects', { token }), 401, 'Unauthorized');
  } finally {
    await short.close();
  }
});

test('projects: create, list with filters, show, update, delete; 409 for a taken name; 404 after delete', async () => {
  const created = await call(t.app, 'POST', '/v3/projects', { token: admin, body: { project: { name: 'web', description: 'front end', domain_id: 'default' } } });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const p = created.body.project;
  assert.match(p.id, /^[0-9a-f]{32}$/);
  assert.deepEqual(p, {
    id: p.id, name: 'web', domain_id: 'default', description: 'front end', enabled: true, parent_id: 'default', is_domain: false,
    tags: [], options: {}, links: { self: `http://${HOST}/v3/projects/${p.id}` },
  });
  assertKeystoneError(await call(t.app, 'POST', '/v3/projects', { token: admin, body: { project: { name: 'web' } } }), 409, 'Conflict');
  assertKeystoneError(await call(t.app, 'POST', '/v3/projects', { token: admin, body: { project: { name: 7 } } }), 400, 'Bad Request');
  const list = await call(t.app, 'GET', '/v3/projects', { token: admin });
  assert.deepEqual(list.body.projects.map((x: { name: string }) => x.name), ['admin', 'demo', 'web']);
  assert.deepEqual(list.body.links, { self: `http://${HOST}/v3/projects`, previous: null, next: null });
  assert.deepEqual((await call(t.app, 'GET', '/v3/projects?name=web', { token: admin })).body.projects.map((x: { id: string }) => x.id), [p.id]);
  const patched = await call(t.app, 'PATCH', `/v3/projects/${p.id}`, { token: admin, body: { project: { enabled: false, description: 'off' } } });
  assert.equal(patched.status, 200);
  assert.equal(patched.body.project.enabled, false);
  assert.deepEqual((await call(t.app, 'GET', '/v3/projects?enabled=false', { token: admin })).body.projects.map((x: { id: string }) => x.id), [p.id]);
  assertKeystoneError(await call(t.app, 'PATCH', `/v3/projects/${p.id}`, { token: admin, body: { project: { domain_id: 'elsewhere' } } }), 400, 'Bad Request');
  assert.equal((await call(t.app, 'GET', `/v3/projects/${p.id}`, { token: admin })).body.project.description, 'off');
  assert.equal((await call(t.app, 'DELETE', `/v3/projects/${p.id}`, { token: admin })).status, 204);
  const gone = await call(t.app, 'GET', `/v3/projects/${p.id}`, { token: admin });
  assertKeystoneError(gone, 404, 'Not Found');
  assert.equal(gone.body.error.message, `Could not find project: ${p.id}.`);
});

test('users: password set on create and by PATCH; the response never shows it; delete', async () => {
  const project = (await call(t.app, 'POST', '/v3/projects', { token: admin, body: { project: { name: 'team' } } })).body.project;
  const created = await call(t.app, 'POST', '/v3/users', {
    token: admin, body: { user: { name: 'alice', password: 'alice-pw-1', default_project_id: project.id, email: 'alice@example.com' } },
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const u = created.body.user;
  assert.deepEqual(u, {
    id: u.id, name: 'alice', domain_id: 'default', enabled: true, password_expires_at: null, options: {},
    links: { self: `http://${HOST}/v3/users/${u.id}` }, default_project_id: project.id, email: 'alice@example.com',
  });
  assert.ok(!created.raw.includes('alice-pw-1'));
  assertKeystoneError(await call(t.app, 'POST', '/v3/users', { token: admin, body: { user: { name: 'alice' } } }), 409, 'Conflict');
  const member = (await call(t.app, 'GET', '/v3/roles?name=member', { token: admin })).body.roles[0];
  assert.equal((await call(t.app, 'PUT', `/v3/projects/${project.id}/users/${u.id}/roles/${member.id}`, { token: admin })).status, 204);
  const first = await login(t.app, 'alice', 'alice-pw-1', 'team');
  const patched = await call(t.app, 'PATCH', `/v3/users/${u.id}`, { token: admin, body: { user: { password: 'alice-pw-2' } } });
  assert.equal(patched.status, 200);
  assert.ok(!patched.raw.includes('alice-pw-2'));
  assertKeystoneError(await call(t.app, 'POST', '/v3/auth/tokens', { body: passwordAuth('alice', 'alice-pw-1', 'team') }), 401, 'Unauthorized');
  await login(t.app, 'alice', 'alice-pw-2', 'team');
  assertKeystoneError(await call(t.app, 'GET', '/v3/auth/catalog', { token: first }), 401, 'Unauthorized');
  // Her own password, by herself.
  const mine = await login(t.app, 'alice', 'alice-pw-2', 'team');
  assert.equal((await call(t.app, 'GET', `/v3/users/${u.id}`, { token: mine })).status, 200, 'a user may read herself');
  assertKeystoneError(await call(t.app, 'POST', `/v3/users/${u.id}/password`, { token: mine, body: { user: { password: 'x', original_password: 'wrong' } } }), 401, 'Unauthorized');
  assert.equal((await call(t.app, 'POST', `/v3/users/${u.id}/password`, { token: mine, body: { user: { password: 'alice-pw-3', original_password: 'alice-pw-2' } } })).status, 204);
  await login(t.app, 'alice', 'alice-pw-3', 'team');
  const projects = await call(t.app, 'GET', `/v3/users/${u.id}/projects`, { token: admin });
  assert.deepEqual(projects.body.projects.map((x: { name: string }) => x.name), ['team']);
  assert.deepEqual((await call(t.app, 'GET', '/v3/users?name=alice', { token: admin })).body.users.map((x: { id: string }) => x.id), [u.id]);
  assert.equal((await call(t.app, 'DELETE', `/v3/users/${u.id}`, { token: admin })).status, 204);
  assertKeystoneError(await call(t.app, 'GET', `/v3/users/${u.id}`, { token: admin }), 404, 'Not Found');
  assert.equal((await call(t.app, 'DELETE', `/v3/projects/${project.id}`, { token: admin })).status, 204);
});

test('roles, grants (PUT, HEAD, GET, DELETE) and /v3/role_assignments with filters and names', async () => {
  const role = (await call(t.app, 'POST', '/v3/roles', { token: admin, body: { role: { name: 'auditor', description: 'reads' } } })).body.role;
  assert.deepEqual(role, { id: role.id, name: 'auditor', domain_id: null, description: 'reads', options: {}, links: { self: `http://${HOST}/v3/roles/${role.id}` } });
  assertKeystoneError(await call(t.app, 'POST', '/v3/roles', { token: admin, body: { role: { name: 'auditor' } } }), 409, 'Conflict');
  assert.equal((await call(t.app, 'GET', `/v3/roles/${role.id}`, { token: admin })).body.role.name, 'auditor');
  assert.equal((await call(t.app, 'PATCH', `/v3/roles/${role.id}`, { token: admin, body: { role: { name: 'auditor2' } } })).body.role.name, 'auditor2');
  const names = (await call(t.app, 'GET', '/v3/roles', { token: admin })).body.roles.map((r: { name: string }) => r.name);
  for (const n of ['admin', 'member', 'reader', 'load-balancer_member', 'load-balancer_quota_admin', 'auditor2']) assert.ok(names.includes(n), n);

  const demoUser = (await call(t.app, 'GET', '/v3/users?name=demo', { token: admin })).body.users[0];
  const demoProject = (await call(t.app, 'GET', '/v3/projects?name=demo', { token: admin })).body.projects[0];
  const grant = `/v3/projects/${demoProject.id}/users/${demoUser.id}/roles/${role.id}`;
  assert.equal((await call(t.app, 'HEAD', grant, { token: admin })).status, 404, 'a HEAD answer has no body');
  assert.equal((await call(t.app, 'PUT', grant, { token: admin })).status, 204);
  assert.equal((await call(t.app, 'PUT', grant, { token: admin })).status, 204, 'idempotent');
  assert.equal((await call(t.app, 'HEAD', grant, { token: admin })).status, 204);
  const held = await call(t.app, 'GET', `/v3/projects/${demoProject.id}/users/${demoUser.id}/roles`, { token: admin });
  assert.deepEqual(held.body.roles.map((r: { name: string }) => r.name).sort(), ['auditor2', 'member']);
  assertKeystoneError(await call(t.app, 'PUT', `/v3/projects/${demoProject.id}/users/${demoUser.id}/roles/nope`, { token: admin }), 404, 'Not Found');

  const plain = await call(t.app, 'GET', `/v3/role_assignments?user.id=${demoUser.id}&scope.project.id=${demoProject.id}`, { token: admin });
  assert.equal(plain.status, 200);
  const a = plain.body.role_assignments.find((x: { role: { id: string } }) => x.role.id === role.id);
  assert.deepEqual(a, {
    role: { id: role.id }, user: { id: demoUser.id }, scope: { project: { id: demoProject.id } },
    links: { assignment: `http://${HOST}${grant}` },
  });
  const named = await call(t.app, 'GET', `/v3/role_assignments?user.id=${demoUser.id}&include_names=True`, { token: admin });
  const n = named.body.role_assignments.find((x: { role: { id: string } }) => x.role.id === role.id);
  assert.deepEqual(n.role, { id: role.id, name: 'auditor2' });
  assert.deepEqual(n.user, { id: demoUser.id, name: 'demo', domain: { id: 'default', name: 'Default' } });
  assert.deepEqual(n.scope, { project: { id: demoProject.id, name: 'demo', domain: { id: 'default', name: 'Default' } } });
  assert.equal((await call(t.app, 'GET', `/v3/role_assignments?role.id=${role.id}`, { token: admin })).body.role_assignments.length, 1);
  assert.equal((await call(t.app, 'GET', '/v3/role_assignments?group.id=x', { token: admin })).body.role_assignments.length, 0);
  const all = (await call(t.app, 'GET', '/v3/role_assignments', { token: admin })).body.role_assignments;
  assert.ok(all.length >= 3);

  assert.equal((await call(t.app, 'DELETE', grant, { token: admin })).status, 204);
  assertKeystoneError(await call(t.app, 'DELETE', grant, { token: admin }), 404, 'Not Found');
  assert.equal((await call(t.app, 'DELETE', `/v3/roles/${role.id}`, { token: admin })).status, 204);
  assertKeystoneError(await call(t.app, 'GET', `/v3/roles/${role.id}`, { token: admin }), 404, 'Not Found');
});

test('domains: only Default, listed for admins and readable from inside it', async () => {
  const list = await call(t.app, 'GET', '/v3/domains', { token: admin });
  assert.deepEqual(list.body.domains, [{
    id: 'default', name: 'Default', description: 'The default domain', enabled: true, tags: [], options: {},
    links: { self: `http://${HOST}/v3/domains/default` },
  }]);
  assert.equal((await call(t.app, 'GET', '/v3/domains/default', { token: demo })).status, 200);
  assertKeystoneError(await call(t.app, 'GET', '/v3/domains', { token: demo }), 403, 'Forbidden');
  assertKeystoneError(await call(t.app, 'GET', '/v3/domains/other', { token: admin }), 404, 'Not Found');
});

test('admin operations are 403 for demo; its own project and user it may read; no token is 401', async () => {
  const me = (await call(t.app, 'GET', '/v3/auth/tokens', { token: demo, subject: demo })).body.token;
  const adminProject = (await call(t.app, 'GET', '/v3/projects?name=admin', { token: admin })).body.projects[0];
  const forbidden: [string, string, unknown?][] = [
    ['GET', '/v3/projects'], ['POST', '/v3/projects', { project: { name: 'x' } }], ['GET', `/v3/projects/${adminProject.id}`],
    ['PATCH', `/v3/projects/${me.project.id}`, { project: { name: 'y' } }], ['DELETE', `/v3/projects/${me.project.id}`],
    ['GET', '/v3/users'], ['POST', '/v3/users', { user: { name: 'x' } }], ['PATCH', `/v3/users/${me.user.id}`, { user: { enabled: true } }],
    ['DELETE', `/v3/users/${me.user.id}`], ['GET', '/v3/roles'], ['POST', '/v3/roles', { role: { name: 'x' } }],
    ['GET', `/v3/roles/${me.roles[0].id}`], ['DELETE', `/v3/roles/${me.roles[0].id}`],
    ['PUT', `/v3/projects/${adminProject.id}/users/${me.user.id}/roles/${me.roles[0].id}`],
    ['DELETE', `/v3/projects/${me.project.id}/users/${me.user.id}/roles/${me.roles[0].id}`],
    ['GET', '/v3/role_assignments'], ['GET', '/v3/domains'],
  ];
  for (const [method, url, body] of forbidden) {
    const r = await call(t.app, method, url, { token: demo, ...(body === undefined ? {} : { body }) });
    assertKeystoneError(r, 403, 'Forbidden');
    assert.match(r.body.error.message, /^You are not authorized to perform the requested action: identity:\w+\.$/);
    assertKeystoneError(await call(t.app, method, url, body === undefined ? {} : { body }), 401, 'Unauthorized');
  }
  assert.equal((await call(t.app, 'GET', `/v3/projects/${me.project.id}`, { token: demo })).status, 200);
  assert.equal((await call(t.app, 'GET', `/v3/users/${me.user.id}`, { token: demo })).status, 200);
  assert.deepEqual((await call(t.app, 'GET', '/v3/auth/projects', { token: demo })).body.projects.map((p: { name: string }) => p.name), ['demo']);
});

test('deleting a user or its role assignment invalidates its tokens at once', async () => {
  const project = (await call(t.app, 'POST', '/v3/projects', { token: admin, body: { project: { name: 'tmp' } } })).body.project;
  const member = (await call(t.app, 'GET', '/v3/roles?name=member', { token: admin })).body.roles[0];
  const mk = async (name: string): Promise<{ id: string; token: string }> => {
    const u = (await call(t.app, 'POST', '/v3/users', { token: admin, body: { user: { name, password: `${name}-pw` } } })).body.user;
    await call(t.app, 'PUT', `/v3/projects/${project.id}/users/${u.id}/roles/${member.id}`, { token: admin });
    return { id: u.id, token: await login(t.app, name, `${name}-pw`, 'tmp') };
  };
  const bob = await mk('bob');
  const carol = await mk('carol');
  for (const x of [bob, carol]) assert.equal((await call(t.app, 'GET', '/v3/auth/tokens', { token: admin, subject: x.token })).status, 200);
  assert.equal((await call(t.app, 'DELETE', `/v3/users/${bob.id}`, { token: admin })).status, 204);
  assertKeystoneError(await call(t.app, 'GET', '/v3/auth/tokens', { token: admin, subject: bob.token }), 404, 'Not Found');
  assertKeystoneError(await call(t.app, 'GET', '/v3/auth/catalog', { token: bob.token }), 401, 'Unauthorized');
  assert.equal((await call(t.app, 'DELETE', `/v3/projects/${project.id}/users/${carol.id}/roles/${member.id}`, { token: admin })).status, 204);
  assertKeystoneError(await call(t.app, 'GET', '/v3/auth/tokens', { token: admin, subject: carol.token }), 404, 'Not Found');
  assertKeystoneError(await call(t.app, 'POST', '/v3/auth/tokens', { body: passwordAuth('carol', 'carol-pw', 'tmp') }), 401, 'Unauthorized');
  await call(t.app, 'DELETE', `/v3/users/${carol.id}`, { token: admin });
  await call(t.app, 'DELETE', `/v3/projects/${project.id}`, { token: admin });
});

test('an unknown path under /v3 is 404 in Keystone\'s body', async () => {
  assertKeystoneError(await call(t.app, 'GET', '/v3/services', { token: admin }), 404, 'Not Found');
});

test('nothing about passwords or tokens reaches the log', async () => {
  const secrets = [PASSWORDS.admin, PASSWORDS.demo, admin, demo, 'wrong-password', 'alice-pw-1', 'alice-pw-2', 'alice-pw-3', 'bob-pw', 'carol-pw'];
  const log = t.logs.join('');
  assert.ok(log.length > 1000, 'requests were logged at trace level');
  for (const s of secrets) assert.ok(!log.includes(s), `a secret leaked into the log: ${s.slice(0, 4)}…`);
  for (const line of t.logs) {
    const tokenLike = /[0-9a-f]{64}/.exec(line);
    assert.equal(tokenLike, null, `token-shaped value in the log: ${line.slice(0, 200)}`);
  }
});
