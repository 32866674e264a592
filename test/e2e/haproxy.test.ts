/**
 * @module test/e2e/haproxy.test — the seed's scene for real: two web servers in their own
 * namespaces on network `webserver`, a load balancer on network `lbaas` with a listener on :80,
 * a round-robin pool and an HTTP health monitor, HAProxy in `qlbaas-<id>`, and requests sent from
 * a client namespace that has no route off this machine.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Agent } from '../../src/agent/agent.js';
import { after, before, test } from 'node:test';
import { HaproxyProvider } from '../../src/drivers/haproxy/haproxy-provider.js';
import { isAlive } from '../../src/drivers/haproxy/process.js';
import { RuntimeApi } from '../../src/drivers/haproxy/runtime-api.js';
import { NetnsInterfaceDriver } from '../../src/drivers/interface/netns.js';
import { netnsExists } from '../../src/drivers/sys/ip.js';
import { call, settled, waitFor, type TestApi } from '../helpers/fixtures.js';
import { makeScene, seedLoadBalancer, until, type Scene } from '../helpers/scene.js';

let s: Scene;
let t: TestApi;
const web: Record<string, string> = {};

before(async () => {
  s = await makeScene();
  t = s.t;
  web.web1 = await s.web('web1');
  web.web2 = await s.web('web2');
});

let agent2: Agent | undefined;
const quiet = { info: () => undefined, warn: () => undefined };

after(async () => {
  await agent2?.stop();
  await s?.close();
});

const get = (url: string): Promise<string> => s.get(url);

let lb: { id: string; vip_address: string; listeners: { id: string }[]; pools: { id: string; members: { id: string }[] }[] };
const vipUrl = () => `http://${lb.vip_address}/`;

test('the seed\'s scene: a fully-populated create serves round-robin through the VIP from a client namespace', async () => {
  const r = await call(t.app, 'POST', '/v2/lbaas/loadbalancers', seedLoadBalancer(s, [web.web1!, web.web2!]));
  assert.equal(r.status, 201, JSON.stringify(r.body));
  lb = r.body.loadbalancer;
  await waitFor(t.app, `/v2/lbaas/loadbalancers/${lb.id}`, 'loadbalancer', 'ACTIVE', 10_000);
  assert.ok(netnsExists(`qlbaas-${lb.id}`));
  const cfg = readFileSync(join(s.provider.dirOf(lb.id), 'haproxy.cfg'), 'utf8');
  assert.match(cfg, new RegExp(`frontend ${lb.listeners[0]!.id}`));
  assert.match(cfg, new RegExp(`bind ${s.lbNet.replace(/\./g, '\\.')}\\.7:80`));
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
  const api = new RuntimeApi(join(s.provider.dirOf(lb.id), 'stats.sock'));
  const pidBefore = (await api.showInfo()).Pid;
  const { reloads, plugs } = s.provider.counters;
  web.web3 = await s.web('web3');
  const pool = lb.pools[0]!.id;
  const m = await call(t.app, 'POST', `/v2/lbaas/pools/${pool}/members`, { member: { address: web.web3, protocol_port: 80, subnet_id: s.webSubnet.id } });
  assert.equal(m.status, 201);
  await settled(t, lb.id);
  assert.equal((await api.showInfo()).Pid, pidBefore, 'the worker kept its PID');
  assert.equal(s.provider.counters.reloads, reloads, 'no reload');
  assert.equal(s.provider.counters.plugs, plugs, 'a member on a subnet already plugged: the ports are not plugged again');
  const seen = new Set<string>();
  for (let i = 0; i < 9; i++) seen.add(await get(vipUrl()));
  assert.ok(seen.has('web3'), `web3 serves: ${[...seen].join(' ')}`);
});

test('a member whose web server is killed goes ERROR and the load balancer DEGRADED, then ONLINE when it returns', async () => {
  const before = Date.now();
  await s.kill('web2');
  const status = async () => (await call(t.app, 'GET', `/v2/lbaas/loadbalancers/${lb.id}/status`)).body.statuses.loadbalancer;
  const st = await until('web2 ERROR', async () => {
    const st = await status();
    const m = st.listeners[0].pools[0].members.find((x: { address: string }) => x.address === web.web2);
    return m.operating_status === 'ERROR' ? st : undefined;
  }, 1000 * 2 + 1000); // within delay × max_retries_down + 1 s, as the issue asks
  const took = Date.now() - before;
  assert.equal(st.listeners[0].pools[0].operating_status, 'DEGRADED');
  assert.equal(st.operating_status, 'DEGRADED');
  process.stdout.write(`# member ERROR after ${took} ms (delay 1 s × max_retries_down 2)\n`);
  for (let i = 0; i < 6; i++) assert.notEqual(await get(vipUrl()), '', 'the others keep serving');
  await s.revive('web2');
  await until('web2 ONLINE again', async () => ((await status()).operating_status === 'ONLINE' ? true : undefined), 6000);
});

test('an agent restart adopts the running HAProxy: same PIDs, no start, still serving', async () => {
  const pidFile = join(s.provider.dirOf(lb.id), 'haproxy.pid');
  const master = readFileSync(pidFile, 'utf8').trim();
  const worker = (await new RuntimeApi(join(s.provider.dirOf(lb.id), 'stats.sock')).showInfo()).Pid;
  await t.agent.stop();
  const fresh = new HaproxyProvider({ stateDir: dirname(s.provider.dirOf(lb.id)), iface: new NetnsInterfaceDriver(), log: quiet });
  agent2 = new Agent({ store: t.store, providers: new Map([[fresh.name, fresh]]), log: { ...quiet, error: () => undefined } });
  await agent2.start();
  await agent2.idle();
  // The new process plugs (checks) the ports once even though nothing changed: it cannot know what the old one did.
  assert.deepEqual(fresh.counters, { plugs: 1, starts: 0, adoptions: 1, reloads: 0, runtimeChanges: 0 });
  assert.equal(readFileSync(pidFile, 'utf8').trim(), master);
  assert.equal((await new RuntimeApi(join(s.provider.dirOf(lb.id), 'stats.sock')).showInfo()).Pid, worker);
  assert.notEqual(await get(vipUrl()), '');
  s.provider = fresh;
});

test('kill -9 of HAProxy: the agent notices and serves again', async () => {
  const dir = s.provider.dirOf(lb.id);
  const master = Number(readFileSync(join(dir, 'haproxy.pid'), 'utf8').trim());
  const worker = Number((await new RuntimeApi(join(dir, 'stats.sock')).showInfo()).Pid);
  const killed = Date.now();
  process.kill(master, 'SIGKILL');
  process.kill(worker, 'SIGKILL');
  // The bound is 1 s: bench/dataplane measures it (phase `restart`). Here, on a machine
  // that may be busy, the test proves that the agent starts it again, and prints how long it took.
  await until('serving again', async () => ((await get(vipUrl())) !== '' ? true : undefined), 10_000);
  process.stdout.write(`# serving again ${Date.now() - killed} ms after kill -9 of master and worker\n`);
  assert.notEqual(readFileSync(join(dir, 'haproxy.pid'), 'utf8').trim(), String(master));
});

test('an agent restart removes what belongs to no load balancer: HAProxy, namespace and files', async () => {
  const r = await call(t.app, 'POST', '/v2/lbaas/loadbalancers', { loadbalancer: { name: 'stray', vip_subnet_id: s.lbSubnet.id, provider: 'haproxy' } });
  assert.equal(r.status, 201);
  const stray = r.body.loadbalancer.id as string;
  await waitFor(t.app, `/v2/lbaas/loadbalancers/${stray}`, 'loadbalancer', 'ACTIVE', 10_000);
  const dir = s.provider.dirOf(stray);
  const master = Number(readFileSync(join(dir, 'haproxy.pid'), 'utf8').trim());
  await agent2!.stop();
  // The load balancer vanishes from the store while no agent runs (restored from a backup, say).
  await t.store.transaction((tx) => tx.remove('loadbalancer', stray));
  const fresh = new HaproxyProvider({ stateDir: dirname(dir), iface: new NetnsInterfaceDriver(), log: quiet });
  agent2 = new Agent({ store: t.store, providers: new Map([[fresh.name, fresh]]), log: { ...quiet, error: () => undefined } });
  await agent2.start();
  await agent2.idle();
  s.provider = fresh;
  assert.ok(!netnsExists(`qlbaas-${stray}`), 'namespace removed');
  assert.ok(!existsSync(dir), 'files removed');
  assert.ok(!isAlive(master), 'HAProxy stopped');
  assert.deepEqual(await fresh.running(), [lb.id], 'the real load balancer is untouched');
  assert.notEqual(await get(vipUrl()), '');
});

test('deleting the load balancer leaves no namespace, process or file', async () => {
  const dir = s.provider.dirOf(lb.id);
  assert.equal((await call(t.app, 'DELETE', `/v2/lbaas/loadbalancers/${lb.id}?cascade=true`)).status, 204);
  await waitFor(t.app, `/v2/lbaas/loadbalancers/${lb.id}`, 'loadbalancer', 'DELETED', 10_000);
  assert.ok(!netnsExists(`qlbaas-${lb.id}`));
  assert.ok(!existsSync(dir));
  assert.deepEqual(await s.provider.running(), []);
});
