/** @module identity/identity.test — authentication, scoping, token life (issue, validate, revoke, expire) on SQLite. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FulcrumError } from '../domain/errors.js';
import { makeTestIdentity, passwordAuth, PASSWORDS, type TestIdentity } from './fixtures.js';
import type { Identity } from './identity.js';
import { parseAuthRequest } from './requests.js';
import { hashToken } from './token.js';

async function withIdentity(fn: (t: TestIdentity) => Promise<void>, opts: Parameters<typeof makeTestIdentity>[0] = {}): Promise<void> {
  const t = await makeTestIdentity(opts);
  try {
    await fn(t);
  } finally {
    await t.close();
  }
}

async function login(identity: Identity, user: string, password: string, project?: string): Promise<string> {
  return (await identity.authenticate(parseAuthRequest(passwordAuth(user, password, project)))).token;
}

/** A password authentication body with any scope. */
function scoped(user: string, password: string, scope: unknown): Record<string, unknown> {
  return { auth: { ...(passwordAuth(user, password).auth as Record<string, unknown>), scope } };
}

const rejectsWith = (status: number) => (err: unknown): boolean => err instanceof FulcrumError && err.status === status;

test('password login scoped to a project by name: token info, and validateToken for the auth hook', async () => {
  let clock = Date.parse('2026-03-01T12:00:00Z');
  await withIdentity(async ({ identity }) => {
    const { token, info } = await identity.authenticate(parseAuthRequest(passwordAuth('admin', PASSWORDS.admin, 'admin')));
    assert.match(token, /^[0-9a-f]{64}$/);
    assert.equal(info.user.name, 'admin');
    assert.deepEqual(info.user.domain, { id: 'default', name: 'Default' });
    assert.equal(info.project?.name, 'admin');
    assert.deepEqual(info.roles.map((r) => r.name), ['admin']);
    assert.deepEqual(info.methods, ['password']);
    assert.equal(info.auditIds.length, 1);
    assert.equal(info.issuedAt, clock);
    assert.equal(info.expiresAt, clock + 3600_000, 'default lifetime is one hour');
    const v = await identity.validateToken(token);
    assert.deepEqual(v, {
      userId: info.user.id, userName: 'admin', projectId: info.project!.id, domainId: null, roles: ['admin'],
      expiresAt: '2026-03-01T13:00:00.000Z',
    });
    clock += 3600_000 - 1;
    assert.ok(await identity.validateToken(token), 'valid until the last millisecond');
    clock += 1;
    assert.equal(await identity.validateToken(token), null, 'expired');
  }, { now: () => clock });
});

test('scopes: project by id, domain by name (needs a role on the domain), unscoped, and the default project', async () => {
  await withIdentity(async ({ identity }) => {
    const demo = (await identity.listUsers({ name: 'demo' }))[0]!;
    const demoProject = (await identity.listProjects({ name: 'demo' }))[0]!;
    const byId = await identity.authenticate(parseAuthRequest({
      auth: { identity: { methods: ['password'], password: { user: { id: demo.id, password: PASSWORDS.demo } } }, scope: { project: { id: demoProject.id } } },
    }));
    assert.equal(byId.info.project?.id, demoProject.id);
    assert.deepEqual(byId.info.roles.map((r) => r.name), ['member']);

    const domainScope = parseAuthRequest(scoped('demo', PASSWORDS.demo, { domain: { name: 'Default' } }));
    await assert.rejects(identity.authenticate(domainScope), rejectsWith(401), 'no role on the domain yet');
    const reader = (await identity.listRoles({ name: 'reader' }))[0]!;
    await identity.grant(demo.id, { type: 'domain', id: 'default' }, reader.id);
    const onDomain = await identity.authenticate(domainScope);
    assert.equal(onDomain.info.project, null);
    assert.deepEqual(onDomain.info.domain, { id: 'default', name: 'Default' });
    assert.deepEqual((await identity.validateToken(onDomain.token))?.domainId, 'default');

    const unscoped = await identity.authenticate(parseAuthRequest(scoped('demo', PASSWORDS.demo, 'unscoped')));
    assert.equal(unscoped.info.project, null);
    assert.equal(unscoped.info.domain, null);
    assert.deepEqual(unscoped.info.roles, []);

    // Without a scope, the user's default project (bootstrap sets it) decides, as in Keystone.
    const byDefault = await identity.authenticate(parseAuthRequest(passwordAuth('demo', PASSWORDS.demo)));
    assert.equal(byDefault.info.project?.id, demoProject.id);
  });
});

test('wrong password, unknown user, disabled user, and a project without a role are all 401', async () => {
  await withIdentity(async ({ identity }) => {
    await assert.rejects(login(identity, 'admin', 'wrong', 'admin'), rejectsWith(401));
    await assert.rejects(login(identity, 'nobody', 'whatever', 'admin'), rejectsWith(401));
    await assert.rejects(login(identity, 'demo', PASSWORDS.demo, 'admin'), rejectsWith(401), 'demo holds no role on admin');
    await assert.rejects(login(identity, 'demo', PASSWORDS.demo, 'no-such-project'), rejectsWith(401));
    const demo = (await identity.listUsers({ name: 'demo' }))[0]!;
    const token = await login(identity, 'demo', PASSWORDS.demo, 'demo');
    await identity.updateUser(demo.id, { enabled: false });
    await assert.rejects(login(identity, 'demo', PASSWORDS.demo, 'demo'), rejectsWith(401));
    assert.equal(await identity.validateToken(token), null, 'disabling a user revokes its tokens');
    // The failures all read alike: nothing tells which part was wrong.
    const messages = await Promise.all([
      login(identity, 'admin', 'wrong', 'admin').catch((e: Error) => e.message),
      login(identity, 'nobody', 'wrong', 'admin').catch((e: Error) => e.message),
    ]);
    assert.equal(messages[0], messages[1]);
  });
});

test('token method: rescoping keeps the user, never extends the expiry, and chains audit ids', async () => {
  let clock = Date.parse('2026-03-01T12:00:00Z');
  await withIdentity(async ({ identity }) => {
    const first = await identity.authenticate(parseAuthRequest(scoped('admin', PASSWORDS.admin, 'unscoped')));
    clock += 600_000;
    const rescoped = await identity.authenticate(parseAuthRequest({
      auth: { identity: { methods: ['token'], token: { id: first.token } }, scope: { project: { name: 'admin', domain: { id: 'default' } } } },
    }));
    assert.equal(rescoped.info.user.id, first.info.user.id);
    assert.equal(rescoped.info.project?.name, 'admin');
    assert.equal(rescoped.info.expiresAt, first.info.expiresAt);
    assert.deepEqual(rescoped.info.methods.sort(), ['password', 'token']);
    assert.equal(rescoped.info.auditIds[1], first.info.auditIds[0]);
    await assert.rejects(identity.authenticate(parseAuthRequest({
      auth: { identity: { methods: ['token'], token: { id: 'f'.repeat(64) } } },
    })), rejectsWith(401));
    // Password and token together must name the same user.
    await assert.rejects(identity.authenticate(parseAuthRequest({
      auth: { identity: { methods: ['password', 'token'], password: { user: { name: 'demo', domain: { id: 'default' }, password: PASSWORDS.demo } }, token: { id: first.token } } },
    })), rejectsWith(401));
  }, { now: () => clock });
});

test('a revoked token is invalid at once; garbage is invalid without a database lookup', async () => {
  await withIdentity(async ({ identity }) => {
    const token = await login(identity, 'admin', PASSWORDS.admin, 'admin');
    assert.equal(await identity.revokeToken(token), true);
    assert.equal(await identity.validateToken(token), null);
    assert.equal(await identity.revokeToken(token), false);
    assert.equal(await identity.validateToken(''), null);
    assert.equal(await identity.validateToken("' OR 1=1 --"), null);
  });
});

test('a short lifetime expires in real time (no clock injected)', async () => {
  await withIdentity(async ({ identity }) => {
    const token = await login(identity, 'demo', PASSWORDS.demo, 'demo');
    assert.ok(await identity.validateToken(token));
    await new Promise((r) => setTimeout(r, 700));
    assert.equal(await identity.validateToken(token), null);
  }, { tokenTtlSeconds: 0.5 });
});

test('deleting a user, an assignment or a role stops the tokens that relied on it, at once', async () => {
  await withIdentity(async ({ identity }) => {
    const demo = (await identity.listUsers({ name: 'demo' }))[0]!;
    const project = (await identity.listProjects({ name: 'demo' }))[0]!;
    const member = (await identity.listRoles({ name: 'member' }))[0]!;
    const reader = (await identity.listRoles({ name: 'reader' }))[0]!;
    const target = { type: 'project', id: project.id } as const;
    await identity.grant(demo.id, target, reader.id);
    const token = await login(identity, 'demo', PASSWORDS.demo, 'demo');
    assert.deepEqual((await identity.validateToken(token))?.roles, ['member', 'reader']);
    await identity.revoke(demo.id, target, member.id);
    assert.deepEqual((await identity.validateToken(token))?.roles, ['reader'], 'roles are read at validation');
    await identity.deleteRole(reader.id);
    assert.equal(await identity.validateToken(token), null, 'no role left on the scope');

    const admin = await login(identity, 'admin', PASSWORDS.admin, 'admin');
    const adminUser = (await identity.listUsers({ name: 'admin' }))[0]!;
    await identity.deleteUser(adminUser.id);
    assert.equal(await identity.validateToken(admin), null);
  });
});

test('a password change revokes the old tokens; the new password works and the old one does not', async () => {
  await withIdentity(async ({ identity }) => {
    const demo = (await identity.listUsers({ name: 'demo' }))[0]!;
    const token = await login(identity, 'demo', PASSWORDS.demo, 'demo');
    await assert.rejects(identity.changePassword(demo.id, { originalPassword: 'wrong', password: 'new-password' }), rejectsWith(401));
    await identity.changePassword(demo.id, { originalPassword: PASSWORDS.demo, password: 'new-password' });
    assert.equal(await identity.validateToken(token), null);
    await assert.rejects(login(identity, 'demo', PASSWORDS.demo, 'demo'), rejectsWith(401));
    assert.ok(await login(identity, 'demo', 'new-password', 'demo'));
  });
});

test('the database holds neither passwords nor tokens, only their hashes', async () => {
  await withIdentity(async ({ identity, db }) => {
    const token = await login(identity, 'admin', PASSWORDS.admin, 'admin');
    const dump = JSON.stringify([
      await db.all('SELECT * FROM identity_users'), await db.all('SELECT * FROM identity_tokens'),
    ]);
    assert.ok(!dump.includes(token));
    assert.ok(!dump.includes(PASSWORDS.admin));
    assert.ok(dump.includes(hashToken(token)));
    assert.match(dump, /scrypt\$N=1024,r=8,p=1\$/);
  });
});

test('management: duplicates are 409, unknown ids 404, bad references 400', async () => {
  await withIdentity(async ({ identity }) => {
    await assert.rejects(identity.createProject({ name: 'demo', description: '', enabled: true }), rejectsWith(409));
    await assert.rejects(identity.createUser({ name: 'demo', password: null, enabled: true, defaultProjectId: null, description: '', email: null }), rejectsWith(409));
    await assert.rejects(identity.createRole({ name: 'member', description: '' }), rejectsWith(409));
    await assert.rejects(identity.createProject({ name: 'x', domainId: 'nope', description: '', enabled: true }), rejectsWith(400));
    await assert.rejects(identity.createUser({ name: 'x', password: null, enabled: true, defaultProjectId: 'nope', description: '', email: null }), rejectsWith(400));
    await assert.rejects(identity.getProject('nope'), rejectsWith(404));
    await assert.rejects(identity.deleteUser('nope'), rejectsWith(404));
    const p = await identity.createProject({ name: 'web', description: 'd', enabled: true });
    await assert.rejects(identity.updateProject(p.id, { name: 'demo' }), rejectsWith(409));
    const u = await identity.createUser({ name: 'nopw', password: null, enabled: true, defaultProjectId: p.id, description: '', email: null });
    const member = (await identity.listRoles({ name: 'member' }))[0]!;
    await identity.grant(u.id, { type: 'project', id: p.id }, member.id);
    await assert.rejects(login(identity, 'nopw', 'anything', 'web'), rejectsWith(401), 'a user without a password cannot log in');
    await assert.rejects(identity.grant(u.id, { type: 'project', id: 'nope' }, member.id), rejectsWith(404));
    await assert.rejects(identity.revoke(u.id, { type: 'domain', id: 'default' }, member.id), rejectsWith(404));
    assert.deepEqual((await identity.projectsOfUser(u.id)).map((x) => x.name), ['web']);
  });
});
