/** @module identity/catalog.test — the catalog, version documents and token helpers, as keystoneauth reads them. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildCatalog, identityUrl } from './catalog.js';
import { versionDocument, versionsDocument } from './discovery.js';
import { hashToken, isTokenShaped, keystoneTime, newAuditId, newToken } from './token.js';

test('the catalog: identity, network, load-balancer and key-manager in RegionOne, each with three interfaces, from the base URL', () => {
  const catalog = buildCatalog('http://10.0.0.1:9876/');
  assert.deepEqual(catalog.map((s) => [s.type, s.name]), [['identity', 'keystone'], ['network', 'neutron'], ['load-balancer', 'octavia'], ['key-manager', 'barbican']]);
  for (const s of catalog) {
    assert.match(s.id, /^[0-9a-f]{32}$/);
    assert.deepEqual(s.endpoints.map((e) => e.interface), ['public', 'internal', 'admin']);
    for (const e of s.endpoints) {
      assert.deepEqual(Object.keys(e).sort(), ['id', 'interface', 'region', 'region_id', 'url']);
      assert.equal(e.region, 'RegionOne');
      assert.equal(e.region_id, 'RegionOne');
    }
  }
  assert.deepEqual(catalog.map((s) => s.endpoints[0]!.url), ['http://10.0.0.1:9876/v3', 'http://10.0.0.1:9876/network', 'http://10.0.0.1:9876', 'http://10.0.0.1:9876/key-manager']);
  assert.equal(new Set(catalog.flatMap((s) => s.endpoints.map((e) => e.id))).size, 12, 'endpoint ids are distinct');
  assert.deepEqual(buildCatalog('https://lb.example.com'), buildCatalog('https://lb.example.com'), 'ids are stable');
  const other = buildCatalog('https://lb.example.com/fulcrum', { region: 'east', paths: { network: '/net' } });
  assert.equal(other[1]!.endpoints[2]!.url, 'https://lb.example.com/fulcrum/net');
  assert.equal(other[0]!.endpoints[0]!.region, 'east');
  assert.equal(identityUrl('https://lb.example.com/'), 'https://lb.example.com/v3');
});

test('version documents: {version} at /v3 and {versions: {values}} at a root, with a self link', () => {
  const doc = versionDocument('http://h:1/v3');
  assert.deepEqual(doc.version, {
    id: 'v3.14', status: 'stable', updated: '2020-04-07T00:00:00Z', links: [{ rel: 'self', href: 'http://h:1/v3/' }],
    'media-types': [{ base: 'application/json', type: 'application/vnd.openstack.identity-v3+json' }],
  });
  assert.deepEqual(versionsDocument('http://h:1/v3').versions.values, [doc.version]);
});

test('tokens are 32 random bytes in hex (never starting with a dash), stored as SHA-256; times as Keystone prints them', () => {
  const t = newToken();
  assert.ok(isTokenShaped(t));
  assert.notEqual(t, newToken());
  assert.match(t, /^[0-9a-f]{64}$/);
  assert.match(hashToken(t), /^[0-9a-f]{64}$/);
  assert.equal(hashToken(t), hashToken(t));
  assert.ok(!isTokenShaped('short'));
  assert.ok(!isTokenShaped(`${t}=`));
  assert.match(newAuditId(), /^[\w-]{22}$/);
  assert.equal(keystoneTime(Date.parse('2026-01-02T03:04:05.678Z')), '2026-01-02T03:04:05.678000Z');
});
