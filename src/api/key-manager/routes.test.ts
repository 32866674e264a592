/**
 * @module api/key-manager/routes.test — the Barbican v1 subset with two projects and an admin:
 * version discovery, secrets (payload encodings, Barbican's errors, payload only in the content
 * type stored), containers, who sees what, and the payload sealed at rest (AES-256-GCM bound to
 * its row: altered or moved ciphertext does not open).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import type { FastifyRequest } from 'fastify';
import { makeTestApi, type TestApi } from '../../../test/helpers/fixtures.js';
import { makeCaller } from '../policy.js';
import { openPayload, sealPayload } from '../../store/secret-store.js';

const A = 'a0000000000000000000000000000001';
const B = 'b0000000000000000000000000000002';
let t: TestApi;

const authenticate = async (request: FastifyRequest) => {
  const who = request.headers['x-test-user'];
  if (who === 'admin') return makeCaller({ projectId: 'adm00000000000000000000000000000', roles: ['admin'], userId: 'admin' });
  if (who === 'a') return makeCaller({ projectId: A, roles: ['member'], userId: 'user-a' });
  if (who === 'b') return makeCaller({ projectId: B, roles: ['member'], userId: 'user-b' });
  if (who === 'reader-a') return makeCaller({ projectId: A, roles: ['reader'], userId: 'reader-a' });
  return null;
};

async function as(who: string, method: 'GET' | 'POST' | 'DELETE', url: string, payload?: unknown, accept?: string) {
  const r = await t.app.inject({
    method, url: url.replace(/^https?:\/\/[^/]+/, ''), headers: { 'x-test-user': who, ...(accept ? { accept } : {}) },
    ...(payload === undefined ? {} : { payload: payload as object }),
  });
  const isJson = String(r.headers['content-type'] ?? '').startsWith('application/json');
  return { status: r.statusCode, body: r.body === '' ? null : isJson ? r.json() : r.body, type: String(r.headers['content-type'] ?? '') };
}

before(async () => { t = await makeTestApi({ authenticate }); });
after(async () => { await t.close(); });

test('version discovery at /key-manager and /key-manager/v1 needs no token', async () => {
  const root = await t.app.inject({ method: 'GET', url: '/key-manager' });
  assert.equal(root.statusCode, 200);
  assert.equal(root.json().versions.values[0].id, 'v1');
  assert.match(root.json().versions.values[0].links[0].href, /\/key-manager\/v1\/$/);
  assert.equal((await t.app.inject({ method: 'GET', url: '/key-manager/v1' })).json().version.status, 'stable');
  assert.equal((await t.app.inject({ method: 'GET', url: '/key-manager/v1/secrets' })).statusCode, 401);
});

test('secrets: create with text and base64 payloads, metadata, payload in its own content type, Barbican errors', async () => {
  const text = await as('a', 'POST', '/key-manager/v1/secrets', { name: 'pem', payload: 'hello', payload_content_type: 'text/plain' });
  assert.equal(text.status, 201, JSON.stringify(text.body));
  const meta = await as('a', 'GET', text.body.secret_ref);
  assert.equal(meta.status, 200);
  assert.deepEqual({ ...meta.body, secret_ref: undefined, created: undefined, updated: undefined }, {
    secret_ref: undefined, name: 'pem', secret_type: 'opaque', status: 'ACTIVE', algorithm: null, bit_length: null, mode: null,
    expiration: null, creator_id: 'user-a', created: undefined, updated: undefined, content_types: { default: 'text/plain' },
  });
  const payload = await as('a', 'GET', `${text.body.secret_ref}/payload`, undefined, 'text/plain');
  assert.equal(payload.body, 'hello');
  assert.equal((await as('a', 'GET', `${text.body.secret_ref}/payload`, undefined, 'application/pkcs8')).status, 406);
  const bytes = randomBytes(64);
  const bin = await as('a', 'POST', '/key-manager/v1/secrets', { payload: bytes.toString('base64'), payload_content_type: 'application/octet-stream', payload_content_encoding: 'base64' });
  assert.equal(bin.status, 201);
  const back = await t.app.inject({ method: 'GET', url: new URL(bin.body.secret_ref).pathname + '/payload', headers: { 'x-test-user': 'a', accept: 'application/octet-stream' } });
  assert.deepEqual(back.rawPayload, bytes);

  const bad: [unknown, number, string][] = [
    [{ payload: 'x' }, 400, "Provided object does not match schema 'Secret': If 'payload' is supplied, 'payload_content_type' must also be supplied. Invalid property: 'payload_content_type'"],
    [{ payload: 'x', payload_content_type: 'application/octet-stream' }, 400, "Provided object does not match schema 'Secret': payload_content_encoding must be base64 for application/octet-stream payloads. Invalid property: 'payload_content_encoding'"],
    [{ payload: 'x', payload_content_type: 'image/png' }, 400, "Invalid property: 'payload_content_type'"],
    [{ payload: 'x', payload_content_type: 'text/plain', secret_type: 'magic' }, 400, "Invalid property: 'secret_type'"],
    [{ payload: 'x', payload_content_type: 'text/plain', expiration: '2001-01-01T00:00:00' }, 400, "'expiration' is before current time"],
    [{ payload: 'x'.repeat(20_001), payload_content_type: 'text/plain' }, 413, 'Could not add secret data as it was too large'],
  ];
  const before = (await as('a', 'GET', '/key-manager/v1/secrets')).body.total;
  for (const [body, status, message] of bad) {
    const r = await as('a', 'POST', '/key-manager/v1/secrets', body);
    assert.equal(r.status, status, JSON.stringify(r.body));
    assert.equal(r.body.code, status);
    assert.ok(r.body.description.includes(message), r.body.description);
  }
  assert.equal((await as('a', 'GET', '/key-manager/v1/secrets')).body.total, before, 'nothing written');
});

test('projects see only their own secrets and containers; admins see all; readers read but do not decrypt', async () => {
  const mine = (await as('a', 'POST', '/key-manager/v1/secrets', { name: 'a-only', payload: 'a-secret', payload_content_type: 'text/plain' })).body.secret_ref;
  const notFound = { code: 404, title: 'Not Found', description: 'Not Found. Sorry but your secret is in another castle.' };
  assert.deepEqual((await as('b', 'GET', mine)).body, notFound);
  assert.deepEqual((await as('b', 'GET', `${mine}/payload`, undefined, 'text/plain')).body, notFound);
  assert.equal((await as('b', 'DELETE', mine)).status, 404);
  assert.ok(!(await as('b', 'GET', '/key-manager/v1/secrets')).body.secrets.some((s: { name: string }) => s.name === 'a-only'));
  assert.ok((await as('admin', 'GET', '/key-manager/v1/secrets?limit=100')).body.secrets.some((s: { name: string }) => s.name === 'a-only'));
  assert.equal((await as('reader-a', 'GET', mine)).status, 200);
  assert.equal((await as('reader-a', 'GET', `${mine}/payload`, undefined, 'text/plain')).status, 403);

  // Containers: certificate needs 'certificate'; another project's secret cannot be put in one.
  const noCert = await as('a', 'POST', '/key-manager/v1/containers', { type: 'certificate', secret_refs: [{ name: 'private_key', secret_ref: mine }] });
  assert.equal(noCert.status, 400);
  assert.match(noCert.body.description, /'certificate' is a required property/);
  const stolen = await as('b', 'POST', '/key-manager/v1/containers', { type: 'generic', secret_refs: [{ name: 'x', secret_ref: mine }] });
  assert.equal(stolen.status, 404);
  const c = await as('a', 'POST', '/key-manager/v1/containers', { type: 'generic', name: 'g', secret_refs: [{ name: 'x', secret_ref: mine }] });
  assert.equal(c.status, 201);
  const shown = await as('a', 'GET', c.body.container_ref);
  assert.equal(shown.body.type, 'generic');
  assert.deepEqual(shown.body.secret_refs, [{ name: 'x', secret_ref: mine }]);
  assert.equal((await as('b', 'GET', c.body.container_ref)).status, 404);
  assert.equal((await as('a', 'DELETE', c.body.container_ref)).status, 204);
  assert.equal((await as('a', 'DELETE', mine)).status, 204);
  assert.equal((await as('a', 'GET', mine)).status, 404);
});

test('at rest the payload is sealed: no clear text in the row, and altered or moved ciphertext does not open', async () => {
  const ref = (await as('a', 'POST', '/key-manager/v1/secrets', { payload: 'top secret value', payload_content_type: 'text/plain' })).body.secret_ref as string;
  const id = ref.split('/').pop()!;
  const rows = await t.store.sqlDialect.all('SELECT payload FROM secrets WHERE id = ?', [id]);
  const sealed = String(rows[0]!.payload);
  assert.match(sealed, /^v1:/);
  assert.ok(!sealed.includes('top secret') && !Buffer.from(sealed.slice(3), 'base64').toString('latin1').includes('top secret'));
  const key = randomBytes(32);
  const s = sealPayload(key, 'secret:x:p', Buffer.from('abc'));
  assert.equal(openPayload(key, 'secret:x:p', s).toString(), 'abc');
  assert.throws(() => openPayload(key, 'secret:y:p', s), 'another row');
  assert.throws(() => openPayload(randomBytes(32), 'secret:x:p', s), 'another key');
  const raw = Buffer.from(s.slice(3), 'base64');
  raw[14] = (raw[14] ?? 0) ^ 1;
  assert.throws(() => openPayload(key, 'secret:x:p', `v1:${raw.toString('base64')}`), 'altered');
});
