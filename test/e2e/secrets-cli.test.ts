/**
 * @module test/e2e/secrets-cli.test — the certificate store through Debian's real clients against
 * `fulcrum up` (embedded identity, noop provider): `openstack secret store` (a PKCS12 bundle and
 * PEM texts, python3-barbicanclient finding `key-manager` in the catalog), `secret get
 * --payload`, `secret container create --type certificate`, lists, and `openstack loadbalancer
 * listener create --protocol TERMINATED_HTTPS --default-tls-container-ref` with both kinds of
 * reference; another project's reference refused with Octavia's message; the database and the
 * log never hold a payload in clear, and the key file is owner-only.
 * Skipped when the clients are not installed (scripts/install-system-deps.sh --test).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { makePki, type TestPki } from '../helpers/certs.js';
import { until } from '../helpers/scene.js';
import { OPENSTACK, openstack, openstackJson as json, run as runClient, startFulcrumUp, type Env, type FulcrumUp } from '../helpers/openstack-cli.js';

const skip = spawnSync('/usr/bin/python3', ['-c', 'import barbicanclient, octaviaclient'], { stdio: 'ignore', timeout: 30_000 }).status !== 0
  ? 'python3-barbicanclient or python3-octaviaclient not installed (bash scripts/install-system-deps.sh --test)' : false;

let up: FulcrumUp | undefined;
let dataDir = '';
let url = '';
let demo: Env = {};
let admin: Env = {};
let pki: TestPki;

/** `openstack ARGS` with an environment, however it exits. */
const run = (env: Env, args: readonly string[]): ReturnType<typeof runClient> => runClient(OPENSTACK, args, env);

/** Waits until the load balancer is ACTIVE again (the test's own view, through the CLI). */
async function active(env: Env, lbId: string): Promise<void> {
  await until(`load balancer ${lbId} ACTIVE`, async () => {
    const lb = await json<Record<string, string>>(env, 'loadbalancer', 'show', lbId);
    assert.notEqual(lb.provisioning_status, 'ERROR');
    return lb.provisioning_status === 'ACTIVE' ? true : undefined;
  }, 30_000);
}

describe('the certificate store through the real OpenStack clients', { skip }, () => {
  before(async () => {
    pki = await makePki();
    up = await startFulcrumUp({
      name: 'fulcrum-secrets-', args: ['--provider', 'noop', '--interface-driver', 'host', '--log-level', 'debug'],
    });
    ({ dataDir, url, demo, admin } = up);
  });

  after(async () => {
    await up?.stop();
    pki?.cleanup();
  });

  test('openstack secret store / get --payload / container create, then a TERMINATED_HTTPS listener on each kind of reference', async () => {
    assert.equal(statSync(join(dataDir, 'secret.key')).mode & 0o777, 0o600, 'the key file is owner-only');
    const p12 = await json(demo, 'secret', 'store', '--name', 'www-p12', '--payload-content-type', 'application/octet-stream',
      '--payload-content-encoding', 'base64', '--payload', pki.wwwP12.toString('base64'));
    assert.match(p12['Secret href'], new RegExp(`^${url}/key-manager/v1/secrets/[0-9a-f-]{36}$`));
    const cert = await json(demo, 'secret', 'store', '--name', 'other-cert', '--payload-content-type', 'text/plain', '--payload', pki.other.cert);
    const key = await json(demo, 'secret', 'store', '--name', 'other-key', '--payload-content-type', 'text/plain', '--payload', pki.other.key);
    const got = await json(demo, 'secret', 'get', cert['Secret href'], '--payload');
    assert.equal(got.Payload.trim(), pki.other.cert.trim(), 'the payload comes back as stored');
    const container = await json(demo, 'secret', 'container', 'create', '--name', 'other', '--type', 'certificate',
      '--secret', `certificate=${cert['Secret href']}`, '--secret', `private_key=${key['Secret href']}`);
    assert.match(container['Container href'], /\/key-manager\/v1\/containers\/[0-9a-f-]{36}$/);
    const names = (await json<{ Name: string }[]>(demo, 'secret', 'list')).map((s) => s.Name).sort();
    assert.deepEqual(names, ['other-cert', 'other-key', 'www-p12']);
    assert.equal((await json<unknown[]>(demo, 'secret', 'container', 'list')).length, 1);

    const subnet = (await json(demo, 'subnet', 'create', '--network', (await json(demo, 'network', 'create', 'tls-net')).id, '--subnet-range', '10.77.0.0/24', 'tls-subnet')).id;
    const lb = await json(demo, 'loadbalancer', 'create', '--name', 'tls-lb', '--vip-subnet-id', subnet);
    await active(demo, lb.id);
    const l1 = await json(demo, 'loadbalancer', 'listener', 'create', lb.id, '--name', 'https', '--protocol', 'TERMINATED_HTTPS', '--protocol-port', '443',
      '--default-tls-container-ref', p12['Secret href'], '--sni-container-refs', container['Container href']);
    assert.equal(l1.protocol, 'TERMINATED_HTTPS');
    assert.equal(l1.default_tls_container_ref, p12['Secret href']);
    await active(demo, lb.id);
    assert.equal((await json(demo, 'loadbalancer', 'listener', 'show', l1.id)).provisioning_status, 'ACTIVE');

    // admin's project may not use demo's secret for its own load balancer: Octavia's message.
    const adminLb = await json(admin, 'loadbalancer', 'create', '--name', 'admin-lb', '--vip-subnet-id', subnet);
    await active(admin, adminLb.id);
    const refused = await run(admin, ['loadbalancer', 'listener', 'create', '--protocol', 'TERMINATED_HTTPS', '--protocol-port', '443',
      '--default-tls-container-ref', p12['Secret href'], adminLb.id]);
    assert.notEqual(refused.code, 0);
    assert.match(refused.err, new RegExp(`Could not retrieve certificate: ${p12['Secret href']}`));
    // demo cannot read admin's secrets, nor delete them.
    const adminSecret = await json(admin, 'secret', 'store', '--name', 'admin-only', '--payload-content-type', 'text/plain', '--payload', 'x');
    const peek = await run(demo, ['secret', 'get', adminSecret['Secret href']]);
    assert.notEqual(peek.code, 0);
    assert.match(peek.err, /Not Found/);

    // At rest and in the log: no payload in clear.
    // SQLite in WAL mode: recent pages are in the -wal file.
    const db = Buffer.concat(['fulcrum.db', 'fulcrum.db-wal'].filter((f) => existsSync(join(dataDir, f))).map((f) => readFileSync(join(dataDir, f))));
    for (const clear of [pki.other.key, pki.other.cert]) {
      const body = clear.split('\n')[1]!;
      assert.equal(db.includes(body), false, 'a PEM body in the database file');
      assert.equal(up!.output().includes(body), false, 'a PEM body in the log');
    }
    assert.equal(db.includes(pki.wwwP12.toString('base64').slice(0, 40)), false);
  });
});
