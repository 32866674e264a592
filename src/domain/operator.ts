/**
 * @module domain/operator — what operators manage: quotas, flavor profiles and flavors,
 * availability zone profiles and zones, amphorae (the running data-plane instances), and the
 * flavor and zone capabilities a provider really applies. Pure: no I/O.
 */

/** The quota resources, in domain names, with the Octavia wire names (new and deprecated). */
export const QUOTA_RESOURCES = ['loadBalancer', 'listener', 'pool', 'member', 'healthMonitor', 'l7policy', 'l7rule'] as const;
export type QuotaResource = (typeof QUOTA_RESOURCES)[number];

/** A limit per resource: -1 unlimited, 0 none allowed, null (per project) the default. */
export type QuotaLimits = Record<QuotaResource, number | null>;

/** One project's quota row (`id` is the project id). */
export interface Quota extends QuotaLimits {
  id: string;
}

/** Octavia's `MIN_QUOTA` / `MAX_QUOTA`. */
export const MIN_QUOTA = -1;
export const MAX_QUOTA = 2_000_000_000;

/** The Octavia object kinds counted against each quota resource. */
export const QUOTA_KIND: Readonly<Record<QuotaResource, 'loadbalancer' | 'listener' | 'pool' | 'member' | 'healthmonitor' | 'l7policy' | 'l7rule'>> = {
  loadBalancer: 'loadbalancer', listener: 'listener', pool: 'pool', member: 'member', healthMonitor: 'healthmonitor',
  l7policy: 'l7policy', l7rule: 'l7rule',
};

/** The names Octavia's QuotaException prints (`Quota has been met for resources: Load Balancer`). */
export const QUOTA_TITLES: Readonly<Record<QuotaResource, string>> = {
  loadBalancer: 'Load Balancer', listener: 'Listener', pool: 'Pool', member: 'Member', healthMonitor: 'Health Monitor',
  l7policy: 'L7 Policy', l7rule: 'L7 Rule',
};

export interface FlavorProfile {
  id: string;
  name: string;
  providerName: string;
  /** The JSON text as given (Octavia stores and shows it as a string). */
  flavorData: string;
}

export interface Flavor {
  id: string;
  name: string;
  description: string;
  enabled: boolean;
  flavorProfileId: string;
}

export interface AvailabilityZoneProfile {
  id: string;
  name: string;
  providerName: string;
  availabilityZoneData: string;
}

/** An availability zone; zones are named, not numbered (`id` is the name, kept for the store). */
export interface AvailabilityZone {
  id: string;
  name: string;
  description: string;
  enabled: boolean;
  availabilityZoneProfileId: string;
}

/**
 * One data-plane instance of a load balancer (Octavia's amphora). A failover replaces it with a
 * new one (new id) created at the generation that rebuilds it.
 */
export interface Amphora {
  id: string;
  loadBalancerId: string;
  /** The agent host it runs on (null: the host of the one-process agent). */
  computeId: string | null;
  /** The load balancer generation that builds this instance: it is BOOTING until that is applied. */
  generation: number;
  /** STANDALONE (topology SINGLE), or MASTER / BACKUP: one side of an ACTIVE_STANDBY pair (Octavia's amphora roles). */
  role: AmphoraRole;
  /** ACTIVE_STANDBY: this side's own address on the VIP network (VRRP adverts, HAProxy peers), else null. */
  vrrpIp: string | null;
  /** ACTIVE_STANDBY: the port holding {@link vrrpIp} (allocated by the network service, freed with the load balancer). */
  vrrpPortId: string | null;
  createdAt: string;
  updatedAt: string | null;
}

/** Octavia's amphora roles. */
export type AmphoraRole = 'STANDALONE' | 'MASTER' | 'BACKUP';

/** VRRP priorities of a pair's sides (Octavia's `vrrp_priority`: MASTER 100, BACKUP 90). */
export const VRRP_PRIORITY: Readonly<Record<'MASTER' | 'BACKUP', number>> = { MASTER: 100, BACKUP: 90 };
/** The VRRP router id of every pair: adverts are unicast between the two sides, so ids never meet (Octavia's `vrrp_id` 1). */
export const VRRP_ID = 1;

/** Octavia's load balancer topologies: one instance, or two with keepalived VRRP moving the VIP. */
export type Topology = 'SINGLE' | 'ACTIVE_STANDBY';

/** What a flavor sets for HAProxy: the values of the provider's flavor capabilities. */
export interface FlavorSettings {
  loadbalancerTopology?: Topology;
  /** HAProxy's global maxconn. */
  maxconn?: number;
  /** HAProxy's nbthread. */
  nbthread?: number;
}

/** What an availability zone profile says (`{"hosts": [...]}`). */
export interface ZoneSettings {
  /** The agents' host names that may run the zone's load balancers. */
  hosts?: string[];
}

/**
 * The highest global maxconn a flavor may set: HAProxy 2.6 (`strict-limits`) refuses to start
 * above about 9.9 k connections under the 20,000 file-descriptor cap measured here
 * (peers/haproxy-lab/RESULTS.md).
 */
export const MAX_FLAVOR_MAXCONN = 9900;
/** HAProxy 2.6's default MAX_THREADS. */
export const MAX_FLAVOR_NBTHREAD = 64;

/** A capability a provider offers in flavors or zones: its name, description and value check. */
export interface Capability {
  name: string;
  description: string;
  /** Null when the value is acceptable, else why not (for the 400/501 message). */
  check(value: unknown): { unsupported: boolean; why: string } | null;
}

const isInt = (v: unknown, min: number, max: number): boolean => typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;
const HOST_NAME = /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

/** The flavor capabilities of the HAProxy provider: each one is written into haproxy.cfg. */
export const HAPROXY_FLAVOR_CAPABILITIES: readonly Capability[] = [
  {
    name: 'loadbalancer_topology',
    description: 'The load balancer topology. One of: SINGLE - One amphora per load balancer. ACTIVE_STANDBY - Two amphora per load balancer (HAProxy on two agents, keepalived VRRP moving the VIP).',
    check: (v) => v === 'SINGLE' || v === 'ACTIVE_STANDBY' ? null
      : { unsupported: false, why: `loadbalancer_topology must be SINGLE or ACTIVE_STANDBY` },
  },
  {
    name: 'maxconn',
    description: `HAProxy's global maxconn for the load balancer (1-${MAX_FLAVOR_MAXCONN}: the file-descriptor cap).`,
    check: (v) => isInt(v, 1, MAX_FLAVOR_MAXCONN) ? null : { unsupported: false, why: `maxconn must be an integer from 1 to ${MAX_FLAVOR_MAXCONN}` },
  },
  {
    name: 'nbthread',
    description: `HAProxy's number of threads for the load balancer (1-${MAX_FLAVOR_NBTHREAD}).`,
    check: (v) => isInt(v, 1, MAX_FLAVOR_NBTHREAD) ? null : { unsupported: false, why: `nbthread must be an integer from 1 to ${MAX_FLAVOR_NBTHREAD}` },
  },
];

/** The availability zone capabilities of the HAProxy provider. */
export const HAPROXY_ZONE_CAPABILITIES: readonly Capability[] = [
  {
    name: 'hosts',
    description: 'The host names of the network-node agents that may run load balancers of this zone.',
    check: (v) => Array.isArray(v) && v.length > 0 && v.length <= 1000 && v.every((h) => typeof h === 'string' && HOST_NAME.test(h))
      ? null : { unsupported: false, why: 'hosts must be a non-empty list of host names' },
  },
];

/** Flavor data (already parsed) as settings; the data was checked against the capabilities. */
export function flavorSettings(data: Readonly<Record<string, unknown>>): FlavorSettings {
  const out: FlavorSettings = {};
  if (data.loadbalancer_topology === 'SINGLE' || data.loadbalancer_topology === 'ACTIVE_STANDBY') out.loadbalancerTopology = data.loadbalancer_topology;
  if (typeof data.maxconn === 'number') out.maxconn = data.maxconn;
  if (typeof data.nbthread === 'number') out.nbthread = data.nbthread;
  return out;
}

/** Zone data (already parsed) as settings. */
export function zoneSettings(data: Readonly<Record<string, unknown>>): ZoneSettings {
  return Array.isArray(data.hosts) ? { hosts: data.hosts.filter((h): h is string => typeof h === 'string') } : {};
}
