/** @module service/children.test — the pure rules shared by listeners, pools, members and health monitors. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { LoadBalancer } from '../domain/model.js';
import { allowedCidrsFor, checkListenerPoolProtocol, normalizeCidr, pyList } from './children.js';
import { buildHealthMonitor } from './health-monitors.js';
import { applyListenerUpdate, buildListener } from './listeners.js';
import { buildPool } from './pools.js';

const lb = {
  id: 'lb', projectId: 'p', vipAddress: '10.0.0.5', provider: 'noop',
} as unknown as LoadBalancer;

test('CIDRs print as Python\'s ip_network(strict=False).with_prefixlen', () => {
  const cases: [string, string][] = [
    ['10.1.2.3/8', '10.0.0.0/8'], ['192.0.2.7', '192.0.2.7/32'], ['0.0.0.0/0', '0.0.0.0/0'],
    ['2001:db8::1/32', '2001:db8::/32'], ['::1', '::1/128'],
  ];
  for (const [input, want] of cases) assert.equal(normalizeCidr(input, 'allowed_cidrs'), want, input);
  for (const bad of ['10.0.0.0/33', '10.0.0/8', 'x', '10.0.0.0/8/8', '::1/129', 'fe80::1%eth0/64', '']) {
    assert.throws(() => normalizeCidr(bad, 'allowed_cidrs'), /Value should be IPv4 or IPv6 CIDR format/, bad);
  }
  assert.deepEqual(allowedCidrsFor(lb, ['10.0.0.1/8', '10.0.0.0/8']), ['10.0.0.0/8']);
  assert.equal(allowedCidrsFor(lb, []), null);
  assert.throws(() => allowedCidrsFor(lb, ['::/0']), /CIDR ::\/0 IP version incompatible with VIP 10\.0\.0\.5 IP version\./);
});

test('Python list reprs and the listener → pool protocol table', () => {
  assert.equal(pyList(['X-A', 'X-B']), "['X-A', 'X-B']");
  assert.doesNotThrow(() => checkListenerPoolProtocol('TCP', 'PROXYV2'));
  assert.doesNotThrow(() => checkListenerPoolProtocol('HTTPS', 'TCP'));
  assert.throws(() => checkListenerPoolProtocol('TERMINATED_HTTPS', 'HTTPS'), /The pool protocol 'HTTPS' is invalid while the listener protocol is 'TERMINATED_HTTPS'\./);
  assert.throws(() => checkListenerPoolProtocol('SCTP', 'UDP'));
});

test('a PUT null resets listener settings to Octavia\'s defaults; absent fields stay', () => {
  const cur = buildListener(lb, 'p', { protocol: 'HTTP', protocolPort: 80, connectionLimit: 5, timeoutMemberData: 1, name: 'n' });
  const next = applyListenerUpdate(lb, cur, { connectionLimit: null, timeoutMemberData: null, tlsCiphers: null, clientAuthentication: null });
  assert.equal(next.connectionLimit, -1);
  assert.equal(next.timeoutMemberData, 50000);
  assert.match(next.tlsCiphers ?? '', /^TLS_AES_256_GCM_SHA384/);
  assert.equal(next.clientAuthentication, 'NONE');
  assert.equal(next.name, 'n');
  assert.equal(next.id, cur.id);
});

test('pools: SOURCE_IP_PORT is accepted; monitors get HTTP defaults only for HTTP types', () => {
  assert.equal(buildPool(lb, 'p', { protocol: 'TCP', lbAlgorithm: 'SOURCE_IP_PORT' }, null).lbAlgorithm, 'SOURCE_IP_PORT');
  const pool = buildPool(lb, 'p', { protocol: 'HTTPS', lbAlgorithm: 'ROUND_ROBIN' }, null);
  const https = buildHealthMonitor(pool, 'p', { type: 'HTTPS', delay: 1, timeout: 1, maxRetries: 1 });
  assert.deepEqual([https.httpMethod, https.urlPath, https.expectedCodes, https.maxRetriesDown], ['GET', '/', '200', 3]);
  const tls = buildHealthMonitor(pool, 'p', { type: 'TLS-HELLO', delay: 1, timeout: 1, maxRetries: 1 });
  assert.deepEqual([tls.httpMethod, tls.urlPath, tls.expectedCodes], [null, null, null]);
  for (const path of ['/', '/health?x=1&y=%20', '/a/b:c@d']) {
    assert.doesNotThrow(() => buildHealthMonitor(pool, 'p', { type: 'HTTP', delay: 1, timeout: 1, maxRetries: 1, urlPath: path }), path);
  }
  for (const path of ['health', 'http://x/', '/a b', '//x', '/%zz']) {
    assert.throws(() => buildHealthMonitor(pool, 'p', { type: 'HTTP', delay: 1, timeout: 1, maxRetries: 1, urlPath: path }), /valid URL Path/, path);
  }
});
