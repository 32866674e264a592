/**
 * @module api/octavia/wire — Octavia's wire names and shapes for each object, in one place
 * (Octavia's `_type_to_db_map`): domain → response body, and which wire names filter and sort.
 */
import type { HealthMonitor, L7Policy, L7Rule, Listener, LoadBalancer, Member, OctaviaKind, Pool } from '../../domain/model.js';
import { wireTimestamp } from '../../domain/time.js';
import type { Relations, View } from '../../service/objects.js';

/** How a query-string value converts for a field. */
export type WireType = 'str' | 'int' | 'bool';

/** Wire name → [domain field, type], for the fields a list may filter and sort on. */
export type FieldMap = Readonly<Record<string, readonly [field: string, type: WireType]>>;

const common: FieldMap = {
  id: ['id', 'str'], name: ['name', 'str'], description: ['description', 'str'],
  provisioning_status: ['provisioningStatus', 'str'], operating_status: ['operatingStatus', 'str'],
  admin_state_up: ['adminStateUp', 'bool'], project_id: ['projectId', 'str'],
  created_at: ['createdAt', 'str'], updated_at: ['updatedAt', 'str'],
};

/** Filterable and sortable fields of each kind. */
export const FIELDS: Readonly<Record<OctaviaKind, FieldMap>> = {
  loadbalancer: {
    ...common, vip_address: ['vipAddress', 'str'], vip_port_id: ['vipPortId', 'str'],
    vip_subnet_id: ['vipSubnetId', 'str'], vip_network_id: ['vipNetworkId', 'str'],
    vip_qos_policy_id: ['vipQosPolicyId', 'str'], provider: ['provider', 'str'], flavor_id: ['flavorId', 'str'],
    availability_zone: ['availabilityZone', 'str'],
  },
  listener: {
    ...common, loadbalancer_id: ['loadBalancerId', 'str'], protocol: ['protocol', 'str'],
    protocol_port: ['protocolPort', 'int'], connection_limit: ['connectionLimit', 'int'],
    default_pool_id: ['defaultPoolId', 'str'], default_tls_container_ref: ['defaultTlsContainerRef', 'str'],
    timeout_client_data: ['timeoutClientData', 'int'], timeout_member_connect: ['timeoutMemberConnect', 'int'],
    timeout_member_data: ['timeoutMemberData', 'int'], timeout_tcp_inspect: ['timeoutTcpInspect', 'int'],
    client_authentication: ['clientAuthentication', 'str'], tls_ciphers: ['tlsCiphers', 'str'],
    hsts_max_age: ['hstsMaxAge', 'int'], hsts_include_subdomains: ['hstsIncludeSubdomains', 'bool'],
    hsts_preload: ['hstsPreload', 'bool'],
  },
  pool: {
    ...common, loadbalancer_id: ['loadBalancerId', 'str'], protocol: ['protocol', 'str'],
    lb_algorithm: ['lbAlgorithm', 'str'], tls_enabled: ['tlsEnabled', 'bool'], tls_ciphers: ['tlsCiphers', 'str'],
    tls_container_ref: ['tlsContainerRef', 'str'], ca_tls_container_ref: ['caTlsContainerRef', 'str'],
    crl_container_ref: ['crlContainerRef', 'str'],
  },
  member: {
    ...common, address: ['address', 'str'], protocol_port: ['protocolPort', 'int'], weight: ['weight', 'int'],
    backup: ['backup', 'bool'], subnet_id: ['subnetId', 'str'], monitor_address: ['monitorAddress', 'str'],
    monitor_port: ['monitorPort', 'int'],
  },
  healthmonitor: {
    ...common, type: ['type', 'str'], delay: ['delay', 'int'], timeout: ['timeout', 'int'],
    max_retries: ['maxRetries', 'int'], max_retries_down: ['maxRetriesDown', 'int'],
    http_method: ['httpMethod', 'str'], url_path: ['urlPath', 'str'], expected_codes: ['expectedCodes', 'str'],
    http_version: ['httpVersion', 'str'], domain_name: ['domainName', 'str'], pool_id: ['poolId', 'str'],
  },
  l7policy: {
    ...common, action: ['action', 'str'], listener_id: ['listenerId', 'str'], redirect_pool_id: ['redirectPoolId', 'str'],
    redirect_url: ['redirectUrl', 'str'], redirect_prefix: ['redirectPrefix', 'str'], position: ['position', 'int'],
    redirect_http_code: ['redirectHttpCode', 'int'],
  },
  l7rule: {
    id: ['id', 'str'], provisioning_status: ['provisioningStatus', 'str'], operating_status: ['operatingStatus', 'str'],
    admin_state_up: ['adminStateUp', 'bool'], project_id: ['projectId', 'str'], created_at: ['createdAt', 'str'],
    updated_at: ['updatedAt', 'str'], type: ['type', 'str'], compare_type: ['compareType', 'str'], key: ['key', 'str'],
    value: ['value', 'str'], invert: ['invert', 'bool'],
  },
};

const ids = (xs: readonly string[]): { id: string }[] => xs.map((id) => ({ id }));

/** A load balancer as Octavia shows it. */
export function loadBalancerToWire({ object: lb, relations }: View<LoadBalancer>): Record<string, unknown> {
  return {
    id: lb.id, name: lb.name, description: lb.description,
    provisioning_status: lb.provisioningStatus, operating_status: lb.operatingStatus,
    admin_state_up: lb.adminStateUp, project_id: lb.projectId,
    created_at: wireTimestamp(lb.createdAt), updated_at: wireTimestamp(lb.updatedAt),
    vip_address: lb.vipAddress, vip_port_id: lb.vipPortId, vip_subnet_id: lb.vipSubnetId,
    vip_network_id: lb.vipNetworkId, additional_vips: [],
    listeners: ids(relations.listeners), pools: ids(relations.pools),
    provider: lb.provider, flavor_id: lb.flavorId, vip_qos_policy_id: lb.vipQosPolicyId,
    tags: lb.tags, availability_zone: lb.availabilityZone, tenant_id: lb.projectId,
  };
}

/** Fields of every object the wire shows in the same way. */
function baseToWire(o: Listener | Pool | Member | HealthMonitor): Record<string, unknown> {
  return {
    id: o.id, name: o.name, description: o.description,
    provisioning_status: o.provisioningStatus, operating_status: o.operatingStatus,
    admin_state_up: o.adminStateUp, project_id: o.projectId,
  };
}

/** A listener as Octavia shows it. */
export function listenerToWire({ object: l, relations }: View<Listener>): Record<string, unknown> {
  return {
    ...baseToWire(l), protocol: l.protocol, protocol_port: l.protocolPort, connection_limit: l.connectionLimit,
    default_tls_container_ref: l.defaultTlsContainerRef, sni_container_refs: l.sniContainerRefs,
    project_id: l.projectId, default_pool_id: l.defaultPoolId, l7policies: ids(relations.l7policies),
    insert_headers: l.insertHeaders, created_at: wireTimestamp(l.createdAt), updated_at: wireTimestamp(l.updatedAt),
    loadbalancers: [{ id: l.loadBalancerId }], timeout_client_data: l.timeoutClientData,
    timeout_member_connect: l.timeoutMemberConnect, timeout_member_data: l.timeoutMemberData,
    timeout_tcp_inspect: l.timeoutTcpInspect, tags: l.tags, client_ca_tls_container_ref: l.clientCaTlsContainerRef,
    client_authentication: l.clientAuthentication, client_crl_container_ref: l.clientCrlContainerRef,
    allowed_cidrs: l.allowedCidrs, tls_ciphers: l.tlsCiphers, tls_versions: l.tlsVersions,
    alpn_protocols: l.alpnProtocols, hsts_max_age: l.hstsMaxAge, hsts_include_subdomains: l.hstsIncludeSubdomains,
    hsts_preload: l.hstsPreload, tenant_id: l.projectId,
  };
}

/** A pool as Octavia shows it. */
export function poolToWire({ object: p, relations }: View<Pool>): Record<string, unknown> {
  const sp = p.sessionPersistence;
  return {
    ...baseToWire(p), protocol: p.protocol, lb_algorithm: p.lbAlgorithm,
    session_persistence: sp ? {
      type: sp.type, cookie_name: sp.cookieName, persistence_timeout: sp.persistenceTimeout,
      persistence_granularity: sp.persistenceGranularity,
    } : null,
    project_id: p.projectId, loadbalancers: [{ id: p.loadBalancerId }], listeners: ids(relations.listeners),
    created_at: wireTimestamp(p.createdAt), updated_at: wireTimestamp(p.updatedAt),
    healthmonitor_id: relations.healthMonitorId, members: ids(relations.members), tags: p.tags,
    tls_container_ref: p.tlsContainerRef, ca_tls_container_ref: p.caTlsContainerRef,
    crl_container_ref: p.crlContainerRef, tls_enabled: p.tlsEnabled, tls_ciphers: p.tlsCiphers,
    tls_versions: p.tlsVersions, alpn_protocols: p.alpnProtocols, tenant_id: p.projectId,
  };
}

/** A member as Octavia shows it (members have no description on the wire). */
export function memberToWire({ object: m }: View<Member>): Record<string, unknown> {
  return {
    id: m.id, name: m.name, operating_status: m.operatingStatus, provisioning_status: m.provisioningStatus,
    admin_state_up: m.adminStateUp, address: m.address, protocol_port: m.protocolPort, weight: m.weight,
    backup: m.backup, subnet_id: m.subnetId, project_id: m.projectId,
    created_at: wireTimestamp(m.createdAt), updated_at: wireTimestamp(m.updatedAt),
    monitor_address: m.monitorAddress, monitor_port: m.monitorPort, tags: m.tags, tenant_id: m.projectId,
  };
}

/** A health monitor as Octavia shows it (no description on the wire). */
export function healthMonitorToWire({ object: h }: View<HealthMonitor>): Record<string, unknown> {
  return {
    id: h.id, name: h.name, type: h.type, delay: h.delay, timeout: h.timeout, max_retries: h.maxRetries,
    max_retries_down: h.maxRetriesDown, http_method: h.httpMethod, url_path: h.urlPath,
    expected_codes: h.expectedCodes, admin_state_up: h.adminStateUp, project_id: h.projectId,
    pools: [{ id: h.poolId }], provisioning_status: h.provisioningStatus, operating_status: h.operatingStatus,
    created_at: wireTimestamp(h.createdAt), updated_at: wireTimestamp(h.updatedAt), tags: h.tags,
    http_version: h.httpVersion, domain_name: h.domainName, tenant_id: h.projectId,
  };
}

/** An L7 policy as Octavia shows it (`rules` as ids; a fully-populated create shows them whole). */
export function l7PolicyToWire({ object: p, relations }: View<L7Policy>): Record<string, unknown> {
  return {
    id: p.id, name: p.name, description: p.description, provisioning_status: p.provisioningStatus,
    operating_status: p.operatingStatus, admin_state_up: p.adminStateUp, project_id: p.projectId, action: p.action,
    listener_id: p.listenerId, redirect_pool_id: p.redirectPoolId, redirect_url: p.redirectUrl,
    redirect_prefix: p.redirectPrefix, position: p.position, rules: ids(relations.rules),
    created_at: wireTimestamp(p.createdAt), updated_at: wireTimestamp(p.updatedAt), tags: p.tags,
    redirect_http_code: p.redirectHttpCode, tenant_id: p.projectId,
  };
}

/** An L7 rule as Octavia shows it (no name or description). */
export function l7RuleToWire({ object: r }: View<L7Rule>): Record<string, unknown> {
  return {
    id: r.id, type: r.type, compare_type: r.compareType, key: r.key, value: r.value, invert: r.invert,
    provisioning_status: r.provisioningStatus, operating_status: r.operatingStatus,
    created_at: wireTimestamp(r.createdAt), updated_at: wireTimestamp(r.updatedAt), project_id: r.projectId,
    admin_state_up: r.adminStateUp, tags: r.tags, tenant_id: r.projectId,
  };
}

export type { Relations };

/** Request body names → domain names (Octavia `_type_to_model_map`), for each kind's create and update. */
type InputMap = Readonly<Record<string, string>>;
const baseInput = { name: 'name', admin_state_up: 'adminStateUp', tags: 'tags', project_id: 'projectId' } as const;

export const LISTENER_INPUT: InputMap = {
  ...baseInput, description: 'description', loadbalancer_id: 'loadBalancerId', protocol: 'protocol',
  protocol_port: 'protocolPort', connection_limit: 'connectionLimit', default_pool_id: 'defaultPoolId',
  default_tls_container_ref: 'defaultTlsContainerRef', sni_container_refs: 'sniContainerRefs',
  insert_headers: 'insertHeaders', timeout_client_data: 'timeoutClientData',
  timeout_member_connect: 'timeoutMemberConnect', timeout_member_data: 'timeoutMemberData',
  timeout_tcp_inspect: 'timeoutTcpInspect', client_ca_tls_container_ref: 'clientCaTlsContainerRef',
  client_authentication: 'clientAuthentication', client_crl_container_ref: 'clientCrlContainerRef',
  allowed_cidrs: 'allowedCidrs', tls_ciphers: 'tlsCiphers', tls_versions: 'tlsVersions', alpn_protocols: 'alpnProtocols',
  hsts_max_age: 'hstsMaxAge', hsts_include_subdomains: 'hstsIncludeSubdomains', hsts_preload: 'hstsPreload',
};
export const POOL_INPUT: InputMap = {
  ...baseInput, description: 'description', listener_id: 'listenerId', loadbalancer_id: 'loadBalancerId',
  protocol: 'protocol', lb_algorithm: 'lbAlgorithm', tls_container_ref: 'tlsContainerRef',
  ca_tls_container_ref: 'caTlsContainerRef', crl_container_ref: 'crlContainerRef', tls_enabled: 'tlsEnabled',
  tls_ciphers: 'tlsCiphers', tls_versions: 'tlsVersions', alpn_protocols: 'alpnProtocols',
};
const SESSION_PERSISTENCE_INPUT: InputMap = {
  type: 'type', cookie_name: 'cookieName', persistence_timeout: 'persistenceTimeout',
  persistence_granularity: 'persistenceGranularity',
};
export const MEMBER_INPUT: InputMap = {
  ...baseInput, address: 'address', protocol_port: 'protocolPort', weight: 'weight', backup: 'backup',
  subnet_id: 'subnetId', monitor_port: 'monitorPort', monitor_address: 'monitorAddress',
};
export const HEALTH_MONITOR_INPUT: InputMap = {
  ...baseInput, pool_id: 'poolId', type: 'type', delay: 'delay', timeout: 'timeout', max_retries: 'maxRetries',
  max_retries_down: 'maxRetriesDown', http_method: 'httpMethod', url_path: 'urlPath', expected_codes: 'expectedCodes',
  http_version: 'httpVersion', domain_name: 'domainName',
};

export const L7POLICY_INPUT: InputMap = {
  ...baseInput, description: 'description', listener_id: 'listenerId', action: 'action',
  redirect_pool_id: 'redirectPoolId', redirect_url: 'redirectUrl', redirect_prefix: 'redirectPrefix',
  redirect_http_code: 'redirectHttpCode', position: 'position',
};
export const L7RULE_INPUT: InputMap = {
  admin_state_up: 'adminStateUp', tags: 'tags', project_id: 'projectId', type: 'type', compare_type: 'compareType',
  key: 'key', value: 'value', invert: 'invert',
};

/**
 * A request body in domain names. Absent keys stay absent; with `create`, null means "not given"
 * (the default applies) and is dropped too, while an update keeps null as "reset to default".
 */
export function fromWire(body: object, map: InputMap, create: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [wire, value] of Object.entries(body)) {
    const domain = map[wire];
    if (domain !== undefined && value !== undefined && !(create && value === null)) out[domain] = value;
  }
  return out;
}

/** An L7 policy body in domain names, with its rules (a create's `rules` list). */
export function l7PolicyFromWire(body: { rules?: unknown[] | null }, create: boolean): Record<string, unknown> {
  const out = fromWire(body, L7POLICY_INPUT, create);
  if (Array.isArray(body.rules)) out.rules = body.rules.map((r) => fromWire(r as object, L7RULE_INPUT, true));
  return out;
}

/** A pool body in domain names, with its session persistence. */
export function poolFromWire(body: { session_persistence?: object | null }, create: boolean): Record<string, unknown> {
  const out = fromWire(body, POOL_INPUT, create);
  const sp = body.session_persistence;
  if (sp !== undefined && !(create && sp === null)) {
    out.sessionPersistence = sp === null ? null : fromWire(sp, SESSION_PERSISTENCE_INPUT, create);
  }
  return out;
}

