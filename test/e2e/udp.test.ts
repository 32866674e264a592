/**
 * @module test/e2e/udp.test — UDP listeners served by nftables in the load balancer's namespace,
 * beside an HTTP listener served by HAProxy on the same load balancer: datagrams from a client
 * namespace alternate between the members (each from a new source port: a new flow); a killed
 * member goes ERROR through the UDP-CONNECT monitor and stops receiving, comes back ONLINE; the
 * nft counters reach the listener's stats; a disabled listener stops forwarding; deleting the load
 * balancer removes everything.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { askUdp, serveUdp } from '../../src/drivers/interface/hosts.js';
import { run } from '../../src/drivers/sys/exec.js';
import { netnsExists } from '../../src/drivers/sys/ip.js';
import { call, settled, waitFor } from '../helpers/fixtures.js';
import { makeScene, until, type Scene } from '../helpers/scene.js';

const UDP_PORT = 5353;
let s: Scene;
const web: Record<string, string> = {};
let lb: { id: string; vip_address: string; listeners: { id: string; protocol: string }[]; pools: { id: string; protocol: string; members: { id: string; address: string }[] }[] };

before(async () => {
  s = await makeScene();
  for (const name of ['web1', 'web2']) {
    web[name] = await s.web(name);
    await serveUdp(s.ns(name), web[name]!, UDP_PORT, name);
  }
  const members = (port: number) => ['web1', 'web2'].map((n) => ({ address: web[n], protocol_port: port, subnet_id: s.webSubnet.id }));
  const r = await call(s.t.app, 'POST', '/v2/lbaas/loadbalancers', { loadbalancer: {
    name: 'lb-udp', vip_subnet_id: s.lbSubnet.id, vip_address: `${s.lbNet}.13`, provider: 'haproxy',
    listeners: [
      { name: 'http', protocol: 'HTTP', protocol_port: 80, default_pool: { name: 'web', protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN', members: members(80) } },
      { name: 'dns', protocol: 'UDP', protocol_port: UDP_PORT, default_pool: {
        name: 'dns', protocol: 'UDP', lb_algorithm: 'ROUND_ROBIN', members: members(UDP_PORT),
        healthmonitor: { type: 'UDP-CONNECT', delay: 3, timeout: 1, max_retries: 1, max_retries_down: 1 },
      } },
    ],
  } });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  lb = r.body.loadbalancer;
  await waitFor(s.t.app, `/v2/lbaas/loadbalancers/${lb.id}`, 'loadbalancer', 'ACTIVE', 10_000);
});

after(async () => {
  await s?.close();
});

const udpListener = () => lb.listeners.find((l) => l.protocol === 'UDP')!;
const udpPool = () => lb.pools.find((p) => p.protocol === 'UDP')!;
const ask = (n: number) => askUdp(s.client, lb.vip_address, UDP_PORT, n, 1000);
const memberStatus = async (name: string): Promise<string> => {
  const m = udpPool().members.find((x) => x.address === web[name])!;
  return (await call(s.t.app, 'GET', `/v2/lbaas/pools/${udpPool().id}/members/${m.id}`)).body.member.operating_status;
};
const tree = async () => (await call(s.t.app, 'GET', `/v2/lbaas/loadbalancers/${lb.id}/status`)).body.statuses.loadbalancer;

test('datagrams alternate between the UDP members; the HTTP listener of the same load balancer serves through HAProxy', async () => {
  await until('UDP members ONLINE', async () => ((await memberStatus('web1')) === 'ONLINE' && (await memberStatus('web2')) === 'ONLINE' ? true : undefined), 10_000);
  const answers = await ask(8);
  assert.ok(answers.every((a) => a === 'web1' || a === 'web2'), `every datagram answered: ${JSON.stringify(answers)}`);
  for (let i = 1; i < answers.length; i++) assert.notEqual(answers[i], answers[i - 1], `round robin alternates: ${JSON.stringify(answers)}`);
  const http = new Set([await s.get(`http://${lb.vip_address}/`), await s.get(`http://${lb.vip_address}/`)]);
  assert.deepEqual([...http].sort(), ['web1', 'web2']);
  const st = await tree();
  assert.equal(st.operating_status, 'ONLINE');
  assert.deepEqual(st.listeners.map((l: { operating_status: string }) => l.operating_status), ['ONLINE', 'ONLINE']);
});

test('a killed UDP member goes ERROR (UDP-CONNECT: port unreachable) and stops receiving; back ONLINE when it returns', async () => {
  await s.kill('web2');
  await until('web2 ERROR', async () => ((await memberStatus('web2')) === 'ERROR' ? true : undefined), 10_000);
  const st = await tree();
  assert.equal(st.operating_status, 'DEGRADED', 'the load balancer rolls up the UDP pool');
  const udp = st.listeners.find((l: { id: string }) => l.id === udpListener().id);
  assert.equal(udp.operating_status, 'DEGRADED');
  assert.equal(udp.pools[0].operating_status, 'DEGRADED');
  assert.deepEqual(await ask(4), ['web1', 'web1', 'web1', 'web1'], 'only web1 receives');

  await s.revive('web2');
  await serveUdp(s.ns('web2'), web.web2!, UDP_PORT, 'web2');
  await until('web2 ONLINE', async () => ((await memberStatus('web2')) === 'ONLINE' ? true : undefined), 10_000);
  const answers = await ask(4);
  assert.deepEqual([...new Set(answers)].sort(), ['web1', 'web2'], `both receive again: ${JSON.stringify(answers)}`);
  assert.equal((await tree()).operating_status, 'ONLINE');
});

test('the UDP listener\'s stats come from the nft counters', async () => {
  const stats = await until('UDP stats recorded', async () => {
    const st = (await call(s.t.app, 'GET', `/v2/lbaas/listeners/${udpListener().id}/stats`)).body.stats;
    return st.total_connections >= 16 ? st : undefined;
  }, 15_000);
  assert.ok(stats.bytes_in >= 16 * 4 && stats.bytes_out >= 16 * 5, JSON.stringify(stats));
});

test('a disabled UDP listener forwards nothing; deleting the load balancer removes its namespace and rules', async () => {
  assert.equal((await call(s.t.app, 'PUT', `/v2/lbaas/listeners/${udpListener().id}`, { listener: { admin_state_up: false } })).status, 200);
  await settled(s.t, lb.id);
  assert.deepEqual(await ask(2), [null, null]);
  const ns = `qlbaas-${lb.id}`;
  const rules = await run(['ip', 'netns', 'exec', ns, 'nft', 'list', 'table', 'ip', 'fulcrum_udp']);
  assert.doesNotMatch(rules.stdout, /dnat/, 'no forwarding rule left for it');
  assert.equal((await call(s.t.app, 'DELETE', `/v2/lbaas/loadbalancers/${lb.id}?cascade=true`)).status, 204);
  await waitFor(s.t.app, `/v2/lbaas/loadbalancers/${lb.id}`, 'loadbalancer', 'DELETED', 10_000);
  await until('namespace gone', async () => (netnsExists(ns) ? undefined : true), 5000);
});
