/**
 * @module drivers/interface/vxlan.test — a network spanning two nodes: each node is a namespace
 * with its own bridges (test/helpers/nodes), the load balancers' ports are plugged by two netns
 * drivers (one per node, as two agents would), and an HTTP answer crosses the VXLAN between them.
 * Then unplugging leaves neither bridge nor `vxlan-<VNI>` device behind.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, test } from 'node:test';
import { makeNodes, namespacesWith } from '../../../test/helpers/nodes.js';
import { run } from '../sys/exec.js';
import { killNamespaceProcesses } from '../sys/ip.js';
import { curlFrom, serveHttp } from './hosts.js';
import type { PortPlug } from './interface-driver.js';
import { bridgeOf, NetnsInterfaceDriver, vxlanOf } from './netns.js';

const prefix = `fvx${process.pid % 100000}`;
let cleanup: (() => Promise<void>) | undefined;

after(async () => {
  for (const ns of namespacesWith(`${prefix}`)) {
    if (ns.includes('-')) {
      await killNamespaceProcesses(ns);
      await run(['ip', 'netns', 'del', ns], { allowFailure: true });
    }
  }
  await cleanup?.();
});

async function linkNames(netns: string): Promise<string[]> {
  const { stdout } = await run(['ip', '-n', netns, '-j', 'link', 'show']);
  return (JSON.parse(stdout) as { ifname: string }[]).map((l) => l.ifname);
}

test('a network spans two nodes over VXLAN: a load balancer namespace on node 1 reaches one on node 2; unplug leaves nothing', async () => {
  const { nodes, remove } = await makeNodes(prefix, 2);
  cleanup = remove;
  const [n1, n2] = nodes as [typeof nodes[0], typeof nodes[0]];
  const d1 = new NetnsInterfaceDriver({ namespacePrefix: `${prefix}a-`, ...n1.bridge });
  const d2 = new NetnsInterfaceDriver({ namespacePrefix: `${prefix}b-`, ...n2.bridge });
  const networkId = randomUUID();
  const vni = 4000 + (process.pid % 1000);
  const port = (address: string, mac: string): PortPlug => ({
    portId: randomUUID(), networkId, macAddress: mac, mtu: 1500, segmentationId: vni,
    addresses: [{ address, prefixLength: 24 }], gateways: [], routes: [],
  });
  const lb1 = randomUUID();
  const lb2 = randomUUID();
  await d1.plug(lb1, [port('10.77.3.10', 'fa:16:3e:77:03:10')]);
  await d2.plug(lb2, [port('10.77.3.20', 'fa:16:3e:77:03:20')]);
  for (const n of [n1, n2]) {
    const names = await linkNames(n.netns);
    assert.ok(names.includes(bridgeOf(networkId)), `${n.netns} has the network's bridge`);
    assert.ok(names.includes(vxlanOf(vni)), `${n.netns} has vxlan-${vni}`);
  }
  assert.ok(!(await run(['ip', '-j', 'link', 'show', bridgeOf(networkId)], { allowFailure: true })).stdout.includes('ifname'), 'no bridge in the root namespace');
  await serveHttp(d2.namespaceOf(lb2), '10.77.3.20', 8080, 'node2');
  assert.equal((await curlFrom(d1.namespaceOf(lb1), 'http://10.77.3.20:8080/', 5)).trim(), 'node2');

  await d1.unplug(lb1);
  await d2.unplug(lb2);
  for (const n of [n1, n2]) {
    const names = await linkNames(n.netns);
    assert.deepEqual(names.filter((x) => x.startsWith('brq') || x.startsWith('vxlan-') || x.startsWith('tap')), [], `${n.netns} is clean`);
  }
  assert.deepEqual(await d1.plugged(), []);
});
