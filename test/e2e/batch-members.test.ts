/**
 * @module test/e2e/batch-members.test — a batch member update (`PUT /pools/{id}/members`) under
 * continuous load through the VIP, from a client namespace: one batch that updates, adds and
 * deletes members goes through HAProxy's runtime API in one change, with 0 failed requests and
 * the same worker; an additive batch leaves the members it does not name alone.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { RuntimeApi } from '../../src/drivers/haproxy/runtime-api.js';
import { startLoad } from '../../src/drivers/interface/hosts.js';
import { call, settled, waitFor } from '../helpers/fixtures.js';
import { makeScene, seedLoadBalancer, until, type Scene } from '../helpers/scene.js';

let s: Scene;
const web: Record<string, string> = {};
let lb: { id: string; vip_address: string; pools: { id: string; members: { id: string; address: string }[] }[] };

before(async () => {
  s = await makeScene();
  for (const name of ['web1', 'web2', 'web3', 'web4']) web[name] = await s.web(name);
  const r = await call(s.t.app, 'POST', '/v2/lbaas/loadbalancers', seedLoadBalancer(s, [web.web1!, web.web2!], { vipHost: 11 }));
  assert.equal(r.status, 201, JSON.stringify(r.body));
  lb = r.body.loadbalancer;
  await waitFor(s.t.app, `/v2/lbaas/loadbalancers/${lb.id}`, 'loadbalancer', 'ACTIVE', 10_000);
  await until('members ONLINE', async () => {
    const st = (await call(s.t.app, 'GET', `/v2/lbaas/loadbalancers/${lb.id}/status`)).body.statuses.loadbalancer;
    return st.operating_status === 'ONLINE' ? true : undefined;
  }, 5000);
});

after(async () => {
  await s?.close();
});

const vip = (): string => `http://${lb.vip_address}/`;
const pool = (): string => lb.pools[0]!.id;
const runtime = (): RuntimeApi => new RuntimeApi(join(s.provider.dirOf(lb.id), 'stats.sock'));
const member = (name: string, extra: Record<string, unknown> = {}) => ({ address: web[name], protocol_port: 80, subnet_id: s.webSubnet.id, ...extra });

/** HAProxy's servers of the pool now, as address → weight. */
async function servers(): Promise<Map<string, number>> {
  return new Map((await runtime().showServersState(pool())).map((r) => [r.address, r.weight]));
}

test('one batch updates web1, adds web3 and web4 and deletes web2 under load: 0 failed requests, same worker, no reload', async () => {
  const pid = (await runtime().showInfo()).Pid;
  const reloads = s.provider.counters.reloads;
  const runtimeChanges = s.provider.counters.runtimeChanges;
  const loads = [
    await startLoad(s.client, vip(), { mode: 'close', concurrency: 4, maxMs: 60_000 }),
    await startLoad(s.client, vip(), { mode: 'keepalive', concurrency: 4, maxMs: 60_000 }),
  ];
  let stopped: Awaited<ReturnType<(typeof loads)[number]['stop']>>[] = [];
  try {
    await until('both members serve', async () => (new Set([await s.get(vip()), await s.get(vip()), await s.get(vip())]).size === 2 ? true : undefined), 20_000);
    const r = await call(s.t.app, 'PUT', `/v2/lbaas/pools/${pool()}/members`, {
      members: [member('web1', { weight: 3 }), member('web3'), member('web4', { weight: 2 })],
    });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    await settled(s.t, lb.id);
    assert.deepEqual(Object.fromEntries(await servers()), { [web.web1!]: 3, [web.web3!]: 1, [web.web4!]: 2 }, 'HAProxy has exactly the batch once ACTIVE');
    // The new members serve once their first health checks passed (delay 1 s): then the load reaches them.
    await until('all members ONLINE (health checked)', async () => {
      const ms = (await call(s.t.app, 'GET', `/v2/lbaas/pools/${pool()}/members`)).body.members as { operating_status: string }[];
      return ms.length === 3 && ms.every((m) => m.operating_status === 'ONLINE') ? true : undefined;
    }, 20_000);
    const counted = new Set<string>();
    await until('web3 and web4 answer through the VIP', async () => {
      counted.add(await s.get(vip()));
      return counted.has('web3') && counted.has('web4') ? true : undefined;
    }, 20_000);
  } finally {
    stopped = await Promise.all(loads.map((l) => l.stop()));
  }
  const [close, keepalive] = stopped;
  process.stdout.write(`# new connections: ${close!.requests} requests, ${close!.failed} failed; keep-alive: ${keepalive!.requests} requests, ${keepalive!.failed} failed; `
    + `reloads ${s.provider.counters.reloads - reloads}, runtime changes ${s.provider.counters.runtimeChanges - runtimeChanges}\n`);
  assert.equal(close!.failed, 0, `new-connection failures: ${JSON.stringify(close!.errors)}`);
  assert.equal(keepalive!.failed, 0, `keep-alive failures: ${JSON.stringify(keepalive!.errors)}`);
  assert.equal(keepalive!.retried, 0, 'no keep-alive connection was closed under a request: nothing reloaded');
  assert.ok(close!.requests > 50 && keepalive!.requests > 50, 'the loads really ran');
  for (const name of ['web3', 'web4']) {
    assert.ok((close!.bodies[name] ?? 0) + (keepalive!.bodies[name] ?? 0) > 0, `${name}, added by the batch, took load traffic`);
  }
  const why = s.providerLog.join('\n');
  assert.equal((await runtime().showInfo()).Pid, pid, `the worker kept its PID; the provider said:\n${why}`);
  assert.equal(s.provider.counters.reloads, reloads, `no reload; the provider said:\n${why}`);
  assert.equal(s.provider.counters.runtimeChanges, runtimeChanges + 1, 'the whole batch was one runtime change');

  const members = (await call(s.t.app, 'GET', `/v2/lbaas/pools/${pool()}/members`)).body.members as { address: string; provisioning_status: string; operating_status: string }[];
  assert.deepEqual(members.map((m) => m.address).sort(), [web.web1, web.web3, web.web4].sort());
});

test('additive_only=true adds web2 back and leaves the others as they are', async () => {
  const pid = (await runtime().showInfo()).Pid;
  const r = await call(s.t.app, 'PUT', `/v2/lbaas/pools/${pool()}/members?additive_only=true`, { members: [member('web2')] });
  assert.equal(r.status, 202);
  await settled(s.t, lb.id);
  assert.deepEqual(Object.fromEntries(await servers()), { [web.web1!]: 3, [web.web2!]: 1, [web.web3!]: 1, [web.web4!]: 2 });
  await until('web2 serves', async () => ((await s.get(vip())) === 'web2' ? true : undefined), 20_000);
  assert.equal((await runtime().showInfo()).Pid, pid);
});
