/**
 * @module service/load-balancers — create, change and delete load balancers, their VIP ports,
 * status trees and statistics. Each write is one transaction that bumps the generation.
 */
import { FulcrumError, validationFailure } from '../domain/errors.js';
import { newId, type LoadBalancerId, type NetworkId, type PortId, type SubnetId } from '../domain/ids.js';
import { addressInCidr, canonicalAddress } from '../domain/ipam.js';
import { VIP_PORT_OWNER, VRRP_PORT_OWNER, type LoadBalancer, type Port, type Stats } from '../domain/model.js';
import type { OperatingStatus, ProvisioningStatus } from '../domain/status.js';
import { nowTimestamp } from '../domain/time.js';
import type { ListQuery, Store, Tx } from '../store/store.js';
import { owningProject, type Caller } from './context.js';
import { createGraph, type GraphListenerCreate, type GraphPoolCreate } from './graph.js';
import type { TlsResolver } from '../domain/tls.js';
import { checkGraphTls } from './certificates.js';
import { deletedL7Of } from './l7policies.js';
import { getVisible, listVisible, lockMutable, notFoundError, withRelations, type View } from './objects.js';
import { createPort, subnetsOf } from './ports.js';
import { scheduleLoadBalancer, type SchedulingOptions } from './scheduler.js';
import { resolveFlavorAndZone } from './flavors.js';
import { enforceQuotas } from './quotas.js';
import { flavorSettings, type AmphoraRole, type Capability, type Topology } from '../domain/operator.js';

/** What a new load balancer asks for (already shape-checked by the API). */
export interface LoadBalancerCreate {
  projectId?: string;
  name?: string;
  description?: string;
  adminStateUp?: boolean;
  vipAddress?: string;
  vipPortId?: string;
  vipSubnetId?: string;
  vipNetworkId?: string;
  vipQosPolicyId?: string;
  provider?: string;
  flavorId?: string;
  availabilityZone?: string;
  tags?: string[];
  listeners?: GraphListenerCreate[];
  pools?: GraphPoolCreate[];
}

export type LoadBalancerUpdate = Partial<Pick<LoadBalancer, 'name' | 'description' | 'adminStateUp' | 'vipQosPolicyId' | 'tags'>>;

/** The providers this deployment runs, and which one is used when a request names none. */
export interface ProviderConfig {
  enabled: readonly {
    name: string;
    description: string;
    /** What a flavor profile of this provider may set: each one really changes its data plane. */
    flavorCapabilities?: readonly Capability[];
    /** What an availability zone profile of this provider may say. */
    zoneCapabilities?: readonly Capability[];
  }[];
  defaultProvider: string;
  /**
   * The host name of this deployment's agent: a load balancer may be created in a zone only when
   * the zone's `hosts` name it (undefined: zones are not checked against hosts).
   */
  agentHost?: string;
}

/** Status tree node shapes (Octavia `GET …/loadbalancers/{id}/status`). */
export interface StatusTree {
  id: string; name: string; provisioningStatus: ProvisioningStatus; operatingStatus: OperatingStatus;
  listeners: {
    id: string; name: string; provisioningStatus: ProvisioningStatus; operatingStatus: OperatingStatus;
    pools: {
      id: string; name: string; provisioningStatus: ProvisioningStatus; operatingStatus: OperatingStatus;
      healthMonitor: { id: string; name: string; type: string; provisioningStatus: ProvisioningStatus; operatingStatus: OperatingStatus } | null;
      members: { id: string; name: string; provisioningStatus: ProvisioningStatus; operatingStatus: OperatingStatus; address: string; protocolPort: number }[];
    }[];
  }[];
}

/** Where the VIP goes, resolved from vip_port_id / vip_network_id / vip_subnet_id (Octavia's precedence). */
async function resolveVip(tx: Tx, input: LoadBalancerCreate, lbId: string, projectId: string): Promise<Port> {
  if (!input.vipPortId && !input.vipNetworkId && !input.vipSubnetId) {
    throw new FulcrumError('VALIDATION', 'Validation failure: VIP must contain one of: vip_port_id, vip_network_id, vip_subnet_id.', { field: 'vip_subnet_id' });
  }
  const address = input.vipAddress === undefined ? undefined : canonicalAddress(input.vipAddress);
  if (input.vipPortId) {
    const port = await tx.get('port', input.vipPortId);
    if (!port) throw new FulcrumError('VALIDATION', `Port ${input.vipPortId} not found.`, { field: 'vip_port_id' });
    if (port.deviceId) {
      throw validationFailure(`Port ${port.id} is already used by device ${port.deviceId} `, 'vip_port_id');
    }
    const fixed = port.fixedIps.find((f) => (input.vipSubnetId ? f.subnetId === input.vipSubnetId : true));
    if (!fixed) throw validationFailure(`Port ${port.id} has no address on subnet ${input.vipSubnetId ?? ''}`, 'vip_port_id');
    await tx.update('port', port.id, { deviceId: lbId, deviceOwner: port.deviceOwner || 'Octavia-user' });
    return { ...port, fixedIps: [fixed, ...port.fixedIps.filter((f) => f !== fixed)] };
  }
  let subnetId = input.vipSubnetId;
  let networkId = input.vipNetworkId;
  if (networkId) {
    const network = await tx.get('network', networkId);
    if (!network) throw new FulcrumError('VALIDATION', `Network ${networkId} not found.`, { field: 'vip_network_id' });
    const subnets = await subnetsOf(tx, networkId);
    if (subnetId) {
      if (!subnets.some((s) => s.id === subnetId)) {
        throw new FulcrumError('VALIDATION', `Subnet ${subnetId} not found.`, { field: 'vip_subnet_id' });
      }
    } else {
      const chosen = address !== undefined
        ? subnets.find((s) => addressInCidr(address, s.cidr))
        : subnets.find((s) => s.ipVersion === 4) ?? subnets[0];
      if (!chosen) throw validationFailure(`Supplied network does not contain a subnet for the VIP.`, 'vip_network_id');
      subnetId = chosen.id;
    }
  } else {
    const subnet = await tx.get('subnet', subnetId!);
    if (!subnet) throw new FulcrumError('VALIDATION', `Subnet ${subnetId} not found.`, { field: 'vip_subnet_id' });
    networkId = subnet.networkId;
  }
  return createPort(tx, {
    networkId: networkId!,
    projectId,
    name: `octavia-lb-${lbId}`,
    fixedIps: [{ subnetId: subnetId!, ...(address === undefined ? {} : { ipAddress: address }) }],
    deviceOwner: VIP_PORT_OWNER,
    deviceId: lbId,
  });
}

/** The topology a flavor sets (SINGLE without a flavor, as Octavia's default `loadbalancer_topology`). */
async function topologyOf(tx: Tx, flavorId: string | null): Promise<Topology> {
  if (flavorId === null) return 'SINGLE';
  const flavor = await tx.get('flavor', flavorId);
  const profile = flavor ? await tx.get('flavorprofile', flavor.flavorProfileId) : undefined;
  if (!profile) return 'SINGLE';
  return flavorSettings(JSON.parse(profile.flavorData) as Record<string, unknown>).loadbalancerTopology ?? 'SINGLE';
}

/**
 * Creates a load balancer (and, fully populated, its whole tree) in PENDING_CREATE, placed on an
 * agent in the same transaction (or left for the scheduler's sweep when no agent is alive).
 */
export async function createLoadBalancer(
  store: Store, caller: Caller, providers: ProviderConfig, input: LoadBalancerCreate, scheduling: SchedulingOptions = {}, tls?: TlsResolver,
): Promise<{ view: View<LoadBalancer>; children: Awaited<ReturnType<typeof createGraph>> }> {
  const projectId = owningProject(caller, input.projectId);
  if (input.provider !== undefined && !providers.enabled.some((p) => p.name === input.provider)) {
    throw new FulcrumError('VALIDATION', `Provider '${input.provider}' is not enabled.`, { field: 'provider' });
  }
  await checkGraphTls(tls, projectId, input);
  return store.transaction(async (tx) => {
    // Read in the transaction: a flavor or zone in use cannot be deleted, and this create uses it.
    const { provider, flavorId, availabilityZone } = await resolveFlavorAndZone(tx, providers, input);
    if (!providers.enabled.some((p) => p.name === provider)) {
      throw new FulcrumError('VALIDATION', `Provider '${provider}' is not enabled.`, { field: 'provider' });
    }
    const id = newId<'LoadBalancer'>() as LoadBalancerId;
    const port = await resolveVip(tx, input, id, projectId);
    const vip = port.fixedIps[0];
    const lb: LoadBalancer = {
      id,
      projectId,
      name: input.name ?? '',
      description: input.description ?? '',
      adminStateUp: input.adminStateUp ?? true,
      provisioningStatus: 'PENDING_CREATE',
      operatingStatus: 'OFFLINE',
      tags: input.tags ?? [],
      createdAt: nowTimestamp(),
      updatedAt: null,
      vipAddress: vip?.ipAddress ?? null,
      vipPortId: port.id as PortId,
      vipSubnetId: (vip?.subnetId ?? null) as SubnetId | null,
      vipNetworkId: port.networkId as NetworkId,
      vipQosPolicyId: input.vipQosPolicyId ?? null,
      provider,
      flavorId,
      availabilityZone,
      generation: 0,
      appliedGeneration: 0,
    };
    await tx.insert('loadbalancer', lb);
    const topology = await topologyOf(tx, flavorId);
    if (topology === 'ACTIVE_STANDBY' && providers.agentHost !== undefined) {
      // `fulcrum up` is one node: the pair's second side could never be placed.
      throw new FulcrumError('VALIDATION', 'An ACTIVE_STANDBY flavor needs two network nodes: run fulcrum server with fulcrum agent on each node.', { field: 'flavor_id' });
    }
    const roles: AmphoraRole[] = topology === 'ACTIVE_STANDBY' ? ['MASTER', 'BACKUP'] : ['STANDALONE'];
    await scheduleLoadBalancer(tx, lb, scheduling, roles);
    const children = await createGraph(tx, caller, lb, input.listeners ?? [], input.pools ?? []);
    await enforceQuotas(tx, projectId, [{ kind: 'loadbalancer', status: 'PENDING_CREATE' }, ...children.touched]);
    const generation = await tx.beginChange(id, 'PENDING_CREATE', children.touched);
    for (const role of roles) {
      const amphoraId = newId();
      // Each side of a pair has its own address on the VIP network, from the same IPAM as every port.
      const vrrp = role === 'STANDALONE' ? null : await createPort(tx, {
        networkId: port.networkId, projectId, name: `octavia-lb-vrrp-${amphoraId}`,
        fixedIps: [{ subnetId: vip!.subnetId }], deviceOwner: VRRP_PORT_OWNER, deviceId: id,
      });
      await tx.insert('amphora', {
        id: amphoraId, loadBalancerId: id, computeId: providers.agentHost ?? null, generation, createdAt: lb.createdAt, updatedAt: null,
        role, vrrpIp: vrrp?.fixedIps[0]?.ipAddress ?? null, vrrpPortId: vrrp?.id ?? null,
      });
    }
    const fresh = { ...lb, generation };
    const [view] = await withRelations(tx, 'loadbalancer', [fresh]);
    return { view: view!, children };
  });
}

/** Shows one load balancer. */
export async function getLoadBalancer(store: Store, caller: Caller, id: string): Promise<View<LoadBalancer>> {
  const lb = await getVisible(store, caller, 'loadbalancer', id);
  const [view] = await withRelations(store, 'loadbalancer', [lb]);
  return view!;
}

/** Lists load balancers. */
export async function listLoadBalancers(store: Store, caller: Caller, query: ListQuery): Promise<View<LoadBalancer>[]> {
  return withRelations(store, 'loadbalancer', await listVisible(store, caller, 'loadbalancer', query));
}

/** Changes a load balancer's own fields; it goes PENDING_UPDATE. */
export async function updateLoadBalancer(
  store: Store, caller: Caller, id: string, patch: LoadBalancerUpdate,
): Promise<View<LoadBalancer>> {
  return store.transaction(async (tx) => {
    await getVisible(tx, caller, 'loadbalancer', id);
    await lockMutable(tx, id);
    await tx.update('loadbalancer', id, patch);
    await tx.beginChange(id, 'PENDING_UPDATE', []);
    const lb = (await tx.get('loadbalancer', id))!;
    const [view] = await withRelations(tx, 'loadbalancer', [lb]);
    return view!;
  });
}

/** Deletes a load balancer; with children only when `cascade` (Octavia's 400 otherwise). */
export async function deleteLoadBalancer(store: Store, caller: Caller, id: string, cascade: boolean): Promise<void> {
  await store.transaction(async (tx) => {
    await getVisible(tx, caller, 'loadbalancer', id);
    const filter = { filters: { loadBalancerId: [id] } };
    const [listeners, pools] = await Promise.all([tx.list('listener', filter), tx.list('pool', filter)]);
    if ((listeners.length > 0 || pools.length > 0) && !cascade) {
      throw validationFailure(`Cannot delete Load Balancer ${id} - it has children`);
    }
    await lockMutable(tx, id, true);
    const [members, hms] = await Promise.all([tx.list('member', filter), tx.list('healthmonitor', filter)]);
    const touched = [
      ...listeners.map((o) => ({ kind: 'listener' as const, id: o.id, status: 'PENDING_DELETE' as const })),
      ...pools.map((o) => ({ kind: 'pool' as const, id: o.id, status: 'PENDING_DELETE' as const })),
      ...members.map((o) => ({ kind: 'member' as const, id: o.id, status: 'PENDING_DELETE' as const })),
      ...hms.map((o) => ({ kind: 'healthmonitor' as const, id: o.id, status: 'PENDING_DELETE' as const })),
      ...await deletedL7Of(tx, { loadBalancerId: id }),
    ];
    await tx.beginChange(id, 'PENDING_DELETE', touched);
  });
}

/**
 * The status tree of a load balancer: listeners → pools → health monitor and members. A
 * listener's pools are Octavia's `Listener.pools`: its default pool, then the redirect pools of
 * its enabled L7 policies that have rules, in position order. L7 policies themselves are not in
 * the tree (Octavia's is the same).
 */
export async function loadBalancerStatus(store: Store, caller: Caller, id: string): Promise<StatusTree> {
  const lb = await getVisible(store, caller, 'loadbalancer', id);
  const graph = await store.loadGraph(id);
  if (!graph) throw notFoundError('loadbalancer', id);
  const poolNode = (poolId: string): StatusTree['listeners'][number]['pools'][number] | undefined => {
    const pool = graph.pools.find((p) => p.id === poolId);
    if (!pool) return undefined;
    const hm = graph.healthMonitors.find((h) => h.poolId === pool.id);
    return {
      id: pool.id, name: pool.name, provisioningStatus: pool.provisioningStatus, operatingStatus: pool.operatingStatus,
      healthMonitor: hm ? {
        id: hm.id, name: hm.name, type: hm.type, provisioningStatus: hm.provisioningStatus, operatingStatus: hm.operatingStatus,
      } : null,
      members: graph.members.filter((m) => m.poolId === pool.id).map((m) => ({
        id: m.id, name: m.name, provisioningStatus: m.provisioningStatus, operatingStatus: m.operatingStatus,
        address: m.address, protocolPort: m.protocolPort,
      })),
    };
  };
  return {
    id: lb.id, name: lb.name, provisioningStatus: lb.provisioningStatus, operatingStatus: lb.operatingStatus,
    listeners: graph.listeners.map((l) => {
      const redirected = graph.l7Policies
        .filter((p) => p.listenerId === l.id && p.adminStateUp && p.redirectPoolId !== null && graph.l7Rules.some((r) => r.l7PolicyId === p.id))
        .map((p) => p.redirectPoolId!);
      const poolIds = [...new Set([...(l.defaultPoolId ? [l.defaultPoolId] : []), ...redirected])];
      return {
        id: l.id, name: l.name, provisioningStatus: l.provisioningStatus, operatingStatus: l.operatingStatus,
        pools: poolIds.map(poolNode).filter((p) => p !== undefined),
      };
    }),
  };
}

/** Statistics of a load balancer (summed over its listeners) or of one listener. */
export async function statistics(store: Store, caller: Caller, kind: 'loadbalancer' | 'listener', id: string): Promise<Stats> {
  await getVisible(store, caller, kind, id);
  return store.stats(kind, id);
}
