/**
 * @module test/e2e/haproxy.test — the seed's scene for real: two web servers in their own
 * namespaces on network `webserver`, a load balancer on network `lbaas` with a listener on :80,
 * a round-robin pool and an HTTP health monitor, HAProxy in `qlbaas-<id>`, and requests sent from
 * a client namespace that has no route off this machine.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Agent } from '../../src/agent/agent.js';
import { after, before, test } from 'node:test';
import { HaproxyProvider } from '../../src/drivers/haproxy/haproxy-provider.js';
import { RuntimeApi } from '../../src/drivers/haproxy/runtime-api.js';
import { createHost, curlFrom, deleteHost, serveHttp } from '../../src/drivers/interface/hosts.js';
import { NetnsInterfaceDriver } from '../../src/drivers/interface/netns.js';
import { netnsExists } from '../../src/drivers/sys/ip.js';
import { call, makeTestApi, settled, waitFor, type TestApi } from '../helpers/fixtures.js';

const run = randomUUID().slice(0, 6);
const octet = 100 + Math.floor(Math.random() * 150);
const lbNet = `10.201.${octet}`;
const webNet = `10.202.${octet}`;
const ns = { client: `fx${run}-cli`, web1: `fx${run}-web1`, web2: `fx${run}-web2`, web3: `fx${run}-web3` };

let t: TestApi;
let provider: HaproxyProvider;
let lbSubnet: { id: string; network_id: string };
let webSubnet: { id: string; network_id: string };
const web: Record<string, string> = {};
const specs = new Map<string, Parameters<typeof createHost>[0]>();

async function network(name: string, cidr: string): Promise<{ id: string; network_id: string }> {
  const n = (await call(t.app, 'POST', '/v2.0/networks', { network: { name } })).body.network;
  return (await call(t.app, 'POST', '/v2.0/subnets', { subnet: { network_id: n.id, ip_version: 4, cidr, name: `${name}-subnet` } })).body.subnet;
}

/** A stand-in VM: a port allocated on the subnet, a namespace plugged into the network's bridge. */
async function host(name: string, subnet: { id: string; network_id: string }, text?: string, gateway = true): Promise<string> {
  const port = (await call(t.app, 'POST', '/v2.0/ports', { port: { network_id: subnet.network_id, name, device_owner: 'compute:fulcrum-test' } })).body.port;
  const address = port.fixed_ips[0].ip_address as string;
  const spec = {
    namespace: name, networkId: subnet.network_id, portId: port.id, macAddress: port.mac_address, address, prefixLength: 24,
    ...(gateway ? { gateway: address.replace(/\.\d+$/, '.1') } : {}),
  };
  specs.set(name, spec);
  await createHost(spec);
  if (text) await serveHttp(name, address, 80, text);
  return address;
}

before(async () => {
  t = await makeTestApi({
    providers: (dir) => {
      provider = new HaproxyProvider({ stateDir: join(dir, 'lb'), iface: new NetnsInterfaceDriver(), log: { info: () => undefined, warn: () => undefined } });
      return [provider];
    },
  });
  lbSubnet = await network('lbaas', `${lbNet}.0/24`);
  webSubnet = await network('webserver', `${webNet}.0/24`);
  web.web1 = await host(ns.web1, webSubnet, 'web1');
  web.web2 = await host(ns.web2, webSubnet, 'web2');
  await host(ns.client, lbSubnet, undefined, false);
});

let agent2: Agent | undefined;
const quiet = { info: () => undefined, warn: () => undefined };

after(async () => {
  await agent2?.stop();
  await t?.close();
  for (const n of Object.values(ns)) await deleteHost(n);
});

async function get(url: string): Promise<string> {
  return (await curlFrom(ns.client, url, 2)).trim();
}

async function until<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

let lb: { id: string; vip_address: string; listeners: { id: string }[]; pools: { id: string; members: { id: string }[] }[] };
const vipUrl = () => `http://${lb.vip_address}/`;

test('the seed\'s scene: a fully-populated create serves round-robin through the VIP from a client namespace', async () => {
  const r = await call(t.app, 'POST', '/v2/lbaas/loadbalancers', {
    loadbalancer: {
      name: 'lb1', vip_subnet_id: lbSubnet.id, vip_address: `${lbNet}.7`, provider: 'haproxy',
      listeners: [{
        name: 'listener1', protocol: 'HTTP', protocol_port: 80,
        default_pool: {
          name: 'pool1', protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN',
          healthmonitor: { type: 'HTTP', delay: 1, timeout: 1, max_retries: 2, max_retries_down: 2, url_path: '/' },
          members: [
            { address: web.web1, protocol_port: 80, subnet_id: webSubnet.id },
            { address: web.web2, protocol_port: 80, subnet_id: webSubnet.id },
          ],
        },
      }],
    },
  });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  lb = r.body.loadbalancer;
  await waitFor(t.app, `/v2/lbaas/loadbalancers/${lb.id}`, 'loadbalancer', 'ACTIVE', 10_000);
  assert.ok(netnsExists(`qlbaas-${lb.id}`));
  const cfg = readFileSync(join(provider.dirOf(lb.id), 'haproxy.cfg'), 'utf8');
  assert.match(cfg, new RegExp(`frontend ${lb.listeners[0]!.id}`));
  assert.match(cfg, new RegExp(`bind ${lbNet.replace(/\./g, '\\.')}\\.7:80`));
  const seen = [];
  for (let i = 0; i < 6; i++) seen.push(await until('a 200 through the VIP', () => get(vipUrl()), 5000));
  assert.deepEqual(new Set(seen), new Set(['web1', 'web2']));
  for (let i = 1; i < seen.length; i++) assert.notEqual(seen[i], seen[i - 1], `round robin alternates: ${seen.join(' ')}`);
  // Health checks bring the members ONLINE and the tree with them.
  await until('members ONLINE', async () => {
    const s = (await call(t.app, 'GET', `/v2/lbaas/loadbalancers/${lb.id}/status`)).body.statuses.loadbalancer;
    return s.operating_status === 'ONLINE' && s.listeners[0].pools[0].members.every((m: { operating_status: string }) => m.operating_status === 'ONLINE') ? s : undefined;
  }, 5000);
});

test('a member added goes through the runtime API: same worker, serving at once', async () => {
  const api = new RuntimeApi(join(provider.dirOf(lb.id), 'stats.sock'));
  const pidBefore = (await api.showInfo()).Pid;
  const reloads = provider.counters.reloads;
  web.web3 = await host(ns.web3, webSubnet, 'web3');
  const pool = lb.pools[0]!.id;
  const m = await call(t.app, 'POST', `/v2/lbaas/pools/${pool}/members`, { member: { address: web.web3, protocol_port: 80, subnet_id: webSubnet.id } });
  assert.equal(m.status, 201);
  await settled(t, lb.id);
  assert.equal((await api.showInfo()).Pid, pidBefore, 'the worker kept its PID');
  assert.equal(provider.counters.reloads, reloads, 'no reload');
  const seen = new Set<string>();
  for (let i = 0; i < 9; i++) seen.add(await get(vipUrl()));
  assert.ok(seen.has('web3'), `web3 serves: ${[...seen].join(' ')}`);
});

test('a member whose server dies goes ERROR and the load balancer DEGRADED, then ONLINE when it returns', async () => {
  const before = Date.now();
  await deleteHost(ns.web2);
  const status = async () => (await call(t.app, 'GET', `/v2/lbaas/loadbalancers/${lb.id}/status`)).body.statuses.loadbalancer;
  const s = await until('web2 ERROR', async () => {
    const st = await status();
    const m = st.listeners[0].pools[0].members.find((x: { address: string }) => x.address === web.web2);
    return m.operating_status === 'ERROR' ? st : undefined;
  }, 1000 * 2 + 1000 + 2000);
  const took = Date.now() - before;
  assert.equal(s.listeners[0].pools[0].operating_status, 'DEGRADED');
  assert.equal(s.operating_status, 'DEGRADED');
  process.stdout.write(`# member ERROR after ${took} ms (delay 1 s × max_retries_down 2)\n`);
  for (let i = 0; i < 6; i++) assert.notEqual(await get(vipUrl()), '', 'the others keep serving');
  await createHost(specs.get(ns.web2)!); // the same VM, back with the same port and address
  await serveHttp(ns.web2, web.web2!, 80, 'web2');
  await until('web2 ONLINE again', async () => ((await status()).operating_status === 'ONLINE' ? true : undefined), 6000);
});

test('an agent restart adopts the running HAProxy: same PIDs, no start, still serving', async () => {
  const pidFile = join(provider.dirOf(lb.id), 'haproxy.pid');
  const master = readFileSync(pidFile, 'utf8').trim();
  const worker = (await new RuntimeApi(join(provider.dirOf(lb.id), 'stats.sock')).showInfo()).Pid;
  await t.agent.stop();
  const fresh = new HaproxyProvider({ stateDir: dirname(provider.dirOf(lb.id)), iface: new NetnsInterfaceDriver(), log: quiet });
  agent2 = new Agent({ store: t.store, providers: new Map([[fresh.name, fresh]]), log: { ...quiet, error: () => undefined } });
  await agent2.start();
  await agent2.idle();
  assert.deepEqual(fresh.counters, { starts: 0, adoptions: 1, reloads: 0, runtimeChanges: 0 });
  assert.equal(readFileSync(pidFile, 'utf8').trim(), master);
  assert.equal((await new RuntimeApi(join(provider.dirOf(lb.id), 'stats.sock')).showInfo()).Pid, worker);
  assert.notEqual(await get(vipUrl()), '');
  provider = fresh;
});

test('kill -9 of HAProxy: the agent notices and serves again', async () => {
  const dir = provider.dirOf(lb.id);
  const master = Number(readFileSync(join(dir, 'haproxy.pid'), 'utf8').trim());
  const worker = Number((await new RuntimeApi(join(dir, 'stats.sock')).showInfo()).Pid);
  const killed = Date.now();
  process.kill(master, 'SIGKILL');
  process.kill(worker, 'SIGKILL');
  await until('serving again', async () => ((await get(vipUrl())) !== '' ? true : undefined), 10_000);
  process.stdout.write(`# serving again ${Date.now() - killed} ms after kill -9 of master and worker\n`);
  assert.notEqual(readFileSync(join(dir, 'haproxy.pid'), 'utf8').trim(), String(master));
});

test('deleting the load balancer leaves no namespace, process or file', async () => {
  const dir = provider.dirOf(lb.id);
  assert.equal((await call(t.app, 'DELETE', `/v2/lbaas/loadbalancers/${lb.id}?cascade=true`)).status, 204);
  await waitFor(t.app, `/v2/lbaas/loadbalancers/${lb.id}`, 'loadbalancer', 'DELETED', 10_000);
  assert.ok(!netnsExists(`qlbaas-${lb.id}`));
  assert.ok(!existsSync(dir));
  assert.deepEqual(await provider.running(), []);
});
