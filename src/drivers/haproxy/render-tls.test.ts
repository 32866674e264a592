/**
 * @module drivers/haproxy/render-tls.test — the TLS configuration: a golden file (testdata/tls.cfg)
 * that `haproxy -c` accepts with the files `tlsFiles` lists (certificates made by openssl at test
 * time), and what a value that cannot be made safe does (a 400 naming the field, never a line).
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { FulcrumError } from '../../domain/errors.js';
import type { Base, Listener, LoadBalancer, LoadBalancerGraph, Member, Pool } from '../../domain/model.js';
import { certificateFromPem, type TlsMaterial } from '../../domain/tls.js';
import { makePki, type TestPki } from '../../../test/helpers/certs.js';
import { run } from '../sys/exec.js';
import { renderConfig, type HaproxyPaths } from './render.js';
import { tlsFiles } from './render-tls.js';

const TESTDATA = fileURLToPath(new URL('../../../../src/drivers/haproxy/testdata/', import.meta.url));
const LB = 'c3d947b7-5f3b-4a16-96f1-20b989451ec2';
const L1 = '8e913f9e-5f06-4be9-a155-179f6a423872';
const P1 = '88c3081d-3f19-4e16-97ed-3dbfabf34963';
const P2 = '5d0b1c1e-8d3a-4f7e-9a51-6f5e0c2b7a10';
const GOLDEN: HaproxyPaths = { statsSocket: '/run/fulcrum/lb/haproxy.sock', serverStateFile: '/run/fulcrum/lb/server-state', tlsDir: '/run/fulcrum/lb/tls' };
const REF = (kind: string, n: number): string => `https://km.example/v1/${kind}/00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

let pki: TestPki;
let tmp: string;
before(async () => {
  pki = await makePki();
  tmp = mkdtempSync(join(tmpdir(), 'fulcrum-render-tls-'));
});
after(() => {
  pki?.cleanup();
  rmSync(tmp, { recursive: true, force: true });
});

const base = (): Base => ({
  projectId: '5a8eb8f5010747c5898ba2b583eef2c0', name: '', description: '', adminStateUp: true,
  provisioningStatus: 'ACTIVE', operatingStatus: 'ONLINE', tags: [], createdAt: '2024-01-01T00:00:00', updatedAt: null,
});

function scene(over: Partial<Listener> = {}, poolOver: Partial<Pool> = {}): LoadBalancerGraph {
  const listener: Listener = {
    ...base(), id: L1 as Listener['id'], loadBalancerId: LB as Listener['loadBalancerId'], protocol: 'TERMINATED_HTTPS', protocolPort: 443,
    connectionLimit: -1, defaultPoolId: P1 as Listener['defaultPoolId'], defaultTlsContainerRef: REF('containers', 1),
    sniContainerRefs: [REF('secrets', 2)], insertHeaders: { 'X-SSL-Client-CN': 'true', 'X-SSL-Client-Verify': 'true', 'X-Forwarded-Proto': 'true' },
    timeoutClientData: 50000, timeoutMemberConnect: 5000, timeoutMemberData: 50000, timeoutTcpInspect: 0,
    clientCaTlsContainerRef: REF('secrets', 3), clientAuthentication: 'OPTIONAL', clientCrlContainerRef: REF('secrets', 4),
    allowedCidrs: null, tlsCiphers: 'ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384', tlsVersions: ['TLSv1.2', 'TLSv1.3'],
    alpnProtocols: ['h2', 'http/1.1'], hstsMaxAge: 31536000, hstsIncludeSubdomains: true, hstsPreload: false, ...over,
  };
  const pool = (id: string, o: Partial<Pool> = {}): Pool => ({
    ...base(), id: id as Pool['id'], loadBalancerId: LB as Pool['loadBalancerId'], protocol: 'HTTP', lbAlgorithm: 'ROUND_ROBIN',
    sessionPersistence: null, tlsContainerRef: null, caTlsContainerRef: null, crlContainerRef: null, tlsEnabled: false,
    tlsCiphers: null, tlsVersions: null, alpnProtocols: null, ...o,
  });
  const member: Member = {
    ...base(), id: '6e6141a8-9774-4f43-b5c7-2743b4e8196b' as Member['id'], poolId: P1 as Member['poolId'], loadBalancerId: LB as Member['loadBalancerId'],
    address: '10.115.54.11', protocolPort: 443, weight: 1, backup: false, subnetId: null, monitorAddress: null, monitorPort: null,
  };
  const loadBalancer: LoadBalancer = {
    ...base(), id: LB as LoadBalancer['id'], vipAddress: '10.115.54.7', vipPortId: null, vipSubnetId: null, vipNetworkId: null,
    vipQosPolicyId: null, provider: 'haproxy', flavorId: null, availabilityZone: null, generation: 1, appliedGeneration: 0,
  };
  const tls: TlsMaterial = {
    certificates: {
      [REF('containers', 1)]: certificateFromPem({ certificate: pki.www.cert, privateKey: pki.www.key }, 'default_tls_container_ref'),
      [REF('secrets', 2)]: certificateFromPem({ certificate: pki.other.cert, privateKey: pki.other.key }, 'sni_container_refs'),
      [REF('containers', 5)]: certificateFromPem({ certificate: pki.client.cert, privateKey: pki.client.key }, 'tls_container_ref'),
    },
    pems: { [REF('secrets', 3)]: pki.caCert, [REF('secrets', 4)]: pki.crl, [REF('secrets', 6)]: pki.caCert, [REF('secrets', 7)]: pki.crl },
  };
  return {
    loadBalancer, listeners: [listener], members: [member], healthMonitors: [], l7Policies: [], l7Rules: [],
    pools: [pool(P1, {
      tlsEnabled: true, tlsContainerRef: REF('containers', 5), caTlsContainerRef: REF('secrets', 6), crlContainerRef: REF('secrets', 7),
      tlsVersions: ['TLSv1.3'], alpnProtocols: ['http/1.1'], ...poolOver,
    }), pool(P2)],
    vipPort: null, memberPorts: [], subnets: [], networks: [], tls,
  };
}

function assertFieldError(fn: () => unknown, field: string): void {
  assert.throws(fn, (e: unknown) => e instanceof FulcrumError && e.code === 'VALIDATION' && e.field === field && !/[\r\n]/.test(e.message));
}

describe('TLS rendering', () => {
  test('tls.cfg matches, and haproxy -c accepts it with the files tlsFiles lists', async () => {
    const text = renderConfig(scene(), GOLDEN);
    const file = join(TESTDATA, 'tls.cfg');
    if (process.env['UPDATE_GOLDEN'] === '1') writeFileSync(file, text);
    assert.equal(text, readFileSync(file, 'utf8'));
    assert.match(text, / ssl crt-list \/run\/fulcrum\/lb\/tls\/8e913f9e-5f06-4be9-a155-179f6a423872\.crt-list ca-file \S+ verify optional crl-file \S+ ciphers \S+ no-sslv3 no-tlsv10 no-tlsv11 alpn h2,http\/1\.1\n/);
    assert.match(text, /http-response set-header Strict-Transport-Security "max-age=31536000; includeSubDomains;"/);
    assert.match(text, / ssl crt \S+\.pem ca-file \S+\.ca\.pem crl-file \S+\.crl\.pem verify required no-sslv3 no-tlsv10 no-tlsv11 no-tlsv12 alpn http\/1\.1$/m);

    const dir = join(tmp, 'lb');
    const paths = { statsSocket: join(dir, 'haproxy.sock'), serverStateFile: join(dir, 'server-state'), tlsDir: join(dir, 'tls') };
    const files = tlsFiles(scene(), paths.tlsDir);
    assert.equal(files.length, 8, files.map((f) => f.path).join(' ')); // 3 certificates, 2 CAs, 2 CRLs, 1 crt-list
    const crtList = files.find((f) => f.path.endsWith('.crt-list'))!;
    assert.equal(crtList.content.split('\n').filter(Boolean).length, 2, 'default certificate first, then the SNI one');
    for (const f of files) {
      mkdirSync(dirname(f.path), { recursive: true });
      writeFileSync(f.path, f.content, { mode: 0o600 });
    }
    writeFileSync(paths.serverStateFile, '1\n');
    const cfg = join(dir, 'haproxy.cfg');
    writeFileSync(cfg, renderConfig(scene(), paths));
    const r = await run(['haproxy', '-c', '-f', cfg], { allowFailure: true });
    assert.equal(r.code, 0, `${r.stdout}${r.stderr}`);
    assert.doesNotMatch(`${r.stdout}${r.stderr}`, /\[(WARNING|ALERT)\]/);
    assert.ok(!readFileSync(cfg, 'utf8').includes('PRIVATE KEY'), 'keys stay out of haproxy.cfg');
  });

  test('values that cannot be made safe name their field; unresolved material is refused, never rendered', () => {
    assertFieldError(() => renderConfig(scene({ tlsCiphers: 'HIGH\n    bind 0.0.0.0:1' }), GOLDEN), 'tls_ciphers');
    assertFieldError(() => renderConfig(scene({ tlsVersions: ['TLSv9'] }), GOLDEN), 'tls_versions');
    assertFieldError(() => renderConfig(scene({ alpnProtocols: ['h3'] }), GOLDEN), 'alpn_protocols');
    assertFieldError(() => renderConfig(scene({ hstsMaxAge: -1 }), GOLDEN), 'hsts_max_age');
    assertFieldError(() => renderConfig(scene({}, { tlsCiphers: 'A B' }), GOLDEN), 'tls_ciphers');
    const { tls: _tls, ...bare } = scene();
    assertFieldError(() => tlsFiles(bare, '/tmp/x'), 'default_tls_container_ref');
    assertFieldError(() => renderConfig(scene(), { statsSocket: GOLDEN.statsSocket, serverStateFile: GOLDEN.serverStateFile }), 'protocol');
  });

  test('PEM checks: a certificate with the wrong key, or a CA that is no certificate, is a 400 naming the field', () => {
    assertFieldError(() => certificateFromPem({ certificate: pki.www.cert, privateKey: pki.other.key }, 'default_tls_container_ref'), 'default_tls_container_ref');
    assertFieldError(() => certificateFromPem({ certificate: 'junk', privateKey: pki.www.key }, 'sni_container_refs'), 'sni_container_refs');
  });
});
