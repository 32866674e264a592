/**
 * @module api/network/wire — Neutron's wire shapes of networks, subnets and ports, and which
 * wire names filter and sort.
 */
import type { Network, Port, Subnet } from '../../domain/model.js';
import type { FieldMap } from '../octavia/wire.js';

/** Neutron shows UTC timestamps to the second with a `Z`. */
const ts = (t: string | null): string | null => (t === null ? null : `${t.slice(0, 19)}Z`);

const common: FieldMap = {
  id: ['id', 'str'], name: ['name', 'str'], description: ['description', 'str'],
  project_id: ['projectId', 'str'], tenant_id: ['projectId', 'str'],
  created_at: ['createdAt', 'str'], updated_at: ['updatedAt', 'str'],
};

/** Filterable and sortable fields (`?name=lbaas`, `?network_id=…`, `sort_key=name`). */
export const NET_FIELDS = {
  network: { ...common, admin_state_up: ['adminStateUp', 'bool'], shared: ['shared', 'bool'], mtu: ['mtu', 'int'], status: ['status', 'str'] },
  subnet: {
    ...common, network_id: ['networkId', 'str'], ip_version: ['ipVersion', 'int'], cidr: ['cidr', 'str'],
    gateway_ip: ['gatewayIp', 'str'], enable_dhcp: ['enableDhcp', 'bool'],
  },
  port: {
    ...common, network_id: ['networkId', 'str'], mac_address: ['macAddress', 'str'], device_owner: ['deviceOwner', 'str'],
    device_id: ['deviceId', 'str'], admin_state_up: ['adminStateUp', 'bool'], status: ['status', 'str'],
  },
} as const satisfies Record<string, FieldMap>;

export function networkToWire(n: Network, subnets: readonly string[]): Record<string, unknown> {
  return {
    id: n.id, name: n.name, tenant_id: n.projectId, project_id: n.projectId, admin_state_up: n.adminStateUp,
    mtu: n.mtu, status: n.status, subnets: [...subnets], shared: n.shared, availability_zone_hints: [],
    availability_zones: [], ipv4_address_scope: null, ipv6_address_scope: null, 'router:external': false,
    description: n.description, port_security_enabled: true, tags: n.tags, created_at: ts(n.createdAt),
    updated_at: ts(n.updatedAt ?? n.createdAt), revision_number: 1,
  };
}

export function subnetToWire(s: Subnet): Record<string, unknown> {
  return {
    id: s.id, name: s.name, tenant_id: s.projectId, project_id: s.projectId, network_id: s.networkId,
    ip_version: s.ipVersion, subnetpool_id: null, enable_dhcp: s.enableDhcp, ipv6_ra_mode: null, ipv6_address_mode: null,
    gateway_ip: s.gatewayIp, cidr: s.cidr, allocation_pools: s.allocationPools, host_routes: s.hostRoutes,
    dns_nameservers: s.dnsNameservers, description: s.description, service_types: [], tags: s.tags,
    created_at: ts(s.createdAt), updated_at: ts(s.updatedAt ?? s.createdAt), revision_number: 1,
  };
}

export function portToWire(p: Port): Record<string, unknown> {
  return {
    id: p.id, name: p.name, network_id: p.networkId, tenant_id: p.projectId, project_id: p.projectId,
    mac_address: p.macAddress, admin_state_up: p.adminStateUp, status: p.status, device_id: p.deviceId,
    device_owner: p.deviceOwner, fixed_ips: p.fixedIps.map((f) => ({ subnet_id: f.subnetId, ip_address: f.ipAddress })),
    allowed_address_pairs: [], extra_dhcp_opts: [], security_groups: [], 'binding:vnic_type': 'normal',
    port_security_enabled: true, description: p.description, tags: p.tags, created_at: ts(p.createdAt),
    updated_at: ts(p.updatedAt ?? p.createdAt), revision_number: 1,
  };
}
