/**
 * @module cli/session.test — the client logs in as openstackclient does: the `OS_*` variables of
 * an openrc file, a password login at the embedded identity service, the catalog's
 * load-balancer endpoint, `X-Auth-Token` on every request; and `fulcrum identity …` manages
 * projects, users and roles there. A real API (SQLite, embedded identity) over HTTP.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { makeTestApi, type TestApi } from '../../test/helpers/fixtures.js';
import { until } from '../../test/helpers/scene.js';
import { PASSWORDS } from '../identity/fixtures.js';
import { EventHub } from '../service/events.js';
import { runCli } from './main.js';
import { parseOpenrc } from './session.js';

let api: TestApi;
let url: string;
const seen: { url: string; token: boolean; project: boolean }[] = [];
/** The token of each event stream opened, in order. */
const streamTokens: string[] = [];
const hub = new EventHub();

before(async () => {
  // Keep-alives (and so token checks on open streams) every 100 ms instead of 15 s.
  api = await makeTestApi({ identity: true, events: { hub, keepAliveMs: 100 } });
  hub.attach(api.store);
  api.app.addHook('onRequest', async (request) => {
    seen.push({ url: request.url, token: request.headers['x-auth-token'] !== undefined, project: request.headers['x-project-id'] !== undefined });
    if (request.url.startsWith('/v2/lbaas/events')) streamTokens.push(String(request.headers['x-auth-token']));
  });
  url = await api.app.listen({ host: '127.0.0.1', port: 0 });
});
after(async () => {
  await hub.detach();
  await api.close();
});

/** An openrc's environment for a user (no FULCRUM_URL: the endpoint comes from the catalog). */
const openrc = (user: string, password: string, project: string): Record<string, string> => ({
  OS_AUTH_URL: `${url}/v3`, OS_USERNAME: user, OS_PASSWORD: password, OS_PROJECT_NAME: project,
  OS_USER_DOMAIN_NAME: 'Default', OS_PROJECT_DOMAIN_NAME: 'Default', OS_REGION_NAME: 'RegionOne', OS_INTERFACE: 'public',
});

async function fulcrum(env: Record<string, string>, argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(argv, { stdout: { write: (s: string) => (out += s) }, stderr: { write: (s: string) => (err += s) }, env });
  return { code, out, err };
}

test('an openrc logs in once per command, finds the endpoint in the catalog and sends the token', async () => {
  seen.length = 0;
  const r = await fulcrum(openrc('demo', PASSWORDS.demo, 'demo'), ['network', 'create', 'n-demo', '-f', 'json']);
  assert.equal(r.code, 0, r.err);
  assert.match(JSON.parse(r.out).project_id, /^[0-9a-f]{32}$/);
  assert.deepEqual(seen.map((s) => s.url), ['/v3/auth/tokens', '/v2.0/networks'], 'one login, then the request');
  assert.deepEqual(seen[1], { url: '/v2.0/networks', token: true, project: false });
});

test('a wrong password is the identity service\'s message, exit 1', async () => {
  const r = await fulcrum(openrc('demo', 'wrong-password', 'demo'), ['loadbalancer', 'list']);
  assert.equal(r.code, 1);
  assert.match(r.err, /refused the login of demo: .*\(HTTP 401\)/);
});

test('fulcrum identity: the admin makes a project, a user and a role assignment; the user works, then loses it', async () => {
  const admin = openrc('admin', PASSWORDS.admin, 'admin');
  const ok = async (env: Record<string, string>, argv: string[]): Promise<string> => {
    const r = await fulcrum(env, argv);
    assert.equal(r.code, 0, `fulcrum ${argv.join(' ')}: ${r.err}`);
    return r.out;
  };
  const project = JSON.parse(await ok(admin, ['identity', 'project', 'create', 'web-team', '--description', 'the web team', '-f', 'json']));
  assert.equal(project.name, 'web-team');
  const user = JSON.parse(await ok(admin, ['identity', 'user', 'create', 'carol', '--password', 'carol-secret-pw', '--project', 'web-team', '-f', 'json']));
  assert.equal(user.default_project_id, project.id);
  await ok(admin, ['identity', 'role', 'add', 'member', '--user', 'carol', '--project', 'web-team']);
  assert.match(await ok(admin, ['identity', 'role', 'assignments', '--user', 'carol', '-f', 'value']), /^member carol web-team *$/m);
  assert.match(await ok(admin, ['identity', 'project', 'list', '-f', 'value', '-c', 'name']), /^web-team$/m);

  const carol = openrc('carol', 'carol-secret-pw', 'web-team');
  const net = JSON.parse(await ok(carol, ['network', 'create', 'carol-net', '-f', 'json']));
  assert.equal(net.project_id, project.id, 'created in her project');
  const denied = await fulcrum(carol, ['identity', 'user', 'list']);
  assert.equal(denied.code, 1, 'a member does not manage users');
  assert.match(denied.err, /not authorized.*identity:list_users.*\(HTTP 403\)/);

  await ok(admin, ['identity', 'role', 'remove', 'member', '--user', 'carol', '--project', 'web-team']);
  const after = await fulcrum(carol, ['network', 'list']);
  assert.equal(after.code, 1, 'no role on the project: no token for it');
  await ok(admin, ['identity', 'user', 'delete', 'carol']);
  await ok(admin, ['identity', 'project', 'delete', project.id]);
  assert.doesNotMatch(await ok(admin, ['identity', 'project', 'list', '-f', 'value', '-c', 'name']), /web-team/);
});

test('without credentials the client falls back to noauth\'s X-Project-Id, which this server refuses', async () => {
  const r = await fulcrum({ FULCRUM_URL: url }, ['loadbalancer', 'list']);
  assert.equal(r.code, 1);
  assert.match(r.err, /requires authentication.*\(HTTP 401\)/);
});

test('parseOpenrc reads what fulcrum up writes: single quotes, an escaped quote, unquoted values', () => {
  const text = "# comment\nexport OS_AUTH_URL='http://h:9876/v3'\nexport OS_PASSWORD='it'\\''s'\nexport OS_USER_DOMAIN_NAME=Default\necho nope\n";
  assert.deepEqual(parseOpenrc(text), { OS_AUTH_URL: 'http://h:9876/v3', OS_PASSWORD: "it's", OS_USER_DOMAIN_NAME: 'Default' });
});

test('fulcrum watch logs in again when the server ends its stream for a revoked token, and misses nothing', async () => {
  const env = openrc('demo', PASSWORDS.demo, 'demo');
  let out = '';
  const stop = new AbortController();
  const done = runCli(['watch'], { stdout: { write: (x: string) => (out += x) }, stderr: { write: () => true }, env, signal: stop.signal });
  const from = streamTokens.length;
  await until('watch subscribed', async () => (streamTokens.length > from && hub.subscriberCount === 1 ? true : undefined), 5000);
  const first = streamTokens[from]!;
  const net = (await fulcrum(env, ['network', 'create', 'n-watch', '-f', 'json']));
  const subnet = JSON.parse((await fulcrum(env, ['subnet', 'create', '--network', 'n-watch', '--subnet-range', '10.77.0.0/24', 'sn-watch', '-f', 'json'])).out);
  assert.equal(net.code, 0, net.err);
  const lb = await fulcrum(env, ['loadbalancer', 'create', '--name', 'before-revoke', '--vip-subnet-id', subnet.id]);
  assert.equal(lb.code, 0, lb.err);
  await until('the first create seen', async () => (out.includes('before-revoke') ? true : undefined), 5000);
  const revoked = await fetch(`${url}/v3/auth/tokens`, { method: 'DELETE', headers: { 'x-auth-token': first, 'x-subject-token': first } });
  assert.equal(revoked.status, 204);
  await until('a new stream with a new token', async () => (streamTokens.slice(from + 1).some((tk) => tk !== first) ? true : undefined), 10_000);
  const again = await fulcrum(env, ['loadbalancer', 'create', '--name', 'after-revoke', '--vip-subnet-id', subnet.id]);
  assert.equal(again.code, 0, again.err);
  await until('the second create seen', async () => (out.includes('after-revoke') ? true : undefined), 5000);
  stop.abort();
  assert.equal(await done, 0);
});
