/**
 * @module drivers/interface/netns.test — the netns driver on the real kernel: namespace, bridge
 * and veth names as Neutron's, VIP reachable from a client namespace on the same network,
 * idempotent re-plug, address changes, and nothing left after unplug.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { after, test } from 'node:test';
import { linkExists, linksIn, netnsExists } from '../sys/ip.js';
import { createHost, curlFrom, deleteHost, serveHttp } from './hosts.js';
import { bridgeOf, namespaceOf, NetnsInterfaceDriver, tapOf } from './netns.js';
import type { PortPlug } from './interface-driver.js';

const driver = new NetnsInterfaceDriver();
const lbId = randomUUID();
const networkId = randomUUID();
const client = `fx-cli-${randomUUID().slice(0, 8)}`;
const third = 10 + Math.floor(Math.random() * 200);
const net = (host: number) => `10.199.${third}.${host}`;

const vipPortId = randomUUID();
const vipPort = (address: string): PortPlug => ({
  portId: vipPortId, networkId, macAddress: 'fa:16:3e:00:00:07', mtu: 1500,
  addresses: [{ address, prefixLength: 24 }], gateways: [net(1)], routes: [],
});
const port = vipPort(net(7));

after(async () => {
  await driver.unplug(lbId);
  await deleteHost(client);
});

test('plug makes qlbaas-<id> with tap<port> on brq<network>, and the VIP answers a client namespace', async () => {
  const r = await driver.plug(lbId, [port]);
  assert.deepEqual(r.wrap, ['ip', 'netns', 'exec', namespaceOf(lbId)]);
  assert.equal(r.bindAddress, net(7));
  assert.ok(netnsExists(`qlbaas-${lbId}`));
  assert.ok(linkExists(bridgeOf(networkId)) && bridgeOf(networkId) === `brq${networkId.slice(0, 11)}`);
  assert.ok(linkExists(tapOf(port.portId)), 'the bridge-side end of the veth pair');
  const links = await linksIn(namespaceOf(lbId));
  const tap = links.find((l) => l.name === tapOf(port.portId));
  assert.ok(tap?.up);
  assert.equal(tap.mac, 'fa:16:3e:00:00:07');
  assert.deepEqual(tap.addresses.map((a) => `${a.address}/${a.prefixLength}`), [`${net(7)}/24`]);

  await createHost({ namespace: client, networkId, portId: randomUUID(), macAddress: 'fa:16:3e:00:00:32', address: net(50), prefixLength: 24 });
  await serveHttp(namespaceOf(lbId), net(7), 8080, 'vip');
  let body = '';
  for (let i = 0; i < 50 && body === ''; i++) {
    body = await curlFrom(client, `http://${net(7)}:8080/`).catch(() => '');
    if (body === '') await new Promise((res) => setTimeout(res, 50));
  }
  assert.equal(body, 'vip\n');
});

test('plugging the same ports again changes nothing; a new VIP address replaces the old one', async () => {
  const before = await linksIn(namespaceOf(lbId));
  await driver.plug(lbId, [port]);
  assert.deepEqual(await linksIn(namespaceOf(lbId)), before);
  assert.deepEqual(await driver.plugged().then((ids) => ids.includes(lbId)), true);
  await driver.plug(lbId, [vipPort(net(8))]);
  const after = (await linksIn(namespaceOf(lbId))).find((l) => l.name === tapOf(port.portId));
  assert.deepEqual(after?.addresses.map((a) => a.address), [net(8)]);
});

test('the port takes its network\'s MTU on both ends of its veth pair', async () => {
  const mtuOf = async (): Promise<{ inside: number | undefined; root: number }> => ({
    inside: (await linksIn(namespaceOf(lbId))).find((l) => l.name === tapOf(port.portId))?.mtu,
    root: Number(readFileSync(`/sys/class/net/${tapOf(port.portId)}/mtu`, 'utf8')),
  });
  await driver.plug(lbId, [{ ...vipPort(net(8)), mtu: 1400 }]);
  assert.deepEqual(await mtuOf(), { inside: 1400, root: 1400 });
  await driver.plug(lbId, [vipPort(net(8))]);
  assert.deepEqual(await mtuOf(), { inside: 1500, root: 1500 });
});

test('unplug removes namespace and links; the bridge goes with its last port', async () => {
  await driver.unplug(lbId);
  assert.ok(!netnsExists(namespaceOf(lbId)));
  assert.ok(!linkExists(tapOf(port.portId)));
  assert.ok(linkExists(bridgeOf(networkId)), 'the client still hangs on the bridge');
  assert.ok(!(await driver.plugged()).includes(lbId));
  await driver.unplug(lbId); // idempotent
  await deleteHost(client);
  assert.ok(!netnsExists(client));
  assert.ok(!linkExists(bridgeOf(networkId)));
});
