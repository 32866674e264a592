/**
 * @module store/tables — how each domain object maps to a table row. Row shapes stay
 * private to the store; everything else sees domain objects.
 */
import type { ObjectByKind, Network, Port, Subnet } from '../domain/model.js';
import type { Amphora, AvailabilityZone, AvailabilityZoneProfile, Flavor, FlavorProfile, Quota } from '../domain/operator.js';

/** How a column is encoded: booleans as 0/1 and structured values as JSON text in both dialects. */
export type ColumnKind = 'text' | 'int' | 'bool' | 'json';

/** One table: its name and, for each domain field, the column and its encoding. */
export interface TableSpec<T> {
  table: string;
  columns: { readonly [K in keyof T & string]?: readonly [column: string, kind: ColumnKind] };
}

/** All kinds the store keeps in tables. */
export interface StoredByKind extends ObjectByKind {
  network: Network;
  subnet: Subnet;
  port: Port;
  quota: Quota;
  /** One row, id 'default': the quota defaults in force (written from the configuration at start). */
  quotadefaults: Quota;
  flavorprofile: FlavorProfile;
  flavor: Flavor;
  azprofile: AvailabilityZoneProfile;
  availabilityzone: AvailabilityZone;
  amphora: Amphora;
}
export type StoredKind = keyof StoredByKind;

const base = {
  projectId: ['project_id', 'text'],
  name: ['name', 'text'],
  description: ['description', 'text'],
  adminStateUp: ['admin_state_up', 'bool'],
  provisioningStatus: ['provisioning_status', 'text'],
  operatingStatus: ['operating_status', 'text'],
  tags: ['tags', 'json'],
  createdAt: ['created_at', 'text'],
  updatedAt: ['updated_at', 'text'],
} as const;

const quotaColumns = {
  id: ['id', 'text'], loadBalancer: ['load_balancer', 'int'], listener: ['listener', 'int'], pool: ['pool', 'int'],
  member: ['member', 'int'], healthMonitor: ['health_monitor', 'int'], l7policy: ['l7policy', 'int'], l7rule: ['l7rule', 'int'],
} as const;

export const TABLES: { readonly [K in StoredKind]: TableSpec<StoredByKind[K]> } = {
  loadbalancer: {
    table: 'load_balancers',
    columns: {
      id: ['id', 'text'], ...base,
      vipAddress: ['vip_address', 'text'], vipPortId: ['vip_port_id', 'text'],
      vipSubnetId: ['vip_subnet_id', 'text'], vipNetworkId: ['vip_network_id', 'text'],
      vipQosPolicyId: ['vip_qos_policy_id', 'text'], provider: ['provider', 'text'],
      flavorId: ['flavor_id', 'text'], availabilityZone: ['availability_zone', 'text'],
      generation: ['generation', 'int'], appliedGeneration: ['applied_generation', 'int'],
    },
  },
  listener: {
    table: 'listeners',
    columns: {
      id: ['id', 'text'], ...base, loadBalancerId: ['load_balancer_id', 'text'],
      protocol: ['protocol', 'text'], protocolPort: ['protocol_port', 'int'],
      connectionLimit: ['connection_limit', 'int'], defaultPoolId: ['default_pool_id', 'text'],
      defaultTlsContainerRef: ['default_tls_container_ref', 'text'],
      sniContainerRefs: ['sni_container_refs', 'json'], insertHeaders: ['insert_headers', 'json'],
      timeoutClientData: ['timeout_client_data', 'int'], timeoutMemberConnect: ['timeout_member_connect', 'int'],
      timeoutMemberData: ['timeout_member_data', 'int'], timeoutTcpInspect: ['timeout_tcp_inspect', 'int'],
      clientCaTlsContainerRef: ['client_ca_tls_container_ref', 'text'],
      clientAuthentication: ['client_authentication', 'text'],
      clientCrlContainerRef: ['client_crl_container_ref', 'text'],
      allowedCidrs: ['allowed_cidrs', 'json'], tlsCiphers: ['tls_ciphers', 'text'],
      tlsVersions: ['tls_versions', 'json'], alpnProtocols: ['alpn_protocols', 'json'],
      hstsMaxAge: ['hsts_max_age', 'int'], hstsIncludeSubdomains: ['hsts_include_subdomains', 'bool'],
      hstsPreload: ['hsts_preload', 'bool'],
    },
  },
  pool: {
    table: 'pools',
    columns: {
      id: ['id', 'text'], ...base, loadBalancerId: ['load_balancer_id', 'text'],
      protocol: ['protocol', 'text'], lbAlgorithm: ['lb_algorithm', 'text'],
      sessionPersistence: ['session_persistence', 'json'], tlsContainerRef: ['tls_container_ref', 'text'],
      caTlsContainerRef: ['ca_tls_container_ref', 'text'], crlContainerRef: ['crl_container_ref', 'text'],
      tlsEnabled: ['tls_enabled', 'bool'], tlsCiphers: ['tls_ciphers', 'text'],
      tlsVersions: ['tls_versions', 'json'], alpnProtocols: ['alpn_protocols', 'json'],
    },
  },
  member: {
    table: 'members',
    columns: {
      id: ['id', 'text'], ...base, poolId: ['pool_id', 'text'], loadBalancerId: ['load_balancer_id', 'text'],
      address: ['address', 'text'], protocolPort: ['protocol_port', 'int'], weight: ['weight', 'int'],
      backup: ['backup', 'bool'], subnetId: ['subnet_id', 'text'], monitorAddress: ['monitor_address', 'text'],
      monitorPort: ['monitor_port', 'int'],
    },
  },
  healthmonitor: {
    table: 'health_monitors',
    columns: {
      id: ['id', 'text'], ...base, poolId: ['pool_id', 'text'], loadBalancerId: ['load_balancer_id', 'text'],
      type: ['type', 'text'], delay: ['delay', 'int'], timeout: ['timeout', 'int'],
      maxRetries: ['max_retries', 'int'], maxRetriesDown: ['max_retries_down', 'int'],
      httpMethod: ['http_method', 'text'], urlPath: ['url_path', 'text'], expectedCodes: ['expected_codes', 'text'],
      httpVersion: ['http_version', 'json'], domainName: ['domain_name', 'text'],
    },
  },
  l7policy: {
    table: 'l7policies',
    columns: {
      id: ['id', 'text'], ...base, listenerId: ['listener_id', 'text'], loadBalancerId: ['load_balancer_id', 'text'],
      action: ['action', 'text'], position: ['position', 'int'], redirectPoolId: ['redirect_pool_id', 'text'],
      redirectUrl: ['redirect_url', 'text'], redirectPrefix: ['redirect_prefix', 'text'],
      redirectHttpCode: ['redirect_http_code', 'int'],
    },
  },
  l7rule: {
    table: 'l7rules',
    columns: {
      // Rules have no name or description on the wire; Base's stay empty.
      id: ['id', 'text'], ...base, l7PolicyId: ['l7policy_id', 'text'], listenerId: ['listener_id', 'text'], loadBalancerId: ['load_balancer_id', 'text'],
      type: ['type', 'text'], compareType: ['compare_type', 'text'], key: ['rule_key', 'text'], value: ['value', 'text'],
      invert: ['invert', 'bool'],
    },
  },
  network: {
    table: 'networks',
    columns: {
      id: ['id', 'text'], projectId: ['project_id', 'text'], name: ['name', 'text'],
      description: ['description', 'text'], adminStateUp: ['admin_state_up', 'bool'], shared: ['shared', 'bool'],
      mtu: ['mtu', 'int'], status: ['status', 'text'], segmentationId: ['segmentation_id', 'int'], tags: ['tags', 'json'],
      createdAt: ['created_at', 'text'], updatedAt: ['updated_at', 'text'],
    },
  },
  subnet: {
    table: 'subnets',
    columns: {
      id: ['id', 'text'], networkId: ['network_id', 'text'], projectId: ['project_id', 'text'],
      name: ['name', 'text'], description: ['description', 'text'], ipVersion: ['ip_version', 'int'],
      cidr: ['cidr', 'text'], gatewayIp: ['gateway_ip', 'text'], allocationPools: ['allocation_pools', 'json'],
      enableDhcp: ['enable_dhcp', 'bool'], dnsNameservers: ['dns_nameservers', 'json'],
      hostRoutes: ['host_routes', 'json'], tags: ['tags', 'json'],
      createdAt: ['created_at', 'text'], updatedAt: ['updated_at', 'text'],
    },
  },
  port: {
    table: 'ports',
    columns: {
      id: ['id', 'text'], networkId: ['network_id', 'text'], projectId: ['project_id', 'text'],
      name: ['name', 'text'], description: ['description', 'text'], adminStateUp: ['admin_state_up', 'bool'],
      macAddress: ['mac_address', 'text'], fixedIps: ['fixed_ips', 'json'], deviceOwner: ['device_owner', 'text'],
      deviceId: ['device_id', 'text'], status: ['status', 'text'], tags: ['tags', 'json'],
      createdAt: ['created_at', 'text'], updatedAt: ['updated_at', 'text'],
    },
  },
  quota: { table: 'quotas', columns: quotaColumns },
  quotadefaults: { table: 'quota_defaults', columns: quotaColumns },
  flavorprofile: {
    table: 'flavor_profiles',
    columns: { id: ['id', 'text'], name: ['name', 'text'], providerName: ['provider_name', 'text'], flavorData: ['flavor_data', 'text'] },
  },
  flavor: {
    table: 'flavors',
    columns: {
      id: ['id', 'text'], name: ['name', 'text'], description: ['description', 'text'], enabled: ['enabled', 'bool'],
      flavorProfileId: ['flavor_profile_id', 'text'],
    },
  },
  azprofile: {
    table: 'availability_zone_profiles',
    columns: {
      id: ['id', 'text'], name: ['name', 'text'], providerName: ['provider_name', 'text'],
      availabilityZoneData: ['availability_zone_data', 'text'],
    },
  },
  availabilityzone: {
    table: 'availability_zones',
    columns: {
      id: ['id', 'text'], name: ['name', 'text'], description: ['description', 'text'], enabled: ['enabled', 'bool'],
      availabilityZoneProfileId: ['availability_zone_profile_id', 'text'],
    },
  },
  amphora: {
    table: 'amphorae',
    columns: {
      id: ['id', 'text'], loadBalancerId: ['load_balancer_id', 'text'], computeId: ['compute_id', 'text'],
      generation: ['generation', 'int'], createdAt: ['created_at', 'text'], updatedAt: ['updated_at', 'text'],
      role: ['role', 'text'], vrrpIp: ['vrrp_ip', 'text'], vrrpPortId: ['vrrp_port_id', 'text'],
    },
  },
};
