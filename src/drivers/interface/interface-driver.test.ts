/** @module drivers/interface/interface-driver.test — portsToPlug: VIP port first, prefixes, gateways and routes from the subnets, MTU from the network. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { NetworkId, PortId, SubnetId } from '../../domain/ids.js';
import type { LoadBalancer, LoadBalancerGraph, Network, Port, Subnet } from '../../domain/model.js';
import { DEFAULT_MTU, portsToPlug } from './interface-driver.js';

const TS = '2026-01-01T00:00:00.000';
const common = { projectId: 'p', description: '', tags: [], createdAt: TS, updatedAt: null };

function network(id: string, mtu: number): Network {
  return { ...common, id: id as NetworkId, name: id, adminStateUp: true, shared: false, mtu, status: 'ACTIVE' };
}

function subnet(id: string, networkId: string, cidr: string, gatewayIp: string | null): Subnet {
  return {
    ...common, id: id as SubnetId, networkId: networkId as NetworkId, name: id, ipVersion: 4, cidr, gatewayIp, allocationPools: [],
    enableDhcp: true, dnsNameservers: [], hostRoutes: gatewayIp === null ? [] : [{ destination: '192.0.2.0/24', nexthop: gatewayIp }],
  };
}

function port(id: string, networkId: string, subnetId: string, ipAddress: string): Port {
  return {
    ...common, id: id as PortId, networkId: networkId as NetworkId, name: id, adminStateUp: true, macAddress: `fa:16:3e:00:00:${id.slice(-2)}`,
    fixedIps: [{ subnetId: subnetId as SubnetId, ipAddress }], deviceOwner: 'Octavia', deviceId: 'lb', status: 'ACTIVE',
  };
}

test('portsToPlug: the VIP port first with its gateway, member ports after; each with its network\'s MTU, 1500 for a network not in the graph', () => {
  const graph: LoadBalancerGraph = {
    loadBalancer: { id: 'lb' } as unknown as LoadBalancer, listeners: [], pools: [], members: [], healthMonitors: [], l7Policies: [], l7Rules: [],
    vipPort: port('vip-01', 'net-a', 'sub-a', '10.0.0.7'),
    memberPorts: [port('mem-02', 'net-b', 'sub-b', '10.1.0.5'), port('mem-03', 'net-c', 'sub-c', '10.2.0.5')],
    subnets: [subnet('sub-a', 'net-a', '10.0.0.0/24', '10.0.0.1'), subnet('sub-b', 'net-b', '10.1.0.0/16', '10.1.0.1'), subnet('sub-c', 'net-c', '10.2.0.0/24', null)],
    networks: [network('net-a', 1450), network('net-b', 9000)],
  };
  const plugs = portsToPlug(graph);
  assert.deepEqual(plugs.map((p) => [p.portId, p.mtu]), [['vip-01', 1450], ['mem-02', 9000], ['mem-03', DEFAULT_MTU]]);
  assert.deepEqual(plugs[0]!.addresses, [{ address: '10.0.0.7', prefixLength: 24 }]);
  assert.deepEqual(plugs[0]!.gateways, ['10.0.0.1'], 'the VIP port has the default route');
  assert.deepEqual(plugs[1]!.gateways, [], 'member ports do not');
  assert.deepEqual(plugs[1]!.addresses, [{ address: '10.1.0.5', prefixLength: 16 }]);
  assert.deepEqual(plugs[1]!.routes, [{ destination: '192.0.2.0/24', nexthop: '10.1.0.1' }]);
});
