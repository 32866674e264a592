/**
 * @module api/octavia/config.test — `GET /v2/lbaas/loadbalancers/{id}/config` (Fulcrum's own, for
 * the dashboard's admin view): an admin reads exactly the haproxy.cfg the real HAProxy provider
 * wrote (host interface driver, unprivileged); a member of the owning project gets 403 in Octavia's
 * body; a noop load balancer is CONFIG_NOT_RENDERED; an unknown id is 404. `fulcrum loadbalancer
 * config` prints the same text, or the API's message.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { makeTestApi, type TestApi } from '../../../test/helpers/fixtures.js';
import { HaproxyProvider } from '../../drivers/haproxy/haproxy-provider.js';
import { HostInterfaceDriver } from '../../drivers/interface/host.js';
import { PASSWORDS } from '../../identity/fixtures.js';
import { runCli } from '../../cli/main.js';

const quiet = { info: () => undefined, warn: () => undefined };
let t: TestApi;
let provider: HaproxyProvider;
let admin: string;
let demo: string;

async function login(user: 'admin' | 'demo'): Promise<string> {
  const r = await t.app.inject({
    method: 'POST', url: '/v3/auth/tokens',
    payload: { auth: { identity: { methods: ['password'], password: { user: { name: user, domain: { id: 'default' }, password: PASSWORDS[user] } } }, scope: { project: { name: user, domain: { id: 'default' } } } } },
  });
  assert.equal(r.statusCode, 201, r.body);
  return r.headers['x-subject-token'] as string;
}

async function as(token: string, method: 'GET' | 'POST', url: string, payload?: object): Promise<{ status: number; body: any }> {
  const r = await t.app.inject({ method, url, headers: { 'x-auth-token': token }, ...(payload ? { payload } : {}) });
  return { status: r.statusCode, body: r.body === '' ? null : r.json() };
}

before(async () => {
  t = await makeTestApi({
    identity: true,
    providers: (dir) => [provider = new HaproxyProvider({ stateDir: join(dir, 'lb'), iface: new HostInterfaceDriver(), log: quiet })],
  });
  admin = await login('admin');
  demo = await login('demo');
});
after(() => t?.close());

/** Demo's own network and subnet, and a load balancer of `provider` on it with one HTTP listener; waits until ACTIVE. */
async function demoLoadBalancer(kind: 'haproxy' | 'haproxy-cli' | 'noop'): Promise<string> {
  const providerName = kind === 'noop' ? 'noop' : 'haproxy';
  const net = await as(demo, 'POST', '/v2.0/networks', { network: { name: `n-${kind}` } });
  assert.equal(net.status, 201, JSON.stringify(net.body));
  const cidr = { haproxy: '10.117.1.0/24', 'haproxy-cli': '10.117.3.0/24', noop: '10.117.2.0/24' }[kind];
  const subnet = await as(demo, 'POST', '/v2.0/subnets', { subnet: { network_id: net.body.network.id, ip_version: 4, cidr } });
  assert.equal(subnet.status, 201, JSON.stringify(subnet.body));
  const r = await as(demo, 'POST', '/v2/lbaas/loadbalancers', {
    loadbalancer: {
      vip_subnet_id: subnet.body.subnet.id, provider: providerName,
      listeners: [{ protocol: 'HTTP', protocol_port: 20_000 + Math.floor(Math.random() * 20_000) }],
    },
  });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  const id = r.body.loadbalancer.id as string;
  const deadline = Date.now() + 10_000;
  while ((await as(demo, 'GET', `/v2/lbaas/loadbalancers/${id}`)).body.loadbalancer.provisioning_status !== 'ACTIVE') {
    if (Date.now() > deadline) throw new Error(`${id} never ACTIVE`);
    await new Promise((res) => setTimeout(res, 20));
  }
  return id;
}

test("an admin reads the provider's haproxy.cfg as written; the owning project's member gets 403", async () => {
  const id = await demoLoadBalancer('haproxy');
  const r = await as(admin, 'GET', `/v2/lbaas/loadbalancers/${id}/config`);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  const onDisk = readFileSync(join(provider.dirOf(id), 'haproxy.cfg'), 'utf8');
  assert.equal(r.body.config.text, onDisk);
  assert.match(onDisk, /^frontend /m);
  assert.deepEqual(
    { loadbalancer_id: r.body.config.loadbalancer_id, provider: r.body.config.provider, name: r.body.config.name },
    { loadbalancer_id: id, provider: 'haproxy', name: 'haproxy.cfg' },
  );
  assert.ok(!Number.isNaN(Date.parse(r.body.config.written_at)), r.body.config.written_at);
  // The same under Octavia's other prefix.
  assert.equal((await as(admin, 'GET', `/v2.0/lbaas/loadbalancers/${id}/config`)).body.config.text, onDisk);

  for (const url of [`/v2/lbaas/loadbalancers/${id}/config`, `/v2.0/lbaas/loadbalancers/${id}/config`]) {
    const refused = await as(demo, 'GET', url);
    assert.equal(refused.status, 403, url);
    assert.deepEqual(refused.body, { faultcode: 'Client', faultstring: 'Policy does not allow this request to be performed.', debuginfo: null });
  }
  // The member still reads the load balancer itself.
  assert.equal((await as(demo, 'GET', `/v2/lbaas/loadbalancers/${id}`)).status, 200);
});

test('a load balancer whose provider renders nothing is CONFIG_NOT_RENDERED (404); an unknown id is 404', async () => {
  const id = await demoLoadBalancer('noop');
  const r = await as(admin, 'GET', `/v2/lbaas/loadbalancers/${id}/config`);
  assert.equal(r.status, 404);
  assert.equal(r.body.faultstring, `Load balancer ${id} has no rendered configuration here (provider noop).`);
  const unknown = await as(admin, 'GET', '/v2/lbaas/loadbalancers/4a3b2c1d-0000-4000-8000-000000000000/config');
  assert.equal(unknown.status, 404);
  assert.match(unknown.body.faultstring, /not found/);
});

test('fulcrum loadbalancer config prints the haproxy.cfg to an admin, and the API\'s 403 to a member', async () => {
  const id = await demoLoadBalancer('haproxy-cli');
  const url = await t.app.listen({ host: '127.0.0.1', port: 0 });
  const cli = async (token: string): Promise<{ code: number; out: string; err: string }> => {
    let out = '';
    let err = '';
    const code = await runCli(['loadbalancer', 'config', id], {
      stdout: { write: (s: string) => (out += s) }, stderr: { write: (s: string) => (err += s) },
      env: { FULCRUM_URL: url, OS_TOKEN: token },
    });
    return { code, out, err };
  };
  const ok = await cli(admin);
  assert.equal(ok.code, 0, ok.err);
  assert.equal(ok.out, readFileSync(join(provider.dirOf(id), 'haproxy.cfg'), 'utf8'));
  const refused = await cli(demo);
  assert.equal(refused.code, 1);
  assert.equal(refused.out, '');
  assert.match(refused.err, /Policy does not allow this request to be performed/);
});
