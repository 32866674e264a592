/**
 * @module domain/model — the objects of a load-balancing service, named as Octavia names
 * them, in camelCase. Wire names (snake_case) are mapped in api/octavia/wire.ts.
 */
import type {
  HealthMonitorId, L7PolicyId, L7RuleId, ListenerId, LoadBalancerId, MemberId, NetworkId, PoolId, PortId, SubnetId,
} from './ids.js';
import type { OperatingStatus, ProvisioningStatus } from './status.js';
import type { FlavorSettings } from './operator.js';
import type { TlsMaterial } from './tls.js';

/** Fields every Octavia object has. */
export interface Base {
  projectId: string;
  name: string;
  description: string;
  adminStateUp: boolean;
  provisioningStatus: ProvisioningStatus;
  operatingStatus: OperatingStatus;
  tags: string[];
  createdAt: string;
  updatedAt: string | null;
}

export interface LoadBalancer extends Base {
  id: LoadBalancerId;
  vipAddress: string | null;
  vipPortId: PortId | null;
  vipSubnetId: SubnetId | null;
  vipNetworkId: NetworkId | null;
  vipQosPolicyId: string | null;
  provider: string;
  flavorId: string | null;
  availabilityZone: string | null;
  /** Bumped by every accepted change to this load balancer or any of its children. */
  generation: number;
  /** The generation the agent last made real. */
  appliedGeneration: number;
}

export const LISTENER_PROTOCOLS = ['HTTP', 'TERMINATED_HTTPS', 'HTTPS', 'UDP', 'TCP', 'PROMETHEUS', 'SCTP'] as const;
export type ListenerProtocol = (typeof LISTENER_PROTOCOLS)[number];
export const POOL_PROTOCOLS = ['HTTP', 'HTTPS', 'PROXY', 'PROXYV2', 'SCTP', 'TCP', 'UDP'] as const;
export type PoolProtocol = (typeof POOL_PROTOCOLS)[number];
export const LB_ALGORITHMS = ['LEAST_CONNECTIONS', 'ROUND_ROBIN', 'SOURCE_IP', 'SOURCE_IP_PORT'] as const;
export type LbAlgorithm = (typeof LB_ALGORITHMS)[number];
export const PERSISTENCE_TYPES = ['APP_COOKIE', 'HTTP_COOKIE', 'SOURCE_IP'] as const;
export type PersistenceType = (typeof PERSISTENCE_TYPES)[number];
export const HEALTH_MONITOR_TYPES = ['HTTP', 'HTTPS', 'PING', 'TCP', 'TLS-HELLO', 'UDP-CONNECT', 'SCTP'] as const;
export type HealthMonitorType = (typeof HEALTH_MONITOR_TYPES)[number];
export const HTTP_METHODS = ['CONNECT', 'DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'POST', 'PUT', 'TRACE'] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];
export const CLIENT_AUTHENTICATION_MODES = ['NONE', 'OPTIONAL', 'MANDATORY'] as const;
export type ClientAuthentication = (typeof CLIENT_AUTHENTICATION_MODES)[number];

/** Which pool protocols a listener protocol may forward to (Octavia `VALID_LISTENER_POOL_PROTOCOL_MAP`). */
export const VALID_LISTENER_POOL_PROTOCOLS: Readonly<Record<ListenerProtocol, readonly PoolProtocol[]>> = {
  TCP: ['HTTP', 'HTTPS', 'PROXY', 'PROXYV2', 'TCP'],
  HTTP: ['HTTP', 'PROXY', 'PROXYV2'],
  HTTPS: ['HTTPS', 'PROXY', 'PROXYV2', 'TCP'],
  TERMINATED_HTTPS: ['HTTP', 'PROXY', 'PROXYV2'],
  UDP: ['UDP'],
  SCTP: ['SCTP'],
  PROMETHEUS: [],
};

export interface Listener extends Base {
  id: ListenerId;
  loadBalancerId: LoadBalancerId;
  protocol: ListenerProtocol;
  protocolPort: number;
  connectionLimit: number;
  defaultPoolId: PoolId | null;
  defaultTlsContainerRef: string | null;
  sniContainerRefs: string[];
  insertHeaders: Record<string, string>;
  timeoutClientData: number;
  timeoutMemberConnect: number;
  timeoutMemberData: number;
  timeoutTcpInspect: number;
  clientCaTlsContainerRef: string | null;
  clientAuthentication: ClientAuthentication;
  clientCrlContainerRef: string | null;
  allowedCidrs: string[] | null;
  tlsCiphers: string | null;
  tlsVersions: string[] | null;
  alpnProtocols: string[] | null;
  /** HTTP Strict Transport Security (TERMINATED_HTTPS only): max-age in seconds, null for none. */
  hstsMaxAge: number | null;
  hstsIncludeSubdomains: boolean;
  hstsPreload: boolean;
}

export interface SessionPersistence {
  type: PersistenceType;
  cookieName: string | null;
  persistenceTimeout: number | null;
  persistenceGranularity: string | null;
}

export interface Pool extends Base {
  id: PoolId;
  loadBalancerId: LoadBalancerId;
  protocol: PoolProtocol;
  lbAlgorithm: LbAlgorithm;
  sessionPersistence: SessionPersistence | null;
  tlsContainerRef: string | null;
  caTlsContainerRef: string | null;
  crlContainerRef: string | null;
  tlsEnabled: boolean;
  tlsCiphers: string | null;
  tlsVersions: string[] | null;
  alpnProtocols: string[] | null;
}

export interface Member extends Base {
  id: MemberId;
  poolId: PoolId;
  loadBalancerId: LoadBalancerId;
  address: string;
  protocolPort: number;
  weight: number;
  backup: boolean;
  subnetId: SubnetId | null;
  monitorAddress: string | null;
  monitorPort: number | null;
}

export interface HealthMonitor extends Base {
  id: HealthMonitorId;
  poolId: PoolId;
  loadBalancerId: LoadBalancerId;
  type: HealthMonitorType;
  delay: number;
  timeout: number;
  maxRetries: number;
  maxRetriesDown: number;
  httpMethod: HttpMethod | null;
  urlPath: string | null;
  expectedCodes: string | null;
  httpVersion: number | null;
  domainName: string | null;
}

export const L7POLICY_ACTIONS = ['REJECT', 'REDIRECT_TO_URL', 'REDIRECT_TO_POOL', 'REDIRECT_PREFIX'] as const;
export type L7PolicyAction = (typeof L7POLICY_ACTIONS)[number];
export const L7RULE_TYPES = [
  'HOST_NAME', 'PATH', 'FILE_TYPE', 'HEADER', 'COOKIE', 'SSL_CONN_HAS_CERT', 'SSL_VERIFY_RESULT', 'SSL_DN_FIELD',
] as const;
export type L7RuleType = (typeof L7RULE_TYPES)[number];
export const L7RULE_COMPARE_TYPES = ['REGEX', 'STARTS_WITH', 'ENDS_WITH', 'CONTAINS', 'EQUAL_TO'] as const;
export type L7RuleCompareType = (typeof L7RULE_COMPARE_TYPES)[number];
/** `SUPPORTED_L7POLICY_REDIRECT_HTTP_CODES`. */
export const L7POLICY_REDIRECT_HTTP_CODES = [301, 302, 303, 307, 308] as const;
export type RedirectHttpCode = (typeof L7POLICY_REDIRECT_HTTP_CODES)[number];

/**
 * An L7 policy of a listener: when all its (enabled) rules match a request, `action` happens.
 * Policies of a listener are numbered 1…n without gaps (`position`).
 */
export interface L7Policy extends Base {
  id: L7PolicyId;
  listenerId: ListenerId;
  loadBalancerId: LoadBalancerId;
  action: L7PolicyAction;
  position: number;
  redirectPoolId: PoolId | null;
  redirectUrl: string | null;
  redirectPrefix: string | null;
  /** Set for REDIRECT_TO_URL and REDIRECT_PREFIX (default 302), null otherwise. */
  redirectHttpCode: RedirectHttpCode | null;
}

/** One test of an L7 policy. Rules have no name or description on the wire (Base's stay empty). */
export interface L7Rule extends Base {
  id: L7RuleId;
  l7PolicyId: L7PolicyId;
  listenerId: ListenerId;
  loadBalancerId: LoadBalancerId;
  type: L7RuleType;
  compareType: L7RuleCompareType;
  key: string | null;
  value: string;
  invert: boolean;
}

/** The Octavia object kinds held in the store. */
export type OctaviaKind = 'loadbalancer' | 'listener' | 'pool' | 'member' | 'healthmonitor' | 'l7policy' | 'l7rule';

export interface ObjectByKind {
  loadbalancer: LoadBalancer;
  listener: Listener;
  pool: Pool;
  member: Member;
  healthmonitor: HealthMonitor;
  l7policy: L7Policy;
  l7rule: L7Rule;
}

/**
 * Human names used in Octavia's messages (`Load Balancer <id> not found.`): its data models'
 * `_name()`, the class name split at capitals (`L7Policy` → `L7 Policy`).
 */
export const KIND_TITLES: Readonly<Record<OctaviaKind, string>> = {
  loadbalancer: 'Load Balancer',
  listener: 'Listener',
  pool: 'Pool',
  member: 'Member',
  healthmonitor: 'Health Monitor',
  l7policy: 'L7 Policy',
  l7rule: 'L7 Rule',
};

/** Load balancer statistics, summed over its listeners. */
export interface Stats {
  bytesIn: number;
  bytesOut: number;
  activeConnections: number;
  totalConnections: number;
  requestErrors: number;
}

export interface Network {
  id: NetworkId;
  projectId: string;
  name: string;
  description: string;
  adminStateUp: boolean;
  shared: boolean;
  mtu: number;
  status: 'ACTIVE';
  /**
   * The network's VXLAN id (VNI, Neutron's `provider:segmentation_id`), from the configured range
   * when the network was made; absent or null for networks that predate it or when none is set up.
   */
  segmentationId?: number | null;
  tags: string[];
  createdAt: string;
  updatedAt: string | null;
}

export interface Subnet {
  id: SubnetId;
  networkId: NetworkId;
  projectId: string;
  name: string;
  description: string;
  ipVersion: 4 | 6;
  cidr: string;
  gatewayIp: string | null;
  allocationPools: { start: string; end: string }[];
  enableDhcp: boolean;
  dnsNameservers: string[];
  hostRoutes: { destination: string; nexthop: string }[];
  tags: string[];
  createdAt: string;
  updatedAt: string | null;
}

/** The device_owner of the ports Fulcrum allocates for a load balancer, VIP and member subnets (Octavia's value). */
export const VIP_PORT_OWNER = 'Octavia';
/** The device owner of an ACTIVE_STANDBY side's own port on the VIP network (Octavia's `octavia-lb-vrrp-<amphora id>`). */
export const VRRP_PORT_OWNER = 'Octavia:vrrp';

export interface FixedIp {
  subnetId: SubnetId;
  ipAddress: string;
}

export interface Port {
  id: PortId;
  networkId: NetworkId;
  projectId: string;
  name: string;
  description: string;
  adminStateUp: boolean;
  macAddress: string;
  fixedIps: FixedIp[];
  deviceOwner: string;
  deviceId: string;
  status: 'ACTIVE' | 'DOWN';
  tags: string[];
  createdAt: string;
  updatedAt: string | null;
}

/**
 * The whole desired state of one load balancer: immutable, built once by the store,
 * checked for consistency once ({@link checkGraph}), then handed to the agent.
 */
/** One side of an ACTIVE_STANDBY pair (an amphora with its own port on the VIP network). */
export interface VrrpSide {
  amphoraId: string;
  role: 'MASTER' | 'BACKUP';
  /** Its own address on the VIP network (VRRP adverts and HAProxy peers go between these). */
  address: string;
  /** The port holding that address (plugged on this side instead of the VIP port). */
  port: Port;
}

/** An ACTIVE_STANDBY load balancer as one of its sides sees it. */
export interface ActiveStandby {
  /** The side this graph is for. */
  self: VrrpSide;
  /** The other side. */
  peer: VrrpSide;
}

export interface LoadBalancerGraph {
  loadBalancer: LoadBalancer;
  listeners: readonly Listener[];
  pools: readonly Pool[];
  members: readonly Member[];
  healthMonitors: readonly HealthMonitor[];
  l7Policies: readonly L7Policy[];
  l7Rules: readonly L7Rule[];
  /** The VIP port. */
  vipPort: Port | null;
  /** The ports the load balancer owns on its members' subnets (Octavia plugs one per member subnet). */
  memberPorts: readonly Port[];
  /** The subnets of those ports and of the members (for prefixes, gateways and routes). */
  subnets: readonly Subnet[];
  /** The networks of the VIP port and the member ports (for their MTU). */
  networks: readonly Network[];
  /** What the load balancer's flavor sets (absent: no flavor, the provider's defaults). */
  flavor?: FlavorSettings;
  /**
   * The data-plane instance that should run it (Octavia's amphora id). When it differs from the
   * running one's, the provider tears the instance down and builds it again (a failover).
   */
  amphoraId?: string;
  /**
   * ACTIVE_STANDBY: the pair, and which side the reading agent builds (absent: topology SINGLE).
   * That side plugs its own VRRP port instead of the VIP port; keepalived holds the VIP.
   */
  activeStandby?: ActiveStandby;
  /**
   * The certificates, CAs and CRLs the listeners and pools reference, resolved by the agent from
   * the certificate store just before an apply (absent when nothing uses TLS).
   */
  tls?: TlsMaterial;
}
