/**
 * @module drivers/haproxy/haproxy-provider.test — the provider behind the real API and agent, on the
 * unprivileged host driver (HAProxy on a 127.x address, members on 127.0.0.1): which applies plug
 * ports, and a configuration HAProxy refuses at its first start ending in ERROR with the reason logged.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Agent, type Logger } from '../../agent/agent.js';
import { HostInterfaceDriver } from '../interface/host.js';
import { call, makeTestApi, settled, waitFor, type TestApi } from '../../../test/helpers/fixtures.js';
import { HaproxyProvider } from './haproxy-provider.js';
import { isAlive } from './process.js';

const quiet = { info: () => undefined, warn: () => undefined };
/** What the agent logged at error level (the reason an object went to ERROR). */
const errors: { obj: Record<string, unknown>; msg: string }[] = [];
const log: Logger = { info: () => undefined, warn: () => undefined, error: (obj, msg) => { errors.push({ obj: obj as Record<string, unknown>, msg: msg ?? '' }); } };

let t: TestApi;
let provider: HaproxyProvider;
/** The agent that replaces t's from the first-start refusal test on. */
let agent2: Agent | undefined;
const backends: { port: number; server: Server }[] = [];

/** A web server on 127.0.0.1 that answers `name`. */
async function backend(name: string): Promise<number> {
  const server = createServer((_req, res) => res.end(name));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  backends.push({ port, server });
  return port;
}

/** Live processes whose argv holds a file in `dir`. */
function processesIn(dir: string): number[] {
  return readdirSync('/proc').filter((d) => /^\d+$/.test(d)).map(Number).filter((pid) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').some((a) => a.startsWith(`${dir}/`)) && isAlive(pid);
    } catch {
      return false;
    }
  });
}

async function until<T>(what: string, fn: () => Promise<T | undefined> | T | undefined, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

before(async () => {
  t = await makeTestApi({
    log,
    providers: (dir) => [provider = new HaproxyProvider({ stateDir: join(dir, 'lb'), iface: new HostInterfaceDriver(), log: quiet })],
  });
});

after(async () => {
  await agent2?.stop();
  await t?.close();
  for (const b of backends) b.server.close();
});

/** A load balancer with an HTTP listener and a pool of `members` (no health monitor unless given), as POSTed. */
function lbBody(members: readonly { address: string; protocol_port: number; subnet_id?: string }[], monitor?: Record<string, unknown>): unknown {
  return {
    loadbalancer: {
      vip_subnet_id: t.subnetId, provider: 'haproxy',
      listeners: [{
        protocol: 'HTTP', protocol_port: 20_000 + Math.floor(Math.random() * 20_000),
        default_pool: { name: 'pool', protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN', members, ...(monitor ? { healthmonitor: monitor } : {}) },
      }],
    },
  };
}

test('an apply that changes no port does not plug; a new member subnet, a restarted HAProxy and a new agent process do', async () => {
  const net = (await call(t.app, 'POST', '/v2.0/networks', { network: { name: 'members' } })).body.network;
  const subnet = (await call(t.app, 'POST', '/v2.0/subnets', { subnet: { network_id: net.id, ip_version: 4, cidr: '10.116.20.0/24' } })).body.subnet;
  const r = await call(t.app, 'POST', '/v2/lbaas/loadbalancers', lbBody([{ address: '127.0.0.1', protocol_port: await backend('a') }]));
  assert.equal(r.status, 201, JSON.stringify(r.body));
  const lb = r.body.loadbalancer;
  await waitFor(t.app, `/v2/lbaas/loadbalancers/${lb.id}`, 'loadbalancer', 'ACTIVE');
  assert.deepEqual({ plugs: provider.counters.plugs, starts: provider.counters.starts }, { plugs: 1, starts: 1 });
  const pool = lb.pools[0].id;
  const plugsAfter = async (method: 'POST' | 'PUT', url: string, body: unknown): Promise<number> => {
    const c = await call(t.app, method, url, body);
    assert.ok(c.status < 300, `${method} ${url}: ${c.status} ${JSON.stringify(c.body)}`);
    await settled(t, lb.id);
    return provider.counters.plugs;
  };

  // Same ports: a member without a subnet (runtime API), then a listener change (reload).
  assert.equal(await plugsAfter('POST', `/v2/lbaas/pools/${pool}/members`, { member: { address: '127.0.0.1', protocol_port: await backend('b') } }), 1);
  assert.equal(await plugsAfter('PUT', `/v2/lbaas/listeners/${lb.listeners[0].id}`, { listener: { timeout_client_data: 40_000 } }), 1);
  assert.equal(provider.counters.runtimeChanges, 1);
  assert.equal(provider.counters.reloads, 1);

  // A member on a subnet the load balancer has no port on yet: a new member port to plug.
  assert.equal(await plugsAfter('POST', `/v2/lbaas/pools/${pool}/members`,
    { member: { address: '127.0.0.1', protocol_port: await backend('c'), subnet_id: subnet.id } }), 2);

  // HAProxy killed: the agent hears of it and applies again, which starts HAProxy and plugs first.
  const dir = provider.dirOf(lb.id);
  for (const pid of processesIn(dir)) process.kill(pid, 'SIGKILL');
  await until('HAProxy started again', () => (provider.counters.starts === 2 ? true : undefined));
  assert.equal(provider.counters.plugs, 3);

  // A new agent process (a new provider) plugs on its first apply, adopting the running HAProxy.
  const again = new HaproxyProvider({ stateDir: join(dir, '..'), iface: new HostInterfaceDriver(), log: quiet });
  try {
    await again.apply((await t.store.loadGraph(lb.id))!);
    assert.deepEqual({ plugs: again.counters.plugs, adoptions: again.counters.adoptions, starts: again.counters.starts }, { plugs: 1, adoptions: 1, starts: 0 });
  } finally {
    await again.close();
  }
});

test('a configuration HAProxy refuses at the first start puts the load balancer in ERROR, logs why, and leaves no process', async () => {
  // The API refuses a monitor delay above HAProxy's timer limit (2147483647 ms, ~24.8 days), but a
  // database written by another release could hold one. With the agent stopped, the load balancer
  // is created with a valid monitor whose delay is then raised behind the API's back; a new agent's
  // first apply meets a file HAProxy refuses as it starts, the only check a first start gets.
  await t.agent.stop();
  const monitor = { type: 'HTTP', delay: 5, timeout: 1, max_retries: 1, url_path: '/' };
  const r = await call(t.app, 'POST', '/v2/lbaas/loadbalancers', lbBody([{ address: '127.0.0.1', protocol_port: await backend('d') }], monitor));
  assert.equal(r.status, 201, JSON.stringify(r.body));
  const lb = r.body.loadbalancer;
  const hm = (await t.store.list('healthmonitor')).find((h) => h.poolId === lb.pools[0].id)!;
  await t.store.transaction((tx) => tx.update('healthmonitor', hm.id, { delay: 3_000_000 }));
  agent2 = new Agent({ store: t.store, providers: new Map([[provider.name, provider]]), log });
  await agent2.start();
  await waitFor(t.app, `/v2/lbaas/loadbalancers/${lb.id}`, 'loadbalancer', 'ERROR');
  const logged = errors.find((e) => e.obj.lb === lb.id);
  assert.ok(logged, 'the agent logged the failure');
  assert.match(logged.msg, /ERROR/);
  assert.match(String(logged.obj.detail), /timer overflow/, `HAProxy's reason in the log: ${String(logged.obj.detail)}`);
  // The new agent may try the same generation twice (its start-up resync and the change it hears):
  // each try ends with no process, and nothing is left once they are done.
  await until('no HAProxy left', async () => (processesIn(provider.dirOf(lb.id)).length === 0 ? true : undefined), 10_000);
  await new Promise((r) => setTimeout(r, 500));
  assert.deepEqual(processesIn(provider.dirOf(lb.id)), [], 'no HAProxy left');
});

test('a UDP listener needs a namespace: on the host driver the load balancer goes ERROR with UNSUPPORTED_OPTION logged', async () => {
  const r = await call(t.app, 'POST', '/v2/lbaas/loadbalancers', { loadbalancer: {
    vip_subnet_id: t.subnetId, provider: 'haproxy',
    listeners: [{ protocol: 'UDP', protocol_port: 5353, default_pool: { name: 'udp', protocol: 'UDP', lb_algorithm: 'ROUND_ROBIN', members: [{ address: '127.0.0.1', protocol_port: 5353 }] } }],
  } });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  const lb = r.body.loadbalancer;
  await waitFor(t.app, `/v2/lbaas/loadbalancers/${lb.id}`, 'loadbalancer', 'ERROR');
  const logged = errors.find((e) => e.obj.lb === lb.id);
  assert.ok(logged, 'the agent logged the failure');
  assert.match(JSON.stringify(logged.obj), /UNSUPPORTED_OPTION|netns interface driver/);
});
