/**
 * @module api/identity/openstack-cli.test — the real client: Debian's python3-openstackclient
 * (keystoneauth1) against the identity routes listening on 127.0.0.1. Proves that keystoneauth
 * accepts our discovery document and token body, and that the identity commands parse our
 * lists. The root answers Octavia's version list, as in the full server. Skipped without the binary.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { makeTestIdentity, PASSWORDS, type TestIdentity } from '../../identity/fixtures.js';
import { versionRoutes } from '../versions.js';
import { identityRoutes } from './routes.js';

const OPENSTACK = '/usr/bin/openstack';
const skip = existsSync(OPENSTACK) ? false : `${OPENSTACK} is not installed (apt-get install python3-openstackclient)`;

let t: TestIdentity;
let app: FastifyInstance;
let authUrl: string;
let home: string;

before(async () => {
  if (skip) return;
  t = await makeTestIdentity();
  app = Fastify({ logger: false, routerOptions: { ignoreTrailingSlash: true } });
  versionRoutes(app);
  await identityRoutes(app, { identity: t.identity });
  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  authUrl = `${address}/v3`;
  home = mkdtempSync(join(tmpdir(), 'fulcrum-osc-home-'));
});
after(async () => {
  if (skip) return;
  await app.close();
  await t.close();
  rmSync(home, { recursive: true, force: true });
});

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `openstack` as `user` (asynchronously: the server answers from this same process). */
function openstack(user: { name: string; password: string; project: string }, args: readonly string[]): Promise<Run> {
  const argv = [
    '--os-auth-url', authUrl, '--os-username', user.name, '--os-password', user.password,
    '--os-project-name', user.project, '--os-user-domain-name', 'Default', '--os-project-domain-name', 'Default',
    '--os-identity-api-version', '3', ...args,
  ];
  // A clean environment: no OS_* from the caller, no clouds.yaml from a real home.
  const env = { PATH: '/usr/bin:/bin', HOME: home, LANG: 'C.UTF-8' };
  return new Promise((resolve) => {
    execFile(OPENSTACK, argv, { env, timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

const ADMIN = { name: 'admin', password: PASSWORDS.admin, project: 'admin' };
const DEMO = { name: 'demo', password: PASSWORDS.demo, project: 'demo' };

function json<T>(r: Run): T {
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as T;
}

test('openstack token issue: keystoneauth discovers /v3, authenticates, and the token validates', { skip }, async () => {
  const issued = json<{ id: string; project_id: string; user_id: string; expires: string }>(await openstack(ADMIN, ['token', 'issue', '-f', 'json']));
  const v = await t.identity.validateToken(issued.id);
  assert.ok(v, 'the token the client got is valid');
  assert.equal(v.userName, 'admin');
  assert.equal(v.userId, issued.user_id);
  assert.equal(v.projectId, issued.project_id);
  assert.deepEqual(v.roles, ['admin']);
  assert.ok(Date.parse(issued.expires) > Date.now());
});

test('openstack project list and role assignment list (with and without names) as admin', { skip }, async () => {
  const projects = json<{ ID: string; Name: string }[]>(await openstack(ADMIN, ['project', 'list', '-f', 'json']));
  assert.deepEqual(projects.map((p) => p.Name).sort(), ['admin', 'demo']);
  const named = json<Record<string, unknown>[]>(await openstack(ADMIN, ['role', 'assignment', 'list', '--names', '-f', 'json']));
  assert.deepEqual(named.map((a) => [a.Role, a.User, a.Project]).sort(), [
    ['admin', 'admin@Default', 'admin@Default'], ['member', 'demo@Default', 'demo@Default'],
  ]);
  const demoProject = projects.find((p) => p.Name === 'demo')!;
  const filtered = json<Record<string, unknown>[]>(await openstack(ADMIN, ['role', 'assignment', 'list', '--project', 'demo', '-f', 'json']));
  assert.deepEqual(filtered.map((a) => a.Project), [demoProject.ID]);
});

test('openstack creates a project and a user, grants a role, and the new user logs in', { skip }, async () => {
  assert.equal((await openstack(ADMIN, ['project', 'create', 'web', '-f', 'json'])).code, 0);
  assert.equal((await openstack(ADMIN, ['user', 'create', '--password', 'web-pw-1', '--project', 'web', 'webuser', '-f', 'json'])).code, 0);
  const add = await openstack(ADMIN, ['role', 'add', '--project', 'web', '--user', 'webuser', 'load-balancer_member']);
  assert.equal(add.code, 0, add.stderr);
  const issued = json<{ id: string }>(await openstack({ name: 'webuser', password: 'web-pw-1', project: 'web' }, ['token', 'issue', '-f', 'json']));
  assert.deepEqual((await t.identity.validateToken(issued.id))?.roles, ['load-balancer_member']);
});

test('openstack as demo: its token works, admin listings are refused with 403, a wrong password with 401', { skip }, async () => {
  const issued = json<{ id: string }>(await openstack(DEMO, ['token', 'issue', '-f', 'json']));
  assert.equal((await t.identity.validateToken(issued.id))?.userName, 'demo');
  const users = await openstack(DEMO, ['user', 'list']);
  assert.notEqual(users.code, 0);
  assert.match(users.stderr, /HTTP 403/);
  const wrong = await openstack({ ...DEMO, password: 'wrong' }, ['token', 'issue']);
  assert.notEqual(wrong.code, 0);
  assert.match(wrong.stderr, /requires authentication.*HTTP 401/);
  const revoke = await openstack(DEMO, ['token', 'revoke', issued.id]);
  assert.equal(revoke.code, 0, revoke.stderr);
  assert.equal(await t.identity.validateToken(issued.id), null);
});
