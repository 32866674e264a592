/**
 * @module test/e2e/tls.test — TERMINATED_HTTPS and pool re-encryption proven by traffic from the
 * client namespace, with certificates made by openssl at test time and stored through the
 * Barbican-compatible /key-manager API: SNI picks the certificate (the served CN is checked), a
 * PKCS12 secret as the default certificate, TLS versions refused and accepted, h2 by ALPN, HSTS,
 * client certificates (none, signed by the CA, revoked by the CRL, from another CA) with the
 * X-SSL-* headers and SSL_* L7 rules the backend sees, and a TLS member whose CA is verified.
 */
import assert from 'node:assert/strict';
import { readFileSync, statSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { run, spawnDetached } from '../../src/drivers/sys/exec.js';
import { call, settled, waitFor } from '../helpers/fixtures.js';
import { makePki, type TestPki } from '../helpers/certs.js';
import { makeScene, until, type Scene } from '../helpers/scene.js';

let s: Scene;
let pki: TestPki;
let echo: string;
let secure: string;
let lb: { id: string; vip_address: string };
let listener: string;
const RESPONDER = fileURLToPath(new URL('../helpers/tls-responder.js', import.meta.url));

before(async () => {
  s = await makeScene();
  pki = await makePki();
  echo = await s.web('echo');
  secure = await s.web('secure');
  await spawnDetached(['ip', 'netns', 'exec', s.ns('echo'), process.execPath, RESPONDER, 'echo', echo, '8080']);
  await spawnDetached(['ip', 'netns', 'exec', s.ns('secure'), process.execPath, RESPONDER, 'https', secure, '8443', pki.backend.certFile, pki.backend.keyFile, 'secure']);
});

after(async () => {
  await s?.close(); // deletes the host namespaces, and with them the responders
  pki?.cleanup();
});

async function secret(payload: string | Buffer): Promise<string> {
  const body = typeof payload === 'string'
    ? { payload, payload_content_type: 'text/plain', name: 'pem' }
    : { payload: payload.toString('base64'), payload_content_type: 'application/octet-stream', payload_content_encoding: 'base64', name: 'p12' };
  const r = await call(s.t.app, 'POST', '/key-manager/v1/secrets', body);
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.body.secret_ref as string;
}

/** curl from the client namespace to https://NAME/ at the VIP; returns its exit code, -v output and body. */
async function curl(name: string, args: readonly string[] = []): Promise<{ code: number; out: string; body: string }> {
  const r = await run(['ip', 'netns', 'exec', s.client, 'curl', '-sS', '-v', '--max-time', '3', '--cacert', pki.caFile,
    '--resolve', `${name}:443:${lb.vip_address}`, ...args, `https://${name}/`], { allowFailure: true, timeoutMs: 10_000 });
  return { code: r.code, out: r.stderr, body: r.stdout };
}

const clientCert = (c: { certFile: string; keyFile: string }): string[] => ['--cert', c.certFile, '--key', c.keyFile];

test('secrets and containers through /key-manager; a TERMINATED_HTTPS listener picks its certificate by SNI', async () => {
  const p12 = await secret(pki.wwwP12);
  const other = await call(s.t.app, 'POST', '/key-manager/v1/containers', {
    type: 'certificate', name: 'other', secret_refs: [{ name: 'certificate', secret_ref: await secret(pki.other.cert) }, { name: 'private_key', secret_ref: await secret(pki.other.key) }],
  });
  assert.equal(other.status, 201, JSON.stringify(other.body));
  const ca = await secret(pki.caCert);
  const crl = await secret(pki.crl);
  const r = await call(s.t.app, 'POST', '/v2/lbaas/loadbalancers', {
    loadbalancer: {
      name: 'tls', vip_subnet_id: s.lbSubnet.id, vip_address: `${s.lbNet}.9`, provider: 'haproxy',
      listeners: [{
        name: 'https', protocol: 'TERMINATED_HTTPS', protocol_port: 443, default_tls_container_ref: p12,
        sni_container_refs: [other.body.container_ref], tls_versions: ['TLSv1.3'], alpn_protocols: ['h2', 'http/1.1'],
        hsts_max_age: 31536000, hsts_include_subdomains: true,
        client_authentication: 'OPTIONAL', client_ca_tls_container_ref: ca, client_crl_container_ref: crl,
        insert_headers: { 'X-SSL-Client-Verify': 'true', 'X-SSL-Client-Has-Cert': 'true', 'X-SSL-Client-DN': 'true', 'X-SSL-Client-CN': 'true', 'X-SSL-Issuer': 'true', 'X-SSL-Client-SHA1': 'true', 'X-SSL-Client-Not-Before': 'true', 'X-SSL-Client-Not-After': 'true', 'X-Forwarded-Proto': 'true' },
        default_pool: { name: 'echo', protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN', members: [{ address: echo, protocol_port: 8080, subnet_id: s.webSubnet.id }] },
      }],
    },
  });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  lb = r.body.loadbalancer;
  listener = r.body.loadbalancer.listeners[0].id;
  await waitFor(s.t.app, `/v2/lbaas/loadbalancers/${lb.id}`, 'loadbalancer', 'ACTIVE', 15_000);

  const www = await until('www.example.com answers', async () => ((await curl('www.example.com')).code === 0 ? curl('www.example.com') : undefined), 5000);
  assert.match(www.out, /subject: CN=www\.example\.com/, 'the default certificate (from the PKCS12 secret)');
  const oth = await curl('other.example.com');
  assert.equal(oth.code, 0, oth.out);
  assert.match(oth.out, /subject: CN=other\.example\.com/, 'SNI picked the container certificate');

  // Keys and certificates are on disk owner-only, never in the configuration.
  const tlsDir = join(s.provider.dirOf(lb.id), 'tls');
  for (const f of readdirSync(tlsDir)) assert.equal(statSync(join(tlsDir, f)).mode & 0o077, 0, f);
});

test('TLS versions: 1.2 refused, 1.3 accepted; h2 by ALPN; HSTS header present', async () => {
  const v12 = await curl('www.example.com', ['--tlsv1.2', '--tls-max', '1.2']);
  assert.notEqual(v12.code, 0, 'TLS 1.2 must be refused');
  const v13 = await curl('www.example.com', ['--tlsv1.3', '-o', '/dev/null', '-w', '%{http_version}', '--http2']);
  assert.equal(v13.code, 0, v13.out);
  assert.equal(v13.body, '2', 'h2 negotiated by ALPN');
  assert.match(v13.out, /strict-transport-security: max-age=31536000; includeSubDomains;/i);
});

test('client certificates (OPTIONAL): the backend sees X-SSL-* headers with and without one', async () => {
  const none = await curl('www.example.com', ['--http1.1']);
  assert.equal(none.code, 0, none.out);
  const seen = JSON.parse(none.body) as Record<string, string>;
  assert.equal(seen['x-ssl-client-has-cert'], '0');
  assert.equal(seen['x-forwarded-proto'], 'https');
  const withCert = await curl('www.example.com', ['--http1.1', ...clientCert(pki.client)]);
  assert.equal(withCert.code, 0, withCert.out);
  const h = JSON.parse(withCert.body) as Record<string, string>;
  assert.equal(h['x-ssl-client-has-cert'], '1');
  assert.equal(h['x-ssl-client-verify'], '0');
  // Octavia's template writes %{+Q}: HAProxy 2.6 does not quote in set-header, the value arrives bare.
  assert.match(h['x-ssl-client-cn'] ?? '', /^"?client-one"?$/);
  assert.match(h['x-ssl-client-dn'] ?? '', /CN=client-one/);
  assert.match(h['x-ssl-issuer'] ?? '', /CN=Fulcrum Test CA/);
  assert.match(h['x-ssl-client-sha1'] ?? '', /^"?[0-9A-F]{40}"?$/);
  assert.match(h['x-ssl-client-not-before'] ?? '', /^"?\d{12}Z"?$/);
  assert.match(h['x-ssl-client-not-after'] ?? '', /^"?\d{12}Z"?$/);
});

test('L7 SSL rules: SSL_CONN_HAS_CERT and SSL_DN_FIELD decide with and without a client certificate', async () => {
  const p = await call(s.t.app, 'POST', '/v2/lbaas/l7policies', {
    l7policy: { listener_id: listener, action: 'REJECT', name: 'no-cert', rules: [{ type: 'SSL_CONN_HAS_CERT', compare_type: 'EQUAL_TO', value: 'True', invert: true }] },
  });
  assert.equal(p.status, 201, JSON.stringify(p.body));
  await waitFor(s.t.app, `/v2/lbaas/l7policies/${p.body.l7policy.id}`, 'l7policy', 'ACTIVE', 10_000);
  await settled(s.t, lb.id);
  const q = await call(s.t.app, 'POST', '/v2/lbaas/l7policies', {
    l7policy: { listener_id: listener, action: 'REDIRECT_TO_URL', redirect_url: 'https://one.example.com/', name: 'cn', rules: [{ type: 'SSL_DN_FIELD', key: 'CN', compare_type: 'EQUAL_TO', value: 'client-one' }, { type: 'SSL_VERIFY_RESULT', compare_type: 'EQUAL_TO', value: '0' }] },
  });
  assert.equal(q.status, 201, JSON.stringify(q.body));
  await waitFor(s.t.app, `/v2/lbaas/l7policies/${q.body.l7policy.id}`, 'l7policy', 'ACTIVE', 10_000);
  await settled(s.t, lb.id);
  const without = await curl('www.example.com', ['--http1.1', '-o', '/dev/null', '-w', '%{http_code}']);
  assert.equal(without.body, '403', 'no certificate → REJECT');
  const withCert = await curl('www.example.com', ['--http1.1', '-o', '/dev/null', '-w', '%{http_code} %{redirect_url}', ...clientCert(pki.client)]);
  assert.equal(withCert.body, '302 https://one.example.com/', 'CN client-one → redirect');
  for (const id of [p.body.l7policy.id, q.body.l7policy.id]) {
    await call(s.t.app, 'DELETE', `/v2/lbaas/l7policies/${id}`);
    await settled(s.t, lb.id);
  }
});

test('client authentication MANDATORY: refused without a certificate, by the CRL and from another CA; accepted with one the CA signed', async () => {
  const r = await call(s.t.app, 'PUT', `/v2/lbaas/listeners/${listener}`, { listener: { client_authentication: 'MANDATORY' } });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  await waitFor(s.t.app, `/v2/lbaas/listeners/${listener}`, 'listener', 'ACTIVE', 10_000);
  await settled(s.t, lb.id);
  const refused = (c: { code: number; body: string }): boolean => c.code !== 0 || !c.body.includes('x-ssl');
  await until('MANDATORY applied', async () => (refused(await curl('www.example.com', ['--http1.1'])) ? true : undefined), 5000);
  assert.ok(refused(await curl('www.example.com', ['--http1.1'])), 'no certificate');
  assert.ok(refused(await curl('www.example.com', ['--http1.1', ...clientCert(pki.revoked)])), 'revoked by the CRL');
  assert.ok(refused(await curl('www.example.com', ['--http1.1', ...clientCert(pki.stranger)])), 'another CA');
  const ok = await curl('www.example.com', ['--http1.1', ...clientCert(pki.client)]);
  assert.equal(ok.code, 0, ok.out);
  assert.match((JSON.parse(ok.body) as Record<string, string>)['x-ssl-client-cn'] ?? '', /^"?client-one"?$/);
});

test('pool re-encryption: a TLS member is reached when its CA verifies, refused (503) with another CA', async () => {
  const ca = await secret(pki.caCert);
  const pool = await call(s.t.app, 'POST', '/v2/lbaas/pools', {
    pool: { loadbalancer_id: lb.id, protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN', name: 'secure', tls_enabled: true, ca_tls_container_ref: ca },
  });
  assert.equal(pool.status, 201, JSON.stringify(pool.body));
  await settled(s.t, lb.id);
  const m = await call(s.t.app, 'POST', `/v2/lbaas/pools/${pool.body.pool.id}/members`, { member: { address: secure, protocol_port: 8443, subnet_id: s.webSubnet.id } });
  assert.equal(m.status, 201, JSON.stringify(m.body));
  await settled(s.t, lb.id);
  const l = await call(s.t.app, 'PUT', `/v2/lbaas/listeners/${listener}`, { listener: { default_pool_id: pool.body.pool.id, client_authentication: 'NONE' } });
  assert.equal(l.status, 200, JSON.stringify(l.body));
  await waitFor(s.t.app, `/v2/lbaas/listeners/${listener}`, 'listener', 'ACTIVE', 10_000);
  await settled(s.t, lb.id);
  const answer = await until('the TLS member answers', async () => {
    const c = await curl('www.example.com', ['--http1.1']);
    return c.body.trim() === 'secure' ? c : undefined;
  }, 5000);
  assert.equal(answer.body.trim(), 'secure');
  const cfg = await run(['cat', join(s.provider.dirOf(lb.id), 'haproxy.cfg')]);
  assert.match(cfg.stdout, / ssl ca-file \S+\.ca\.pem verify required/);

  // The same member checked against another CA: HAProxy refuses the handshake, the client gets 503.
  const stranger = await secret((await run(['cat', `${pki.dir}/ca2.crt`])).stdout);
  const u = await call(s.t.app, 'PUT', `/v2/lbaas/pools/${pool.body.pool.id}`, { pool: { ca_tls_container_ref: stranger } });
  assert.equal(u.status, 200, JSON.stringify(u.body));
  await waitFor(s.t.app, `/v2/lbaas/pools/${pool.body.pool.id}`, 'pool', 'ACTIVE', 10_000);
  await settled(s.t, lb.id);
  let last = '';
  const refused = await until('the unverified member is refused', async () => {
    // HAProxy retries the member (retries 3) before it answers: give curl the time.
    const c = await curl('www.example.com', ['--http1.1', '--max-time', '15', '-o', '/dev/null', '-w', '%{http_code}']);
    last = c.body;
    return c.body === '503' ? c : undefined;
  }, 20_000).catch((err: Error) => {
    throw new Error(`${err.message}; last answer ${last}; pool ${JSON.stringify(u.body)}; cfg ${readFileSync(join(s.provider.dirOf(lb.id), 'haproxy.cfg'), 'utf8')}`);
  });
  assert.equal(refused.body, '503');
});

test('another project cannot use a reference; a bad certificate is a 400 naming the field, and nothing changes', async () => {
  // A PKCS12 secret of another project: the listener (of this project) may not use it.
  const stored = await s.t.app.inject({
    method: 'POST', url: '/key-manager/v1/secrets', headers: { 'content-type': 'application/json', 'x-project-id': 'f00000000000000000000000000000ff' },
    payload: { payload: pki.wwwP12.toString('base64'), payload_content_type: 'application/octet-stream', payload_content_encoding: 'base64' },
  });
  assert.equal(stored.statusCode, 201, stored.body);
  const theirs = stored.json().secret_ref as string;
  const foreign = await call(s.t.app, 'POST', '/v2/lbaas/listeners', {
    listener: { loadbalancer_id: lb.id, protocol: 'TERMINATED_HTTPS', protocol_port: 8443, default_tls_container_ref: theirs },
  });
  assert.equal(foreign.status, 400, JSON.stringify(foreign.body));
  assert.equal(foreign.body.faultstring, `Could not retrieve certificate: ${theirs}`);

  const bad = await call(s.t.app, 'POST', '/v2/lbaas/listeners', {
    listener: { loadbalancer_id: lb.id, protocol: 'TERMINATED_HTTPS', protocol_port: 8443, default_tls_container_ref: await secret('not a certificate') },
  });
  assert.equal(bad.status, 400, JSON.stringify(bad.body));
  assert.match(bad.body.faultstring, /PKCS12 bundle is unreadable/);
  const listeners = (await call(s.t.app, 'GET', `/v2/lbaas/listeners?loadbalancer_id=${lb.id}`)).body.listeners;
  assert.equal(listeners.length, 1);
});
