/**
 * @module lab/demo — `fulcrum demo`: the seed's scene on this machine, step by step with the
 * time each took: networks `lbaas` (10.115.54.0/24) and `webserver` (10.93.48.0/24), web servers
 * web1 and web2, `lb1` with VIP 10.115.54.7, `listener1` HTTP:80, `pool1` ROUND_ROBIN and two
 * members; then requests from a client namespace alternate web1/web2. `--down` removes it all.
 */
import { join } from 'node:path';
import { run } from '../drivers/sys/exec.js';
import { curlFrom } from '../drivers/interface/hosts.js';
import { api, findByName, waitForApi, waitForLoadBalancer, type Endpoint } from './api-client.js';
import { createStandIn, deleteStandIn } from './hosts-command.js';

const SCENE = {
  networks: [
    { name: 'lbaas', subnet: 'lbaas-subnet', cidr: '10.115.54.0/24' },
    { name: 'webserver', subnet: 'webserver-subnet', cidr: '10.93.48.0/24' },
  ],
  hosts: [{ name: 'web1', address: '10.93.48.2' }, { name: 'web2', address: '10.93.48.3' }],
  client: 'demo-client',
  vip: '10.115.54.7',
};

async function ensureNetwork(ep: Endpoint, n: (typeof SCENE.networks)[number]): Promise<string> {
  const net = (await findByName(ep, '/v2.0/networks', 'networks', n.name)) ?? (await api(ep, 'POST', '/v2.0/networks', { network: { name: n.name } })).network;
  const subnet = (await findByName(ep, '/v2.0/subnets', 'subnets', n.subnet))
    ?? (await api(ep, 'POST', '/v2.0/subnets', { subnet: { network_id: net.id, name: n.subnet, ip_version: 4, cidr: n.cidr } })).subnet;
  return subnet.id;
}

/** Builds the scene and shows traffic alternating. */
export async function demoUp(ep: Endpoint, dataDir: string, out: NodeJS.WritableStream): Promise<number> {
  await waitForApi(ep);
  const t0 = Date.now();
  const step = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
    const s = Date.now();
    const v = await fn();
    out.write(`  ${what.padEnd(58)} ${String(Date.now() - s).padStart(5)} ms\n`);
    return v;
  };
  out.write('Building the seed\'s scene:\n');
  const [lbaasSubnet, webSubnet] = [await step('networks lbaas / webserver and their subnets', () => ensureNetwork(ep, SCENE.networks[0]!)), await ensureNetwork(ep, SCENE.networks[1]!)];
  for (const h of SCENE.hosts) {
    await step(`host ${h.name} (${h.address}) answering '${h.name}'`, () => createStandIn(ep, h.name, webSubnet!, { serveHttp: h.name, address: h.address }));
  }
  let lb = await findByName(ep, '/v2/lbaas/loadbalancers', 'loadbalancers', 'lb1');
  if (!lb) {
    lb = await step(`loadbalancer lb1 (VIP ${SCENE.vip}) → ACTIVE`, async () => {
      const created = (await api(ep, 'POST', '/v2/lbaas/loadbalancers', { loadbalancer: { name: 'lb1', vip_subnet_id: lbaasSubnet, vip_address: SCENE.vip } })).loadbalancer;
      await waitForLoadBalancer(ep, created.id, 'ACTIVE');
      return created;
    });
    const listener = await step('listener1 HTTP:80 → ACTIVE', async () => {
      const l = (await api(ep, 'POST', '/v2/lbaas/listeners', { listener: { name: 'listener1', loadbalancer_id: lb.id, protocol: 'HTTP', protocol_port: 80 } })).listener;
      await waitForLoadBalancer(ep, lb.id, 'ACTIVE');
      return l;
    });
    const pool = await step('pool1 ROUND_ROBIN → ACTIVE', async () => {
      const p = (await api(ep, 'POST', '/v2/lbaas/pools', { pool: { name: 'pool1', listener_id: listener.id, protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN' } })).pool;
      await waitForLoadBalancer(ep, lb.id, 'ACTIVE');
      return p;
    });
    for (const h of SCENE.hosts) {
      await step(`member ${h.address}:80 (subnet webserver-subnet) → ACTIVE`, async () => {
        await api(ep, 'POST', `/v2/lbaas/pools/${pool.id}/members`, { member: { address: h.address, protocol_port: 80, subnet_id: webSubnet } });
        await waitForLoadBalancer(ep, lb.id, 'ACTIVE');
      });
    }
  }
  await step(`client namespace ${SCENE.client} on lbaas-subnet (no route out)`, () => createStandIn(ep, SCENE.client, lbaasSubnet!, { gateway: false }));
  out.write(`\nSix requests to http://${SCENE.vip}/ from ${SCENE.client}:\n`);
  for (let i = 0; i < 6; i++) out.write(`  ${(await curlFrom(SCENE.client, `http://${SCENE.vip}/`)).trim()}\n`);
  const ns = `qlbaas-${lb.id}`;
  out.write(`\n# ip netns list | grep qlbaas\n${(await run(['ip', 'netns', 'list'])).stdout.split('\n').filter((l) => l.startsWith('qlbaas-')).join('\n')}\n`);
  out.write(`\n# ip netns exec ${ns} ip -br addr\n${(await run(['ip', 'netns', 'exec', ns, 'ip', '-br', 'addr'])).stdout}`);
  out.write(`\nHAProxy configuration: ${dataDir}/lb/${lb.id}/haproxy.cfg\n`);
  out.write(`Scene ready in ${Date.now() - t0} ms. Remove it with: fulcrum demo --down\n`);
  out.write(equivalentCommands(join(dataDir, 'demo-openrc')));
  return 0;
}

/** lb1 again with the OpenStack clients, on the scene's networks and web servers, to paste after sourcing the openrc. */
export function equivalentCommands(openrc: string): string {
  const [lbaas, web] = SCENE.networks;
  const neutron = [
    `neutron lbaas-loadbalancer-create --name lb1 ${lbaas!.subnet}`,
    'neutron lbaas-listener-create --loadbalancer lb1 --protocol HTTP --protocol-port 80 --name listener1',
    'neutron lbaas-pool-create --lb-algorithm ROUND_ROBIN --listener listener1 --protocol HTTP --name pool1',
    ...SCENE.hosts.map((h) => `neutron lbaas-member-create --subnet ${web!.subnet} --address ${h.address} --protocol-port 80 pool1`),
    'neutron lbaas-loadbalancer-status lb1',
  ];
  const openstack = [
    `openstack loadbalancer create --name lb1 --vip-subnet-id ${lbaas!.subnet} --vip-address ${SCENE.vip} --wait`,
    'openstack loadbalancer listener create --name listener1 --protocol HTTP --protocol-port 80 lb1 --wait',
    'openstack loadbalancer pool create --name pool1 --lb-algorithm ROUND_ROBIN --listener listener1 --protocol HTTP --wait',
    ...SCENE.hosts.map((h) => `openstack loadbalancer member create --subnet-id ${web!.subnet} --address ${h.address} --protocol-port 80 pool1 --wait`),
    'openstack loadbalancer status show lb1',
  ];
  const block = (lines: string[]): string => lines.map((l) => `  ${l}\n`).join('');
  return `\nlb1 again with the OpenStack clients, on this scene's networks and web servers:\n` +
    `  source ${openrc}\n  openstack loadbalancer delete --cascade lb1 --wait\n` +
    `then either Neutron LBaaS v2 as in the seed (the load balancer must be ACTIVE before each next command):\n${block(neutron)}` +
    `or Octavia (--wait follows each change):\n${block(openstack)}`;
}

/** Removes the scene. */
export async function demoDown(ep: Endpoint, out: NodeJS.WritableStream): Promise<number> {
  await waitForApi(ep);
  const lb = await findByName(ep, '/v2/lbaas/loadbalancers', 'loadbalancers', 'lb1');
  if (lb) {
    await api(ep, 'DELETE', `/v2/lbaas/loadbalancers/${lb.id}?cascade=true`);
    await waitForLoadBalancer(ep, lb.id, 'DELETED');
    out.write('lb1 deleted\n');
  }
  for (const h of [...SCENE.hosts.map((x) => x.name), SCENE.client]) await deleteStandIn(ep, h);
  for (const n of SCENE.networks) {
    const net = await findByName(ep, '/v2.0/networks', 'networks', n.name);
    if (net) await api(ep, 'DELETE', `/v2.0/networks/${net.id}`);
  }
  out.write('demo scene removed\n');
  return 0;
}
