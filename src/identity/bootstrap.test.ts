/**
 * @module identity/bootstrap.test — the first start creates the identity content and 0600 credential
 * files that work; later starts change nothing; concurrent starts (SQLite, PostgreSQL) bootstrap once.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { startPostgres } from '../../test/helpers/postgres.js';
import { PostgresDialect } from '../store/dialect-postgres.js';
import { SqliteDialect } from '../store/dialect-sqlite.js';
import { IdentityStore } from '../store/identity-store.js';
import { BOOTSTRAP_ROLES, bootstrapIdentity } from './bootstrap.js';
import { passwordAuth, TEST_KDF } from './fixtures.js';
import { Identity } from './identity.js';
import { parseAuthRequest } from './requests.js';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'fulcrum-bootstrap-'));
  dirs.push(d);
  return d;
}

/** The value of `export NAME='value'` in an openrc file. */
function openrcValue(text: string, name: string): string {
  const m = new RegExp(`^export ${name}='?([^'\\n]*)'?$`, 'm').exec(text);
  assert.ok(m, `${name} in openrc`);
  return m[1]!;
}

test('first start: Default domain, roles, projects, users with random passwords, and 0600 files that work', async () => {
  const dir = tempDir();
  const data = join(dir, 'data');
  const db = new SqliteDialect(join(dir, 'fulcrum.db'));
  try {
    const store = await IdentityStore.open(db);
    const result = await bootstrapIdentity(store, { dataDir: data, authUrl: 'http://127.0.0.1:9876/v3' });
    assert.equal(result.created, true);
    assert.deepEqual(result.files, ['admin-openrc', 'demo-openrc', 'clouds.yaml'].map((f) => join(data, f)));
    for (const f of result.files) assert.equal(statSync(f).mode & 0o777, 0o600, f);
    assert.equal(statSync(data).mode & 0o777, 0o700);
    assert.match(result.message, /admin-openrc/);

    assert.deepEqual((await store.listDomains()).map((d) => [d.id, d.name]), [['default', 'Default']]);
    assert.deepEqual((await store.listRoles()).map((r) => r.name).sort(), [...BOOTSTRAP_ROLES].sort());
    assert.deepEqual((await store.listProjects()).map((p) => p.name), ['admin', 'demo']);
    const assignments = await store.listAssignments({ targetType: 'project' });
    assert.deepEqual(assignments.map((a) => [a.userName, a.roleName, a.targetName]).sort(), [['admin', 'admin', 'admin'], ['demo', 'member', 'demo']]);

    const identity = new Identity({ store });
    const passwords: string[] = [];
    for (const user of ['admin', 'demo']) {
      const rc = readFileSync(join(data, `${user}-openrc`), 'utf8');
      assert.equal(openrcValue(rc, 'OS_AUTH_URL'), 'http://127.0.0.1:9876/v3');
      assert.equal(openrcValue(rc, 'OS_USERNAME'), user);
      assert.equal(openrcValue(rc, 'OS_PROJECT_NAME'), user);
      assert.equal(openrcValue(rc, 'OS_USER_DOMAIN_NAME'), 'Default');
      assert.equal(openrcValue(rc, 'OS_PROJECT_DOMAIN_NAME'), 'Default');
      assert.equal(openrcValue(rc, 'OS_IDENTITY_API_VERSION'), '3');
      assert.equal(openrcValue(rc, 'OS_REGION_NAME'), 'RegionOne');
      const password = openrcValue(rc, 'OS_PASSWORD');
      assert.match(password, /^[\w-]{24}$/);
      assert.ok(!result.message.includes(password), 'the message shows no password');
      passwords.push(password);
      const { info } = await identity.authenticate(parseAuthRequest(passwordAuth(user, password, user)));
      assert.deepEqual(info.roles.map((r) => r.name), [user === 'admin' ? 'admin' : 'member']);
    }
    assert.notEqual(passwords[0], passwords[1]);
    const clouds = readFileSync(join(data, 'clouds.yaml'), 'utf8');
    assert.match(clouds, /^clouds:$/m);
    assert.match(clouds, /^ {2}fulcrum-admin:$/m);
    assert.match(clouds, /^ {2}fulcrum-demo:$/m);
    assert.ok(clouds.includes(`password: "${passwords[0]}"`));
    assert.ok(clouds.includes('auth_url: "http://127.0.0.1:9876/v3"'));
  } finally {
    await db.close();
  }
});

test('a second start changes nothing: same rows, same passwords, files untouched', async () => {
  const dir = tempDir();
  const db = new SqliteDialect(join(dir, 'fulcrum.db'));
  try {
    const store = await IdentityStore.open(db);
    const opts = { dataDir: dir, authUrl: 'http://127.0.0.1:9876/v3', kdf: TEST_KDF };
    const first = await bootstrapIdentity(store, opts);
    const snapshot = async (): Promise<string> => JSON.stringify(await Promise.all(
      ['identity_domains', 'identity_projects', 'identity_users', 'identity_roles', 'identity_role_assignments'].map((t) => db.all(`SELECT * FROM ${t} ORDER BY 1`)),
    ));
    const rows = await snapshot();
    const files = first.files.map((f) => [readFileSync(f, 'utf8'), statSync(f).mtimeMs]);
    const second = await bootstrapIdentity(store, { ...opts, passwords: { admin: 'would-be-new' } });
    assert.equal(second.created, false);
    assert.deepEqual(second.files, first.files);
    assert.match(second.message, /already initialised/);
    assert.equal(await snapshot(), rows);
    assert.deepEqual(first.files.map((f) => [readFileSync(f, 'utf8'), statSync(f).mtimeMs]), files);
    rmSync(first.files[1]!);
    const third = await bootstrapIdentity(store, opts);
    assert.match(third.message, /Not found: .*demo-openrc/);
  } finally {
    await db.close();
  }
});

test('two servers starting on one SQLite file bootstrap once', async () => {
  // Two processes, as in real life: two connections in one process would block each other's event loop.
  const dir = tempDir();
  const file = join(dir, 'fulcrum.db');
  const here = fileURLToPath(new URL('.', import.meta.url));
  const script = `
    import { SqliteDialect } from ${JSON.stringify(join(here, '../store/dialect-sqlite.js'))};
    import { IdentityStore } from ${JSON.stringify(join(here, '../store/identity-store.js'))};
    import { bootstrapIdentity } from ${JSON.stringify(join(here, 'bootstrap.js'))};
    const db = new SqliteDialect(${JSON.stringify(file)});
    const store = await IdentityStore.open(db);
    const r = await bootstrapIdentity(store, { dataDir: ${JSON.stringify(dir)}, authUrl: 'http://h/v3', kdf: { N: 1024, r: 8, p: 1 } });
    process.stdout.write(String(r.created));
    await db.close();
  `;
  const run = (): Promise<string> => new Promise((resolve, reject) => {
    execFile(process.execPath, ['--input-type=module', '-e', script], (err, stdout) => (err ? reject(err) : resolve(stdout.trim())));
  });
  const results = await Promise.all([run(), run()]);
  assert.deepEqual(results.sort(), ['false', 'true']);
  const db = new SqliteDialect(file);
  try {
    assert.equal((await new IdentityStore(db).listUsers()).length, 2);
  } finally {
    await db.close();
  }
});

test('three servers starting on one PostgreSQL database bootstrap once, and the files hold the winner\'s passwords', async () => {
  const server = await startPostgres();
  try {
    const c = new pg.Client({ connectionString: server.url });
    await c.connect();
    await c.query('CREATE DATABASE bootstrap_race');
    await c.end();
    const url = server.url.replace(/\/[^/]*$/, '/bootstrap_race');
    const dbs = [1, 2, 3].map(() => new PostgresDialect(url, 2));
    try {
      const stores = await Promise.all(dbs.map((d) => IdentityStore.open(d)));
      const dir = tempDir();
      const results = await Promise.all(stores.map((s) => bootstrapIdentity(s, { dataDir: dir, authUrl: 'http://h/v3', kdf: TEST_KDF })));
      assert.deepEqual(results.map((r) => r.created).sort(), [false, false, true]);
      assert.equal((await stores[0]!.listUsers()).length, 2);
      const password = openrcValue(readFileSync(join(dir, 'admin-openrc'), 'utf8'), 'OS_PASSWORD');
      const identity = new Identity({ store: stores[1]! });
      assert.ok(await identity.authenticate(parseAuthRequest(passwordAuth('admin', password, 'admin'))));
    } finally {
      for (const d of dbs) await d.close();
    }
  } finally {
    await server.stop();
  }
});
