/**
 * @module test/e2e/multinode.test — Fulcrum beyond one machine, on one machine: a real
 * PostgreSQL, two `fulcrum server` processes, two `fulcrum agent` processes each on its own node
 * namespace (bridges and VXLAN there), web servers and a client on a third node, and real traffic
 * from the client through each VIP across VXLAN. Node death → its load balancers rebuilt on the
 * other agent and serving again; the node's return → its stale copy removed; drain → moved; an
 * API server killed → the other answers; PostgreSQL restarted → everything reconnects and nothing
 * acknowledged is lost. No timing is asserted (bench/ha measures it); waits are bounded.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Cluster, until } from '../helpers/cluster.js';
import { hasPostgres } from '../helpers/postgres.js';

const skip = process.getuid?.() !== 0 ? 'needs root (namespaces)' : !hasPostgres() ? 'PostgreSQL not installed' : false;

describe('multi-node: two API servers, two agents on node namespaces, VXLAN, PostgreSQL', { skip }, () => {
  const c = new Cluster({ prefix: `m${process.pid % 100000}`, agents: 2, servers: 2, downTime: 3 });
  const octet = 20 + (process.pid % 200);
  let web: { id: string; network_id: string };
  let vipNet: { id: string; network_id: string };
  const lbs: { id: string; vip: string }[] = [];

  before(async () => {
    await c.start();
    vipNet = await c.subnet('lbaas', `10.211.${octet}.0/24`);
    web = await c.subnet('webserver', `10.212.${octet}.0/24`);
    await c.host('web1', web, 'web1');
    await c.host('web2', web, 'web2');
    await c.host('cli', vipNet);
  });
  after(async () => {
    await c.close();
  });

  const create = async (host: number): Promise<{ id: string; vip: string }> => {
    const vip = `10.211.${octet}.${host}`;
    const r = await c.api('POST', '/v2/lbaas/loadbalancers', {
      loadbalancer: {
        name: `lb${host}`, vip_subnet_id: vipNet.id, vip_address: vip,
        listeners: [{
          name: 'l', protocol: 'HTTP', protocol_port: 80,
          default_pool: { name: 'p', protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN', members: [
            { address: `10.212.${octet}.2`, protocol_port: 80, subnet_id: web.id }, { address: `10.212.${octet}.3`, protocol_port: 80, subnet_id: web.id },
          ] },
        }],
      },
    });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    return { id: r.body.loadbalancer.id, vip };
  };
  const status = async (id: string): Promise<string> => (await c.api('GET', `/v2/lbaas/loadbalancers/${id}`)).body.loadbalancer.provisioning_status;
  /** Waits until the VIP answers from the client, and returns a few answers. */
  const serving = async (vip: string): Promise<string[]> => {
    await until(`${vip} answering the client`, async () => ((await c.get('cli', `http://${vip}/`)).startsWith('web') ? true : undefined), 60_000);
    const seen: string[] = [];
    for (let i = 0; i < 4; i++) seen.push(await c.get('cli', `http://${vip}/`, 2));
    return seen;
  };
  const agents = async () => (await c.api('GET', '/v2.0/agents')).body.agents as { id: string; host: string; alive: boolean; admin_state_up: boolean; loadbalancers: string[] }[];

  test('both agents register and are alive; load balancers go to the least loaded and serve across VXLAN', async () => {
    const list = await agents();
    assert.deepEqual(list.map((a) => [a.host, a.alive, a.admin_state_up]), [[c.agentHost(0), true, true], [c.agentHost(1), true, true]]);
    // An API server without an agent would stream no agent's commits: it serves no stream (clients poll).
    assert.equal((await c.api('GET', '/v2/lbaas/events')).status, 404);
    lbs.push(await create(10));
    await until('lb10 ACTIVE', async () => ((await status(lbs[0]!.id)) === 'ACTIVE' ? true : undefined), 60_000);
    lbs.push(await create(11));
    await until('lb11 ACTIVE', async () => ((await status(lbs[1]!.id)) === 'ACTIVE' ? true : undefined), 60_000);
    const where = [await c.placement(lbs[0]!.id), await c.placement(lbs[1]!.id)];
    assert.deepEqual([...where].sort(), [0, 1], 'one on each agent (least loaded)');
    for (const lb of lbs) {
      const seen = await serving(lb.vip);
      assert.deepEqual(new Set(seen), new Set(['web1', 'web2']), 'round robin over both members, across nodes');
    }
    assert.equal(c.namespacesOf(where[0]!).length, 1);
  });

  test('node death: its load balancer is rebuilt on the other agent and serves again; the node returns and drops its stale copy', async () => {
    const lb = lbs[0]!;
    const dead = (await c.placement(lb.id))!;
    const other = 1 - dead;
    await c.killNode(dead);
    await until('the dead agent reported not alive', async () => ((await agents()).find((a) => a.host === c.agentHost(dead))?.alive === false ? true : undefined), 60_000);
    await until('placed on the other agent', async () => ((await c.placement(lb.id)) === other ? true : undefined), 60_000);
    await until('ACTIVE again', async () => ((await status(lb.id)) === 'ACTIVE' ? true : undefined), 60_000);
    assert.deepEqual(new Set(await serving(lb.vip)), new Set(['web1', 'web2']));
    assert.equal(c.namespacesOf(other).length, 2, 'the survivor runs both');
    await c.reviveNode(dead);
    await until('the returned agent alive', async () => ((await agents()).find((a) => a.host === c.agentHost(dead))?.alive === true ? true : undefined), 30_000);
    assert.deepEqual(c.namespacesOf(dead), [], 'its stale copy removed');
    for (const x of lbs) assert.deepEqual(new Set(await serving(x.vip)), new Set(['web1', 'web2']));
  });

  test('drain: an agent an admin disables hands its load balancers to the other', async () => {
    const busy = (await c.placement(lbs[0]!.id))!;
    const id = (await agents()).find((a) => a.host === c.agentHost(busy))!.id;
    const put = await c.api('PUT', `/v2.0/agents/${id}`, { agent: { admin_state_up: false } });
    assert.equal(put.status, 200);
    await until('drained', async () => ((await agents()).find((a) => a.id === id)!.loadbalancers.length === 0 ? true : undefined), 60_000);
    await until('its namespaces gone', async () => (c.namespacesOf(busy).length === 0 ? true : undefined), 60_000);
    for (const x of lbs) {
      await until('ACTIVE', async () => ((await status(x.id)) === 'ACTIVE' ? true : undefined), 60_000);
      assert.deepEqual(new Set(await serving(x.vip)), new Set(['web1', 'web2']));
    }
    assert.equal((await c.api('PUT', `/v2.0/agents/${id}`, { agent: { admin_state_up: true } })).status, 200);
  });

  test('an API server killed: the other keeps answering, and what it accepts is built', async () => {
    await c.killServer(0);
    const list = await c.api('GET', '/v2/lbaas/loadbalancers');
    assert.equal(list.status, 200);
    assert.equal(list.body.loadbalancers.length, 2);
    const lb = await create(12);
    lbs.push(lb);
    await until('lb12 ACTIVE', async () => ((await status(lb.id)) === 'ACTIVE' ? true : undefined), 60_000);
    assert.deepEqual(new Set(await serving(lb.vip)), new Set(['web1', 'web2']));
    await c.startServer(0);
  });

  test('PostgreSQL restart: servers and agents reconnect, nothing acknowledged is lost, new work is built', async () => {
    const before = (await c.api('GET', '/v2/lbaas/loadbalancers')).body.loadbalancers.map((l: { id: string }) => l.id).sort();
    await c.pg.restart();
    await until('the API answering from the database again', async () => ((await c.api('GET', '/v2/lbaas/loadbalancers')).status === 200 ? true : undefined), 60_000);
    const afterIds = (await c.api('GET', '/v2/lbaas/loadbalancers')).body.loadbalancers.map((l: { id: string }) => l.id).sort();
    assert.deepEqual(afterIds, before);
    await until('both agents alive', async () => ((await agents()).every((a) => a.alive) ? true : undefined), 30_000);
    const lb = await create(13);
    lbs.push(lb);
    await until('lb13 ACTIVE (agents heard of it after the restart)', async () => ((await status(lb.id)) === 'ACTIVE' ? true : undefined), 60_000);
    for (const x of lbs) assert.deepEqual(new Set(await serving(x.vip)), new Set(['web1', 'web2']));
    // Nothing was moved by the outage: every load balancer still has exactly one agent.
    const placed = (await agents()).flatMap((a) => a.loadbalancers).sort();
    assert.deepEqual(placed, lbs.map((x) => x.id).sort());
  });
});
