/**
 * @module store/identity-store.contract — the behaviour the identity tables must have on every
 * database. Called from identity-store.test.ts for SQLite and PostgreSQL, a fresh store each test.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import type { IdentityStore, ProjectRecord, RoleRecord, TokenRecord, UserRecord } from './identity-store.js';
import { isUniqueViolation } from './sql.js';

/** Opens a fresh, migrated, empty identity store; `close` releases it. */
export type IdentityStoreFactory = () => Promise<{ store: IdentityStore; close: () => Promise<void> }>;

const T0 = '2026-01-01T00:00:00.000';
const id = (): string => randomUUID().replace(/-/g, '');

async function seed(store: IdentityStore): Promise<{ project: ProjectRecord; user: UserRecord; role: RoleRecord; other: RoleRecord }> {
  await store.createDomain({ id: 'default', name: 'Default', description: '', enabled: true, createdAt: T0 });
  const project: ProjectRecord = { id: id(), domainId: 'default', name: 'p', description: '', enabled: true, createdAt: T0, updatedAt: null };
  const user: UserRecord = {
    id: id(), domainId: 'default', name: 'u', passwordHash: 'scrypt$opaque', enabled: true, defaultProjectId: project.id,
    description: '', email: null, createdAt: T0, updatedAt: null,
  };
  const role: RoleRecord = { id: id(), name: 'member', description: '', createdAt: T0 };
  const other: RoleRecord = { id: id(), name: 'reader', description: 'r', createdAt: T0 };
  await store.createProject(project);
  await store.createUser(user);
  await store.createRole(role);
  await store.createRole(other);
  return { project, user, role, other };
}

function token(userId: string, over: Partial<TokenRecord> = {}): TokenRecord {
  return {
    tokenHash: randomUUID(), userId, projectId: null, domainId: null, methods: ['password'], auditIds: ['a1'],
    issuedAt: 1_000, expiresAt: 10_000, ...over,
  };
}

/** Registers the contract tests for one database. */
export function runIdentityStoreContract(name: string, factory: IdentityStoreFactory): void {
  const withStore = (title: string, fn: (store: IdentityStore) => Promise<void>): void => {
    test(`${name} identity store: ${title}`, async () => {
      const { store, close } = await factory();
      try {
        await fn(store);
      } finally {
        await close();
      }
    });
  };

  withStore('round-trips domains, projects, users and roles, and lists them by filter', async (store) => {
    const { project, user, role } = await seed(store);
    assert.deepEqual(await store.getDomain('default'), { id: 'default', name: 'Default', description: '', enabled: true, createdAt: T0 });
    assert.equal((await store.findDomainByName('Default'))?.id, 'default');
    assert.deepEqual(await store.getProject(project.id), project);
    assert.deepEqual(await store.getUser(user.id), user);
    assert.deepEqual(await store.findUser('default', 'u'), user);
    assert.equal(await store.findUser('default', 'nobody'), undefined);
    assert.deepEqual(await store.getRole(role.id), role);
    assert.deepEqual(await store.findRoleByName('member'), role);
    assert.deepEqual((await store.listRoles()).map((r) => r.name), ['member', 'reader']);
    assert.deepEqual((await store.listRoles({ name: 'reader' })).map((r) => r.name), ['reader']);
    assert.deepEqual((await store.listProjects({ name: 'p', domainId: 'default', enabled: true })).map((p) => p.id), [project.id]);
    assert.deepEqual(await store.listProjects({ enabled: false }), []);
    assert.deepEqual((await store.listUsers({ name: 'u' })).map((u) => u.id), [user.id]);
    assert.equal(await store.getProject('missing'), undefined);
  });

  withStore('names are unique within a domain (projects, users) or overall (roles, domains)', async (store) => {
    const { project, user } = await seed(store);
    const dup = async (fn: () => Promise<void>): Promise<void> => {
      await assert.rejects(fn, (err: unknown) => isUniqueViolation(err));
    };
    await dup(() => store.createProject({ ...project, id: id() }));
    await dup(() => store.createUser({ ...user, id: id() }));
    await dup(() => store.createRole({ id: id(), name: 'member', description: '', createdAt: T0 }));
    await dup(() => store.createDomain({ id: 'other', name: 'Default', description: '', enabled: true, createdAt: T0 }));
    // The same name in another domain is another project.
    await store.createDomain({ id: 'd2', name: 'Second', description: '', enabled: true, createdAt: T0 });
    await store.createProject({ ...project, id: id(), domainId: 'd2' });
    assert.equal((await store.listProjects({ name: 'p' })).length, 2);
  });

  withStore('patches change only the fields given', async (store) => {
    const { project, user, role } = await seed(store);
    const p = await store.updateProject(project.id, { enabled: false, updatedAt: '2026-02-01T00:00:00.000' });
    assert.deepEqual(p, { ...project, enabled: false, updatedAt: '2026-02-01T00:00:00.000' });
    const u = await store.updateUser(user.id, { passwordHash: null, email: 'u@example.com', defaultProjectId: null });
    assert.deepEqual(u, { ...user, passwordHash: null, email: 'u@example.com', defaultProjectId: null });
    assert.deepEqual(await store.updateRole(role.id, { name: 'renamed' }), { ...role, name: 'renamed' });
    assert.deepEqual(await store.updateRole(role.id, {}), { ...role, name: 'renamed' });
    assert.equal(await store.updateUser('missing', { name: 'x' }), undefined);
  });

  withStore('grants are idempotent; roles on a target; assignments listed with names and filters', async (store) => {
    const { project, user, role, other } = await seed(store);
    const target = { type: 'project', id: project.id } as const;
    await store.grant(user.id, target, role.id);
    await store.grant(user.id, target, role.id);
    await store.grant(user.id, target, other.id);
    await store.grant(user.id, { type: 'domain', id: 'default' }, other.id);
    assert.deepEqual(await store.rolesOn(user.id, target), [{ id: role.id, name: 'member' }, { id: other.id, name: 'reader' }]);
    assert.deepEqual(await store.rolesOn(user.id, { type: 'domain', id: 'default' }), [{ id: other.id, name: 'reader' }]);
    const all = await store.listAssignments();
    assert.equal(all.length, 3);
    const onDomain = await store.listAssignments({ targetType: 'domain', targetId: 'default' });
    assert.deepEqual(onDomain, [{
      userId: user.id, userName: 'u', userDomainId: 'default', userDomainName: 'Default', roleId: other.id, roleName: 'reader',
      target: { type: 'domain', id: 'default' }, targetName: 'Default', targetDomainId: null, targetDomainName: null,
    }]);
    const onProject = await store.listAssignments({ userId: user.id, targetType: 'project', targetId: project.id, roleId: role.id });
    assert.deepEqual(onProject.map((a) => [a.roleName, a.targetName, a.targetDomainName]), [['member', 'p', 'Default']]);
    assert.equal(await store.revoke(user.id, target, role.id), true);
    assert.equal(await store.revoke(user.id, target, role.id), false);
    assert.deepEqual((await store.rolesOn(user.id, target)).map((r) => r.name), ['reader']);
  });

  withStore('a token is found by its hash until it expires, with its user and scope', async (store) => {
    const { project, user } = await seed(store);
    const t = token(user.id, { projectId: project.id, methods: ['password', 'token'], auditIds: ['a', 'b'] });
    await store.insertToken(t);
    const view = await store.tokenView(t.tokenHash, 5_000);
    assert.deepEqual(view, {
      token: t,
      user: { id: user.id, name: 'u', enabled: true, domain: { id: 'default', name: 'Default', enabled: true } },
      project: { id: project.id, name: 'p', enabled: true, domain: { id: 'default', name: 'Default', enabled: true } },
      domain: null,
    });
    assert.equal(await store.tokenView(t.tokenHash, 10_000), undefined, 'expired at expires_at');
    assert.equal(await store.tokenView('other', 5_000), undefined);
    const d = token(user.id, { domainId: 'default' });
    await store.insertToken(d);
    assert.deepEqual((await store.tokenView(d.tokenHash, 5_000))?.domain, { id: 'default', name: 'Default', enabled: true });
    assert.equal(await store.deleteToken(d.tokenHash), true);
    assert.equal(await store.deleteToken(d.tokenHash), false);
    assert.equal(await store.tokenView(d.tokenHash, 5_000), undefined);
    await store.insertToken(token(user.id, { expiresAt: 2_000 }));
    assert.equal(await store.deleteExpiredTokens(3_000), 1);
    assert.ok(await store.tokenView(t.tokenHash, 5_000), 'live token kept');
    assert.equal(await store.deleteUserTokens(user.id), 1);
  });

  withStore('deleting a user, role or project takes its assignments and tokens with it', async (store) => {
    const { project, user, role, other } = await seed(store);
    const target = { type: 'project', id: project.id } as const;
    await store.grant(user.id, target, role.id);
    await store.grant(user.id, target, other.id);
    const scoped = token(user.id, { projectId: project.id });
    await store.insertToken(scoped);
    assert.equal(await store.deleteRole(role.id), true);
    assert.deepEqual((await store.rolesOn(user.id, target)).map((r) => r.name), ['reader']);
    assert.equal(await store.deleteProject(project.id), true);
    assert.equal(await store.deleteProject(project.id), false);
    assert.deepEqual(await store.listAssignments(), []);
    assert.equal(await store.tokenView(scoped.tokenHash, 5_000), undefined);
    const unscoped = token(user.id);
    await store.insertToken(unscoped);
    await store.grant(user.id, { type: 'domain', id: 'default' }, other.id);
    assert.equal(await store.deleteUser(user.id), true);
    assert.equal(await store.tokenView(unscoped.tokenHash, 5_000), undefined);
    assert.deepEqual(await store.listAssignments(), []);
    assert.equal(await store.deleteUser(user.id), false);
  });

  withStore('a transaction commits all or nothing, and nested calls join it', async (store) => {
    await assert.rejects(store.transaction(async (tx) => {
      await tx.createDomain({ id: 'default', name: 'Default', description: '', enabled: true, createdAt: T0 });
      await tx.transaction(async (inner) => inner.createRole({ id: id(), name: 'x', description: '', createdAt: T0 }));
      throw new Error('boom');
    }, { exclusive: true }), /boom/);
    assert.equal(await store.getDomain('default'), undefined);
    assert.deepEqual(await store.listRoles(), []);
    await store.transaction(async (tx) => {
      await tx.createDomain({ id: 'default', name: 'Default', description: '', enabled: true, createdAt: T0 });
    }, { exclusive: true });
    assert.ok(await store.getDomain('default'));
  });
}
