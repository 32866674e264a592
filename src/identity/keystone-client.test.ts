/**
 * @module identity/keystone-client.test — the external-Keystone validator against Fulcrum's own
 * identity routes listening on 127.0.0.1 (a real HTTP Keystone v3 subset on a temp SQLite file),
 * with one clock shared by server and validator so that expiry and cache times are exact.
 */
import assert from 'node:assert/strict';
import { createServer, type AddressInfo } from 'node:net';
import { test } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { identityRoutes } from '../api/identity/routes.js';
import { FulcrumError } from '../domain/errors.js';
import { makeTestIdentity, passwordAuth, PASSWORDS, type TestIdentity } from './fixtures.js';
import type { Identity } from './identity.js';
import { KeystoneValidator, parseKeystoneTime, type KeystoneValidatorOptions } from './keystone-client.js';
import { parseAuthRequest } from './requests.js';

const SERVICE = { username: 'fulcrum', password: 'service-secret-pw', projectName: 'service' } as const;
const TTL_MS = 3600_000;

interface Keystone extends TestIdentity {
  /** `http://127.0.0.1:PORT` (no `/v3`). */
  url: string;
  /** Every request the server received, as `METHOD /path`. */
  requests: string[];
  /** Tokens issued over HTTP (only the validator logs in over HTTP here: its service tokens). */
  issued: string[];
  clock: { ms: number };
  count: (what: string) => number;
  login: (user: 'admin' | 'demo') => Promise<string>;
  validator: (opts?: Partial<KeystoneValidatorOptions>) => KeystoneValidator;
}

/** A listening Keystone with a service account (`fulcrum`, admin on project `service`), for one test. */
async function withKeystone(fn: (k: Keystone) => Promise<void>): Promise<void> {
  const clock = { ms: Date.parse('2026-03-01T12:00:00Z') };
  const now = (): number => clock.ms;
  const t = await makeTestIdentity({ now, tokenTtlSeconds: TTL_MS / 1000 });
  let app: FastifyInstance | undefined;
  try {
    await addServiceAccount(t.identity);
    const requests: string[] = [];
    const issued: string[] = [];
    app = Fastify({ logger: false });
    app.addHook('onRequest', async (request) => {
      requests.push(`${request.method} ${request.url.split('?')[0] ?? ''}`);
    });
    app.addHook('onSend', async (request, reply) => {
      const subject = reply.getHeader('x-subject-token');
      if (request.method === 'POST' && typeof subject === 'string') issued.push(subject);
    });
    await identityRoutes(app, { identity: t.identity });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    await fn({
      ...t, url, requests, issued, clock,
      count: (what) => requests.filter((r) => r === what).length,
      login: async (user) => (await t.identity.authenticate(parseAuthRequest(passwordAuth(user, PASSWORDS[user], user)))).token,
      validator: (opts = {}) => new KeystoneValidator({ url, ...SERVICE, now, timeoutMs: 2_000, ...opts }),
    });
  } finally {
    await app?.close();
    await t.close();
  }
}

async function addServiceAccount(identity: Identity): Promise<void> {
  const project = await identity.createProject({ name: SERVICE.projectName, description: 'services', enabled: true });
  const user = await identity.createUser({
    name: SERVICE.username, password: SERVICE.password, enabled: true, defaultProjectId: null, description: '', email: null,
  });
  const admin = (await identity.listRoles({ name: 'admin' }))[0]!;
  await identity.grant(user.id, { type: 'project', id: project.id }, admin.id);
}

const GET = 'GET /v3/auth/tokens';
const POST = 'POST /v3/auth/tokens';

/** Matches the "identity service unavailable" error (503), which must leak neither token nor password. */
const unavailable = (retryable: boolean, secrets: string[] = []) => (err: unknown): boolean => {
  assert.ok(err instanceof FulcrumError, String(err));
  assert.equal(err.status, 503);
  assert.equal(err.code, 'IDENTITY_UNAVAILABLE');
  assert.equal(err.retryable, retryable);
  for (const s of [SERVICE.password, ...secrets]) {
    assert.ok(!err.message.includes(s) && !(err.detail ?? '').includes(s), 'no secret in the error');
  }
  return true;
};

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((resolve, reject) => s.close((err) => (err ? reject(err) : resolve())));
  return port;
}

test('a demo token validates to its user, project and roles; the URL may end in /v3 or not', async () => {
  await withKeystone(async (k) => {
    const demo = await k.login('demo');
    const expected = await k.identity.validateToken(demo);
    assert.ok(expected);
    for (const url of [k.url, `${k.url}/`, `${k.url}/v3`, `${k.url}/v3/`]) {
      const v = await k.validator({ url }).validateToken(demo);
      assert.deepEqual(v, expected, url);
    }
    const demoUser = (await k.identity.listUsers({ name: 'demo' }))[0]!;
    const demoProject = (await k.identity.listProjects({ name: 'demo' }))[0]!;
    assert.deepEqual(expected, {
      userId: demoUser.id, userName: 'demo', projectId: demoProject.id, domainId: null, roles: ['member'],
      expiresAt: new Date(k.clock.ms + TTL_MS).toISOString(),
    });
    const admin = await k.validator().validateToken(await k.login('admin'));
    assert.equal(admin?.userName, 'admin');
    assert.deepEqual(admin?.roles, ['admin']);
  });
});

test('a garbage or revoked token is null; a token no header can carry is null without asking', async () => {
  await withKeystone(async (k) => {
    const v = k.validator({ cacheSeconds: 0 });
    assert.equal(await v.validateToken('x'.repeat(43)), null);
    assert.equal(await v.validateToken('gAAAAABnot-a-real-fernet-token'), null);
    const demo = await k.login('demo');
    assert.ok(await v.validateToken(demo));
    assert.ok(await k.identity.revokeToken(demo));
    assert.equal(await v.validateToken(demo), null, 'revoked');
    const gets = k.count(GET);
    for (const bad of ['', 'a b', 'tok\u00e9n', 'x'.repeat(9000)]) assert.equal(await v.validateToken(bad), null);
    assert.equal(k.count(GET), gets, 'refused locally');
  });
});

test('a cached answer saves the request; a deleted user stays valid until the entry expires, then is null', async () => {
  await withKeystone(async (k) => {
    const v = k.validator({ cacheSeconds: 60 });
    const demo = await k.login('demo');
    const first = await v.validateToken(demo);
    assert.equal(first?.userName, 'demo');
    assert.equal(k.count(GET), 1);
    first!.roles.push('admin');
    assert.deepEqual((await v.validateToken(demo))?.roles, ['member'], 'a caller cannot change the cache');
    assert.equal(k.count(GET), 1, 'second answer from the cache');

    await k.identity.deleteUser(first!.userId);
    k.clock.ms += 59_999;
    assert.equal((await v.validateToken(demo))?.userName, 'demo', 'still cached');
    assert.equal(k.count(GET), 1);
    k.clock.ms += 1;
    assert.equal(await v.validateToken(demo), null, 'the entry expired: Keystone says the token is gone');
    assert.equal(k.count(GET), 2);
  });
});

test('a valid answer is cached no longer than the token lives', async () => {
  await withKeystone(async (k) => {
    const v = k.validator({ cacheSeconds: 60 });
    const demo = await k.login('demo');
    k.clock.ms += TTL_MS - 10_000;
    assert.ok(await v.validateToken(demo));
    k.clock.ms += 9_999;
    assert.ok(await v.validateToken(demo));
    assert.equal(k.count(GET), 1);
    k.clock.ms += 1;
    assert.equal(await v.validateToken(demo), null, 'expired: not served from the cache');
    assert.equal(k.count(GET), 2);

    // A validator whose clock is ahead of Keystone's does not accept what has expired by its own.
    const fresh = await k.login('demo');
    const ahead = k.validator({ now: () => k.clock.ms + TTL_MS });
    const posts = k.count(POST);
    assert.equal(await ahead.validateToken(fresh), null);
    assert.equal(await ahead.validateToken(await k.login('demo')), null);
    assert.equal(k.count(POST), posts + 1, 'its service token lives by Keystone\'s times, not renewed on each call');
  });
});

test('an invalid answer is cached for 5 s; cacheSeconds 0 caches nothing', async () => {
  await withKeystone(async (k) => {
    const bad = 'y'.repeat(43);
    const v = k.validator();
    for (let i = 0; i < 10; i++) assert.equal(await v.validateToken(bad), null);
    assert.equal(k.count(GET), 1, 'a flood of one bad token costs one request');
    k.clock.ms += 5_000;
    assert.equal(await v.validateToken(bad), null);
    assert.equal(k.count(GET), 2);

    const uncached = k.validator({ cacheSeconds: 0 });
    const demo = await k.login('demo');
    await uncached.validateToken(demo);
    await uncached.validateToken(demo);
    await uncached.validateToken(bad);
    await uncached.validateToken(bad);
    assert.equal(k.count(GET), 6);
  });
});

test('the cache is bounded: the oldest entry goes first', async () => {
  await withKeystone(async (k) => {
    const v = k.validator({ cacheEntries: 2 });
    const [a, b, c] = [await k.login('demo'), await k.login('demo'), await k.login('admin')];
    for (const tok of [a, b, c]) assert.ok(await v.validateToken(tok));
    assert.equal(k.count(GET), 3);
    assert.ok(await v.validateToken(c));
    assert.ok(await v.validateToken(b));
    assert.equal(k.count(GET), 3, 'b and c are cached');
    assert.ok(await v.validateToken(a));
    assert.equal(k.count(GET), 4, 'a was evicted');
  });
});

test('the service token is reused, renewed before it expires, and re-obtained once Keystone revokes it', async () => {
  await withKeystone(async (k) => {
    const v = k.validator();
    const tokens = [await k.login('demo'), await k.login('demo'), await k.login('admin')];
    for (const tok of tokens) assert.ok(await v.validateToken(tok));
    assert.equal(k.count(POST), 1, 'one login for three validations');
    assert.equal(k.count(GET), 3);

    assert.ok(await k.identity.revokeToken(k.issued[0]!));
    const demo = await k.login('demo');
    assert.equal((await v.validateToken(demo))?.userName, 'demo', 'the revocation is not the user\'s problem');
    assert.equal(k.count(POST), 2, 'a new service token');
    assert.equal(k.count(GET), 5, 'the refused request and its retry');
    assert.ok(await v.validateToken(await k.login('admin')));
    assert.equal(k.count(POST), 2, 'the new one is reused');

    k.clock.ms += TTL_MS - 30_000;
    assert.ok(await v.validateToken(await k.login('demo')));
    assert.equal(k.count(POST), 3, 'renewed 30 s before it expires, without a refused request first');
    assert.equal(k.count(GET), 7);
  });
});

test('concurrent validations share one request (and one service login)', async () => {
  await withKeystone(async (k) => {
    const v = k.validator();
    const demo = await k.login('demo');
    const admin = await k.login('admin');
    const results = await Promise.all([...Array(5).fill(demo), ...Array(5).fill(admin)].map((tok: string) => v.validateToken(tok)));
    assert.equal(k.count(POST), 1);
    assert.equal(k.count(GET), 2);
    assert.deepEqual(results.map((r) => r?.userName), [...Array(5).fill('demo'), ...Array(5).fill('admin')]);

    const bad = 'z'.repeat(43);
    const nulls = await Promise.all(Array.from({ length: 5 }, () => v.validateToken(bad)));
    assert.deepEqual(nulls, [null, null, null, null, null]);
    assert.equal(k.count(GET), 3);
  });
});

test('an unreachable Keystone is a 503 FulcrumError, not null', async () => {
  const v = new KeystoneValidator({ url: `http://127.0.0.1:${await closedPort()}`, ...SERVICE });
  const token = 'q'.repeat(43);
  await assert.rejects(v.validateToken(token), unavailable(true, [token]));
});

test('Keystone refusing the service account is a 503 (not retryable), never null', async () => {
  await withKeystone(async (k) => {
    const demo = await k.login('demo');
    const wrong = k.validator({ password: 'not-the-password' });
    await assert.rejects(wrong.validateToken(demo), unavailable(false, ['not-the-password', demo]));
    // demo may validate only its own tokens: as a service account it gets 403 for others'.
    const weak = k.validator({ username: 'demo', password: PASSWORDS.demo, projectName: 'demo' });
    assert.ok(await weak.validateToken(demo));
    await assert.rejects(weak.validateToken(await k.login('admin')), unavailable(false, [PASSWORDS.demo]));
  });
});

test('a Keystone answering 5xx or too slowly is a 503; one answering nonsense too', async () => {
  let release = (): void => undefined;
  const hung = new Promise<void>((resolve) => { release = resolve; });
  let mode: '500' | 'hang' | 'nonsense' = '500';
  const app = Fastify({ logger: false });
  app.post('/v3/auth/tokens', async (_request, reply) =>
    reply.code(201).header('x-subject-token', 'service-token').send({ token: { expires_at: '2099-01-01T00:00:00.000000Z' } }));
  app.get('/v3/auth/tokens', async (_request, reply) => {
    if (mode === '500') return reply.code(500).send({ error: { code: 500, message: 'boom' } });
    if (mode === 'hang') await hung;
    return reply.send({ token: { user: { id: 'u' } } });
  });
  try {
    await app.listen({ host: '127.0.0.1', port: 0 });
    const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}/v3`;
    const v = new KeystoneValidator({ url, ...SERVICE, timeoutMs: 200 });
    const token = 'r'.repeat(43);
    await assert.rejects(v.validateToken(token), unavailable(true, [token]));
    mode = 'hang';
    const started = Date.now();
    await assert.rejects(v.validateToken(token), unavailable(true, [token]));
    assert.ok(Date.now() - started < 1_500, 'gave up after the timeout');
    mode = 'nonsense';
    await assert.rejects(v.validateToken(token), unavailable(true, [token]));
  } finally {
    release();
    await app.close();
  }
});

test('parseKeystoneTime reads microseconds, offsets and zone-less UTC', () => {
  assert.equal(parseKeystoneTime('2026-01-01T00:00:00.123456Z'), Date.parse('2026-01-01T00:00:00.123Z'));
  assert.equal(parseKeystoneTime('2026-01-01T00:00:00Z'), Date.parse('2026-01-01T00:00:00Z'));
  assert.equal(parseKeystoneTime('2026-01-01T00:00:00.5'), Date.parse('2026-01-01T00:00:00.500Z'));
  assert.equal(parseKeystoneTime('2026-01-01T01:00:00+01:00'), Date.parse('2026-01-01T00:00:00Z'));
  assert.ok(Number.isNaN(parseKeystoneTime('tomorrow')));
});
