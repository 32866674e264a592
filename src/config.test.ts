/** @module config.test — `fulcrum up`'s settings: defaults, flags over environment, refusals naming the setting. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ConfigError, loadConfig, type Config } from './config.js';

const load = (argv: string[], env: NodeJS.ProcessEnv = {}): Config => loadConfig(argv, env) as Config;

test('defaults: embedded identity, SQLite in the data dir, netns, the public URL from the listen address', () => {
  const c = load(['--data-dir', '/tmp/x']);
  assert.equal(c.auth, 'embedded');
  assert.deepEqual(c.database, { kind: 'sqlite', file: '/tmp/x/fulcrum.db', synchronous: 'normal' });
  assert.equal(c.interfaceDriver, 'netns');
  assert.equal(c.publicUrl, 'http://127.0.0.1:9876');
  assert.equal(c.region, 'RegionOne');
  assert.equal(c.tokenTtlSeconds, 3600);
  assert.equal(c.keystone, null);
  assert.equal(c.metricsListen, null);
  assert.equal(c.l7Retries, 'off');
  assert.equal(load([], { FULCRUM_L7_RETRIES: 'idempotent' }).l7Retries, 'idempotent');
  assert.deepEqual(load(['--metrics-listen', '0.0.0.0:9100']).metricsListen, { host: '0.0.0.0', port: 9100 });
  assert.deepEqual(load([], { FULCRUM_METRICS_LISTEN: '[::1]:9101' }).metricsListen, { host: '::1', port: 9101 });
  assert.equal(load(['--listen', '[::1]:80']).publicUrl, 'http://[::1]:80');
  assert.equal(load([], { FULCRUM_PUBLIC_URL: 'https://lb.example.com/' }).publicUrl, 'https://lb.example.com');
  assert.equal(load(['--auth', 'noauth'], { FULCRUM_AUTH: 'keystone' }).auth, 'noauth', 'a flag wins over the environment');
});

test('refusals name the setting', () => {
  for (const [argv, env, re] of [
    [['--auth', 'ldap'], {}, /--auth must be one of embedded, keystone, noauth|--auth must be one of noauth, embedded, keystone/],
    [['--listen', 'nowhere'], {}, /--listen/],
    [['--metrics-listen', '9100'], {}, /--metrics-listen/],
    [['--token-ttl', '0'], {}, /--token-ttl/],
    [['--l7-retries', 'all'], {}, /--l7-retries must be one of off, idempotent/],
    [['--public-url', 'ftp://x'], {}, /--public-url/],
    [['--auth', 'keystone'], {}, /--keystone-url/],
    [['--auth', 'keystone', '--keystone-url', 'http://ks:5000'], {}, /service password/],
  ] as const) {
    assert.throws(() => load([...argv], { ...env }), (err: unknown) => err instanceof ConfigError && re.test(err.message), argv.join(' '));
  }
});

test('--auth keystone: the password from a file (never argv) or the environment', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fulcrum-config-'));
  try {
    writeFileSync(join(dir, 'pw'), 's3cret\n');
    const c = load(['--auth', 'keystone', '--keystone-url', 'http://ks:5000/', '--keystone-password-file', join(dir, 'pw'), '--token-cache', '30']);
    assert.deepEqual(c.keystone, {
      url: 'http://ks:5000', username: 'fulcrum', password: 's3cret', projectName: 'service',
      userDomainName: 'Default', projectDomainName: 'Default', cacheSeconds: 30,
    });
    const e = load(['--auth', 'keystone'], { FULCRUM_KEYSTONE_URL: 'http://ks:5000', FULCRUM_KEYSTONE_PASSWORD: 'pw2', FULCRUM_KEYSTONE_USER: 'lb' });
    assert.equal(e.keystone?.password, 'pw2');
    assert.equal(e.keystone?.username, 'lb');
    assert.throws(() => load(['--auth', 'keystone', '--keystone-url', 'http://ks', '--keystone-password-file', join(dir, 'missing')]), /--keystone-password-file/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('several nodes: agent name, down time, failover threshold, VNI range and VXLAN endpoint, each refused naming its setting', () => {
  const c = load(['--host', 'net-1', '--agent-down-time', '5', '--failover-threshold', '3', '--vni-range', '100:200'], {});
  assert.equal(c.host, 'net-1');
  assert.equal(c.agentDownMs, 5000);
  assert.equal(c.failoverThreshold, 3);
  assert.deepEqual(c.vniRange, [100, 200]);
  assert.equal(c.vxlan, null);
  assert.equal(c.bridgeNetns, null);
  assert.equal(c.namespacePrefix, 'qlbaas-');
  const d = load([]);
  assert.equal(d.agentDownMs, 10_000, 'default down time ≤ 10 s');
  assert.equal(d.heartbeatMs, 1000);
  const v = load(['--vxlan-local-ip', '192.0.2.11', '--vxlan-dev', 'eth1'], { FULCRUM_BRIDGE_NETNS: 'node1', FULCRUM_NAMESPACE_PREFIX: 'n1-' });
  assert.deepEqual(v.vxlan, { localIp: '192.0.2.11', dev: 'eth1', group: '239.1.1.1' });
  assert.equal(v.bridgeNetns, 'node1');
  assert.equal(v.namespacePrefix, 'n1-');
  assert.throws(() => load(['--host', 'a b']), /--host/);
  assert.throws(() => load(['--vni-range', '5:1']), /--vni-range/);
  assert.throws(() => load(['--vni-range', '1:16777216']), /--vni-range/);
  assert.throws(() => load(['--failover-threshold', '0']), /--failover-threshold/);
  assert.throws(() => load(['--vxlan-local-ip', '192.0.2.11']), /--vxlan-dev/);
  assert.throws(() => load(['--vxlan-local-ip', '192.0.2.11', '--vxlan-dev', 'eth1', '--vxlan-group', '10.0.0.1']), /--vxlan-group/);
  assert.throws(() => load(['--namespace-prefix', 'a/b']), /--namespace-prefix/);
});

test('--sqlite-synchronous: normal by default, full on request (flag or FULCRUM_SQLITE_SYNCHRONOUS), nothing else', () => {
  assert.deepEqual(load(['--data-dir', '/tmp/x', '--sqlite-synchronous', 'full']).database, { kind: 'sqlite', file: '/tmp/x/fulcrum.db', synchronous: 'full' });
  assert.deepEqual(load(['--data-dir', '/tmp/x'], { FULCRUM_SQLITE_SYNCHRONOUS: 'full' }).database, { kind: 'sqlite', file: '/tmp/x/fulcrum.db', synchronous: 'full' });
  assert.throws(() => load(['--sqlite-synchronous', 'off']), /--sqlite-synchronous must be one of normal, full/);
});
