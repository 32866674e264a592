/** @module test/helpers/active-standby — an ACTIVE_STANDBY pair added to a renderer test's graph. */
import type { NetworkId, PortId, SubnetId } from '../../src/domain/ids.js';
import type { LoadBalancerGraph, Port, Subnet } from '../../src/domain/model.js';

/**
 * An ACTIVE_STANDBY pair for a graph whose VIP is on 10.115.54.0/24 (the renderers' golden
 * scenes): MASTER at .21, BACKUP at .22, seen from side `self`. Adds the VIP subnet to the graph.
 */
export function withActiveStandby(graph: LoadBalancerGraph, self: 'MASTER' | 'BACKUP'): LoadBalancerGraph {
  const subnetId = 'b8a3c2d1-0000-4000-8000-0000000000a1' as SubnetId;
  const networkId = 'b8a3c2d1-0000-4000-8000-0000000000a2' as NetworkId;
  const port = (id: string, address: string, mac: string): Port => ({
    id: id as PortId, networkId, projectId: 'p', name: `octavia-lb-vrrp-${id}`, description: '', adminStateUp: true, macAddress: mac,
    fixedIps: [{ subnetId, ipAddress: address }], deviceOwner: 'Octavia:vrrp', deviceId: graph.loadBalancer.id, status: 'ACTIVE',
    tags: [], createdAt: '2024-01-01T00:00:00', updatedAt: null,
  });
  const master = { amphoraId: 'b8a3c2d1-0000-4000-8000-0000000000b1', role: 'MASTER' as const, address: '10.115.54.21', port: port('b8a3c2d1-0000-4000-8000-0000000000c1', '10.115.54.21', 'fa:16:3e:00:00:21') };
  const backup = { amphoraId: 'b8a3c2d1-0000-4000-8000-0000000000b2', role: 'BACKUP' as const, address: '10.115.54.22', port: port('b8a3c2d1-0000-4000-8000-0000000000c2', '10.115.54.22', 'fa:16:3e:00:00:22') };
  const subnet: Subnet = {
    id: subnetId, networkId, projectId: 'p', name: 'vip', description: '', ipVersion: 4, cidr: '10.115.54.0/24', gatewayIp: '10.115.54.1',
    allocationPools: [{ start: '10.115.54.2', end: '10.115.54.254' }], enableDhcp: false, dnsNameservers: [], hostRoutes: [], tags: [],
    createdAt: '2024-01-01T00:00:00', updatedAt: null,
  } as Subnet;
  return {
    ...graph, loadBalancer: { ...graph.loadBalancer, vipSubnetId: subnetId }, subnets: [...graph.subnets, subnet],
    amphoraId: self === 'MASTER' ? master.amphoraId : backup.amphoraId,
    activeStandby: self === 'MASTER' ? { self: master, peer: backup } : { self: backup, peer: master },
  };
}
