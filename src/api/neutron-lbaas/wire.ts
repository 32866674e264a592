/**
 * @module api/neutron-lbaas/wire — Neutron LBaaS v2's view of the objects the Octavia view also
 * shows: the attribute maps of neutron-lbaas (`extensions/loadbalancerv2.py` with the
 * `shared_pools`, `lb_network_vip` and `hm_max_retries_down` extensions), the response bodies of
 * its `data_models.py` `to_api_dict` after Neutron hides the attributes that are not visible,
 * and request attributes → the service's inputs. Names the two APIs share map through the
 * Octavia view's input tables, so one wire name has one domain name.
 */
import { MAX_HM_SECONDS } from '../../domain/limits.js';
import type { HealthMonitor, Listener, LoadBalancer, Member, Pool, Stats } from '../../domain/model.js';
import type { StatusTree } from '../../service/load-balancers.js';
import type { View } from '../../service/objects.js';
import {
  fromWire, HEALTH_MONITOR_INPUT, LISTENER_INPUT, MEMBER_INPUT, poolFromWire, type FieldMap,
} from '../octavia/wire.js';
import {
  atLeast, atMostDbInteger, dictOrEmpty, ipAddress, ipAddressOrNone, listOfStrings,
  noneToEmptyDict, range, regex, regexOrNone, string, stringOrNone, toBoolean, toInt, toList, uuid, uuidOrNone,
  values, type AttributeMap, type AttributeSpec,
} from './attributes.js';

/** `db_const.NAME_FIELD_SIZE` and `DESCRIPTION_FIELD_SIZE`. */
const NAME_MAX = 255;
const DESCRIPTION_MAX = 255;

/** neutron-lbaas `constants.py`, in its order (messages print the tuple). */
export const LISTENER_PROTOCOLS = ['TCP', 'HTTPS', 'HTTP', 'TERMINATED_HTTPS'] as const;
export const POOL_PROTOCOLS = ['TCP', 'HTTPS', 'HTTP'] as const;
export const LB_ALGORITHMS = ['LEAST_CONNECTIONS', 'ROUND_ROBIN', 'SOURCE_IP'] as const;
export const SESSION_PERSISTENCE_TYPES = ['SOURCE_IP', 'HTTP_COOKIE', 'APP_COOKIE'] as const;
export const HEALTH_MONITOR_TYPES = ['HTTP', 'HTTPS', 'PING', 'TCP'] as const;
export const HTTP_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'TRACE', 'OPTIONS', 'CONNECT', 'PATCH'] as const;
/** `SUPPORTED_URL_PATH` (RFC 3986 path). */
const URL_PATH = /^(\/([a-zA-Z0-9\-._~!$&'()*+,;=:@]|(%[a-fA-F0-9]{2}))*)+$/;
const EXPECTED_CODES = /^(\d{3}(\s*,\s*\d{3})*)$|^(\d{3}-\d{3})$/;

const readOnly: AttributeSpec = { post: false, put: false };
const name: AttributeSpec = { post: true, put: true, optional: true, validate: [string(NAME_MAX)] };
const description: AttributeSpec = { post: true, put: true, optional: true, validate: [string(DESCRIPTION_MAX)] };
const adminStateUp: AttributeSpec = { post: true, put: true, optional: true, convert: toBoolean };
const protocolPort: AttributeSpec = { post: true, put: false, convert: toInt, validate: [range(1, 65535)] };

/**
 * What a request may carry, per resource. `tenant_id`/`project_id` are read by `prepareBody`.
 * Read-only attributes are listed so that sending one is "not allowed in POST", as in Neutron.
 */
export const ATTRIBUTES = {
  loadbalancer: {
    id: readOnly, name, description,
    // lb_network_vip makes vip_subnet_id optional when vip_network_id is given; one is required.
    vip_subnet_id: { post: true, put: false, optional: true, validate: [uuid] },
    vip_network_id: { post: true, put: false, optional: true, validate: [uuid] },
    vip_address: { post: true, put: false, optional: true, validate: [ipAddressOrNone] },
    vip_port_id: readOnly,
    provider: { post: true, put: false, optional: true, validate: [string()] },
    listeners: readOnly, pools: readOnly, provisioning_status: readOnly, operating_status: readOnly,
    admin_state_up: adminStateUp,
    flavor_id: { post: true, put: false, optional: true, validate: [string(NAME_MAX)] },
  },
  listener: {
    id: readOnly, name, description,
    loadbalancer_id: { post: true, put: false, optional: true, validate: [uuidOrNone] },
    loadbalancers: readOnly,
    default_pool_id: { post: true, put: true, optional: true, validate: [uuidOrNone] },
    default_tls_container_ref: { post: true, put: true, optional: true, validate: [stringOrNone(128)] },
    sni_container_refs: { post: true, put: true, optional: true, convert: toList, validate: [listOfStrings(255)] },
    connection_limit: { post: true, put: true, optional: true, convert: toInt, validate: [atLeast(-1), atMostDbInteger] },
    protocol: { post: true, put: false, validate: [values(LISTENER_PROTOCOLS)] },
    protocol_port: protocolPort,
    admin_state_up: adminStateUp,
  },
  pool: {
    id: readOnly, name, description,
    listener_id: { post: true, put: false, optional: true, validate: [uuidOrNone] },
    loadbalancer_id: { post: true, put: false, optional: true, validate: [uuidOrNone] },
    listeners: readOnly, loadbalancers: readOnly, healthmonitor_id: readOnly,
    protocol: { post: true, put: false, validate: [values(POOL_PROTOCOLS)] },
    lb_algorithm: { post: true, put: true, validate: [values(LB_ALGORITHMS)] },
    session_persistence: {
      post: true, put: true, optional: true, convert: noneToEmptyDict,
      validate: [dictOrEmpty({
        type: { required: true, validate: values(SESSION_PERSISTENCE_TYPES) },
        cookie_name: { required: false, validate: string() },
      })],
    },
    members: readOnly,
    admin_state_up: adminStateUp,
  },
  member: {
    id: readOnly,
    address: { post: true, put: false, validate: [ipAddress] },
    protocol_port: protocolPort,
    weight: { post: true, put: true, optional: true, convert: toInt, validate: [range(0, 256)] },
    admin_state_up: adminStateUp,
    subnet_id: { post: true, put: false, validate: [uuid] },
    name,
  },
  healthmonitor: {
    id: readOnly,
    pool_id: { post: true, put: false, validate: [uuid] },
    pools: readOnly,
    type: { post: true, put: false, validate: [values(HEALTH_MONITOR_TYPES)] },
    // Neutron allows 0 (`non_negative`); HAProxy cannot check every 0 ms, so 1 is the floor (as the Octavia view).
    // … and HAProxy's timers are 32-bit milliseconds: at most 2,147,483 s.
    delay: { post: true, put: true, convert: toInt, validate: [range(1, MAX_HM_SECONDS)] },
    timeout: { post: true, put: true, convert: toInt, validate: [range(1, MAX_HM_SECONDS)] },
    max_retries: { post: true, put: true, convert: toInt, validate: [range(1, 10)] },
    max_retries_down: { post: true, put: true, optional: true, convert: toInt, validate: [range(1, 10)] },
    http_method: { post: true, put: true, optional: true, validate: [values(HTTP_METHODS)] },
    url_path: { post: true, put: true, optional: true, validate: [regexOrNone(URL_PATH)] },
    expected_codes: { post: true, put: true, optional: true, validate: [regex(EXPECTED_CODES)] },
    admin_state_up: adminStateUp,
    name,
  },
} as const satisfies Record<string, AttributeMap>;

export type NeutronResource = keyof typeof ATTRIBUTES;

const common: FieldMap = {
  id: ['id', 'str'], name: ['name', 'str'], tenant_id: ['projectId', 'str'], project_id: ['projectId', 'str'],
  admin_state_up: ['adminStateUp', 'bool'],
};

/** Attributes a list may filter and sort on (`?name=lb1`, `?loadbalancer_id=…`). */
export const FIELDS: Readonly<Record<NeutronResource, FieldMap>> = {
  loadbalancer: {
    ...common, description: ['description', 'str'], vip_subnet_id: ['vipSubnetId', 'str'], vip_address: ['vipAddress', 'str'],
    vip_port_id: ['vipPortId', 'str'], provider: ['provider', 'str'], provisioning_status: ['provisioningStatus', 'str'],
    operating_status: ['operatingStatus', 'str'],
  },
  listener: {
    ...common, description: ['description', 'str'], loadbalancer_id: ['loadBalancerId', 'str'], default_pool_id: ['defaultPoolId', 'str'],
    protocol: ['protocol', 'str'], protocol_port: ['protocolPort', 'int'], connection_limit: ['connectionLimit', 'int'],
    default_tls_container_ref: ['defaultTlsContainerRef', 'str'],
  },
  pool: {
    ...common, description: ['description', 'str'], loadbalancer_id: ['loadBalancerId', 'str'], protocol: ['protocol', 'str'],
    lb_algorithm: ['lbAlgorithm', 'str'],
  },
  member: {
    ...common, address: ['address', 'str'], protocol_port: ['protocolPort', 'int'], weight: ['weight', 'int'], subnet_id: ['subnetId', 'str'],
  },
  healthmonitor: {
    ...common, pool_id: ['poolId', 'str'], type: ['type', 'str'], delay: ['delay', 'int'], timeout: ['timeout', 'int'],
    max_retries: ['maxRetries', 'int'], max_retries_down: ['maxRetriesDown', 'int'], http_method: ['httpMethod', 'str'],
    url_path: ['urlPath', 'str'], expected_codes: ['expectedCodes', 'str'],
  },
};

const ids = (xs: readonly string[]): { id: string }[] => xs.map((id) => ({ id }));
const owner = (projectId: string) => ({ tenant_id: projectId, project_id: projectId });

/** A load balancer as neutron-lbaas shows it (no `flavor_id` when unset, no `vip_network_id`). */
export function loadBalancerToWire({ object: lb, relations }: View<LoadBalancer>): Record<string, unknown> {
  return {
    id: lb.id, name: lb.name, description: lb.description, ...owner(lb.projectId),
    vip_subnet_id: lb.vipSubnetId, vip_address: lb.vipAddress, vip_port_id: lb.vipPortId, provider: lb.provider,
    listeners: ids(relations.listeners), pools: ids(relations.pools), admin_state_up: lb.adminStateUp,
    provisioning_status: lb.provisioningStatus, operating_status: lb.operatingStatus,
    ...(lb.flavorId ? { flavor_id: lb.flavorId } : {}),
  };
}

/** A listener as neutron-lbaas shows it: its statuses are only in the load balancer's status tree. */
export function listenerToWire({ object: l }: View<Listener>): Record<string, unknown> {
  return {
    id: l.id, name: l.name, description: l.description, ...owner(l.projectId), loadbalancers: [{ id: l.loadBalancerId }],
    default_pool_id: l.defaultPoolId, default_tls_container_ref: l.defaultTlsContainerRef, sni_container_refs: l.sniContainerRefs,
    connection_limit: l.connectionLimit, protocol: l.protocol, protocol_port: l.protocolPort, admin_state_up: l.adminStateUp,
  };
}

/** A pool as neutron-lbaas shows it; session persistence has only `type` and `cookie_name`. */
export function poolToWire({ object: p, relations }: View<Pool>): Record<string, unknown> {
  const sp = p.sessionPersistence;
  return {
    id: p.id, name: p.name, description: p.description, ...owner(p.projectId), healthmonitor_id: relations.healthMonitorId,
    protocol: p.protocol, lb_algorithm: p.lbAlgorithm, admin_state_up: p.adminStateUp,
    session_persistence: sp ? { type: sp.type, cookie_name: sp.cookieName } : null,
    members: ids(relations.members), listeners: ids(relations.listeners), loadbalancers: [{ id: p.loadBalancerId }],
  };
}

/** A member as neutron-lbaas shows it (no statuses, no `pool_id`). */
export function memberToWire({ object: m }: View<Member>): Record<string, unknown> {
  return {
    id: m.id, name: m.name, ...owner(m.projectId), address: m.address, protocol_port: m.protocolPort, weight: m.weight,
    admin_state_up: m.adminStateUp, subnet_id: m.subnetId,
  };
}

/** A health monitor as neutron-lbaas shows it: TCP and PING monitors have no HTTP attributes. */
export function healthMonitorToWire({ object: h }: View<HealthMonitor>): Record<string, unknown> {
  const http = h.type === 'TCP' || h.type === 'PING'
    ? {} : { http_method: h.httpMethod, url_path: h.urlPath, expected_codes: h.expectedCodes };
  return {
    id: h.id, name: h.name, ...owner(h.projectId), type: h.type, delay: h.delay, timeout: h.timeout,
    max_retries: h.maxRetries, max_retries_down: h.maxRetriesDown, ...http, admin_state_up: h.adminStateUp,
    pools: [{ id: h.poolId }],
  };
}

/** neutron-lbaas `LoadBalancerStatistics.to_api_dict`: four counters. */
export function statsToWire(s: Stats): { stats: Record<string, number> } {
  return {
    stats: {
      bytes_in: s.bytesIn, bytes_out: s.bytesOut, active_connections: s.activeConnections, total_connections: s.totalConnections,
    },
  };
}

export type PoolStatus = StatusTree['listeners'][number]['pools'][number];

function poolStatusToWire(p: PoolStatus): Record<string, unknown> {
  const hm = p.healthMonitor;
  return {
    id: p.id, name: p.name, provisioning_status: p.provisioningStatus, operating_status: p.operatingStatus,
    members: p.members.map((m) => ({
      id: m.id, name: m.name, address: m.address, protocol_port: m.protocolPort,
      provisioning_status: m.provisioningStatus, operating_status: m.operatingStatus,
    })),
    // A health monitor has no operating status in Neutron's tree; no monitor is `{}`.
    healthmonitor: hm ? { id: hm.id, name: hm.name, type: hm.type, provisioning_status: hm.provisioningStatus } : {},
  };
}

/**
 * neutron-lbaas `statuses()`: listeners with their default pool, and every pool of the load
 * balancer once more at its top (`pools`, in the order given). Statuses are the stored ones, the
 * same the Octavia view shows (an admin-down object is OFFLINE there, not Neutron's DISABLED).
 */
export function statusesToWire(tree: StatusTree, pools: readonly PoolStatus[]): Record<string, unknown> {
  return {
    statuses: {
      loadbalancer: {
        id: tree.id, name: tree.name, provisioning_status: tree.provisioningStatus, operating_status: tree.operatingStatus,
        listeners: tree.listeners.map((l) => ({
          id: l.id, name: l.name, provisioning_status: l.provisioningStatus, operating_status: l.operatingStatus,
          pools: l.pools.map(poolStatusToWire), l7policies: [],
        })),
        pools: pools.map(poolStatusToWire),
      },
    },
  };
}

type Attrs = Record<string, unknown>;

/** Session persistence `{}` means none (Neutron's `convert_none_to_empty_dict`). */
function withPersistence(a: Attrs, create: boolean): Record<string, unknown> {
  const sp = a.session_persistence as Attrs | undefined;
  if (sp === undefined || Object.keys(sp).length > 0) return poolFromWire(a, create);
  const { session_persistence: _sp, ...rest } = a;
  return { ...poolFromWire(rest, create), ...(create ? {} : { sessionPersistence: null }) };
}

/** Request attributes (already converted) → the service's create and update inputs. */
export const toInput = {
  listener: (a: Attrs, create: boolean) => fromWire(a, LISTENER_INPUT, create),
  pool: withPersistence,
  member: (a: Attrs, create: boolean) => fromWire(a, MEMBER_INPUT, create),
  healthmonitor: (a: Attrs, create: boolean) => fromWire(a, HEALTH_MONITOR_INPUT, create),
};
