/**
 * @module service/networks — the Neutron-compatible networks, subnets and ports that load
 * balancers and members live on, so the embedded default needs no Neutron. Errors carry
 * Neutron's type names and wording.
 */
import { FulcrumError } from '../domain/errors.js';
import { newId, type NetworkId, type SubnetId } from '../domain/ids.js';
import { cidrsOverlap, IpamError, validateSubnet, type AllocationPool } from '../domain/ipam.js';
import type { Network, Port, Subnet } from '../domain/model.js';
import { nowTimestamp } from '../domain/time.js';
import type { ListQuery, Reader, StoredKind, Store, Tx } from '../store/store.js';
import { owningProject, type Caller } from './context.js';
import { createPort, deletePort, portErrors, subnetsOf, type PortCreate } from './ports.js';

type NetKind = 'network' | 'subnet' | 'port';
type NetObject = { network: Network; subnet: Subnet; port: Port };

const TITLES: Record<NetKind, string> = { network: 'Network', subnet: 'Subnet', port: 'Port' };

/** Neutron's 404 for a network object (`Network <id> could not be found.`). */
export function netNotFound(kind: NetKind, id: string): FulcrumError {
  return new FulcrumError('NOT_FOUND', `${TITLES[kind]} ${id} could not be found.`, { neutronType: `${TITLES[kind]}NotFound` });
}

/** Neutron's 400 for a value that failed a check (`Invalid input for <field>. Reason: …`). */
export function invalidInput(field: string, reason: string): FulcrumError {
  return new FulcrumError('VALIDATION', `Invalid input for ${field}. Reason: ${reason}`, { field, neutronType: 'HTTPBadRequest' });
}

function fromIpam(err: unknown): never {
  if (err instanceof IpamError) {
    const message = err.message.startsWith("'") ? `Invalid input for ${err.field}. Reason: ${err.message}` : err.message;
    throw new FulcrumError('VALIDATION', message, { field: err.field, neutronType: 'InvalidInput' });
  }
  throw err;
}

/** Networks are visible to their project and, when shared, to everyone. */
async function networkVisible(reader: Reader, caller: Caller, id: string): Promise<Network | undefined> {
  const net = await reader.get('network', id);
  if (!net) return undefined;
  return caller.isAdmin || net.projectId === caller.projectId || net.shared ? net : undefined;
}

/** One object the caller may see, or Neutron's 404. */
export async function getNetObject<K extends NetKind>(reader: Reader, caller: Caller, kind: K, id: string): Promise<NetObject[K]> {
  const obj = (kind === 'network' ? await networkVisible(reader, caller, id) : await reader.get(kind, id)) as NetObject[K] | undefined;
  if (!obj) throw netNotFound(kind, id);
  if (kind !== 'network' && !caller.isAdmin && obj.projectId !== caller.projectId) {
    // A subnet of a shared network is visible to everyone, as in Neutron.
    const net = kind === 'subnet' ? await networkVisible(reader, caller, (obj as Subnet).networkId) : undefined;
    if (!net?.shared) throw netNotFound(kind, id);
  }
  return obj;
}

/** The caller's objects (plus shared networks and their subnets), filtered, sorted and paged. */
export async function listNetObjects<K extends NetKind>(reader: Reader, caller: Caller, kind: K, query: ListQuery): Promise<NetObject[K][]> {
  if (caller.isAdmin) return (await reader.list(kind, query)) as NetObject[K][];
  if (!caller.projectId) return [];
  const all = (await reader.list(kind, { ...query, limit: null })) as NetObject[K][];
  const shared = new Set((await reader.list('network', { filters: { shared: [true] }, limit: null })).map((n) => n.id));
  const visible = all.filter((o) => o.projectId === caller.projectId ||
    (kind === 'network' && shared.has(o.id as string as NetworkId)) || (kind === 'subnet' && shared.has((o as Subnet).networkId)));
  return query.limit == null ? visible : visible.slice(0, query.limit);
}

/** Ids of each network's subnets (the `subnets` field of a network). */
export function subnetIdsOf(reader: Reader, networkIds: readonly string[]): Promise<Map<string, string[]>> {
  return reader.idsBy('subnet', 'networkId', networkIds);
}

async function ownedForWrite<K extends NetKind>(tx: Tx, caller: Caller, kind: K, id: string): Promise<NetObject[K]> {
  const obj = await getNetObject(tx, caller, kind, id);
  if (!caller.isAdmin && obj.projectId !== caller.projectId) throw netNotFound(kind, id);
  return obj;
}

export interface NetworkCreate {
  projectId?: string; name?: string; description?: string; adminStateUp?: boolean; shared?: boolean; mtu?: number;
}

/** VXLAN ids networks may take (Neutron's `vni_ranges`); the whole 24-bit space by default. */
export const DEFAULT_VNI_RANGE: readonly [number, number] = [1, 16_777_215];

/**
 * Creates a network with the lowest free VXLAN id (VNI) of `vniRange`, allocated under the
 * scheduling lock so concurrent creates never take one twice (the unique index backs it).
 * @throws FulcrumError NO_SEGMENT_AVAILABLE when the range is used up.
 */
export async function createNetwork(store: Store, caller: Caller, input: NetworkCreate, vniRange: readonly [number, number] = DEFAULT_VNI_RANGE): Promise<Network> {
  const projectId = owningProject(caller, input.projectId);
  if (input.shared && !caller.isAdmin) throw new FulcrumError('FORBIDDEN', "(rule:create_network and rule:create_network:shared) is disallowed by policy", { neutronType: 'PolicyNotAuthorized' });
  const network: Network = {
    id: newId<'Network'>() as NetworkId, projectId, name: input.name ?? '', description: input.description ?? '',
    adminStateUp: input.adminStateUp ?? true, shared: input.shared ?? false, mtu: input.mtu ?? 1500,
    status: 'ACTIVE', tags: [], createdAt: nowTimestamp(), updatedAt: null,
  };
  return store.transaction(async (tx) => {
    await tx.lockScheduling();
    const used = await tx.segmentationIds();
    let vni = vniRange[0];
    while (used.has(vni) && vni <= vniRange[1]) vni++;
    if (vni > vniRange[1]) {
      throw new FulcrumError('NO_SEGMENT_AVAILABLE', 'Unable to create the network. No tenant network is available for allocation.', {
        neutronType: 'NoNetworkAvailable', detail: `every VNI of ${vniRange.join(':')} is taken`,
      });
    }
    const withVni = { ...network, segmentationId: vni };
    await tx.insert('network', withVni);
    return withVni;
  });
}

export type NetworkUpdate = Partial<Pick<Network, 'name' | 'description' | 'adminStateUp' | 'shared' | 'mtu'>>;

export async function updateNetwork(store: Store, caller: Caller, id: string, patch: NetworkUpdate): Promise<Network> {
  return store.transaction(async (tx) => {
    await ownedForWrite(tx, caller, 'network', id);
    if (patch.shared !== undefined && !caller.isAdmin) throw new FulcrumError('FORBIDDEN', 'rule:update_network:shared is disallowed by policy', { neutronType: 'PolicyNotAuthorized' });
    await tx.update('network', id, { ...patch, updatedAt: nowTimestamp() });
    return (await tx.get('network', id))!;
  });
}

/** Deletes a network with its subnets; 409 NetworkInUse while it has ports (as Neutron). */
export async function deleteNetwork(store: Store, caller: Caller, id: string): Promise<void> {
  await store.transaction(async (tx) => {
    await ownedForWrite(tx, caller, 'network', id);
    const ports = await tx.list('port', { filters: { networkId: [id] }, limit: 1 });
    if (ports.length > 0) {
      throw new FulcrumError('IN_USE', `Unable to complete operation on network ${id}. There are one or more ports still in use on the network.`, { neutronType: 'NetworkInUse' });
    }
    for (const s of await subnetsOf(tx, id)) await tx.remove('subnet', s.id);
    await tx.remove('network', id);
  });
}

export interface SubnetCreate {
  networkId: string; projectId?: string; name?: string; description?: string; ipVersion: number; cidr: string;
  gatewayIp?: string | null; allocationPools?: AllocationPool[]; enableDhcp?: boolean;
  dnsNameservers?: string[]; hostRoutes?: { destination: string; nexthop: string }[];
}

export async function createSubnet(store: Store, caller: Caller, input: SubnetCreate): Promise<Subnet> {
  const projectId = owningProject(caller, input.projectId);
  return store.transaction(async (tx) => {
    const network = await getNetObject(tx, caller, 'network', input.networkId);
    if (!caller.isAdmin && network.projectId !== caller.projectId) {
      throw new FulcrumError('FORBIDDEN', 'Tenant is not allowed to create subnets on this network.', { neutronType: 'HTTPForbidden' });
    }
    let v: ReturnType<typeof validateSubnet>;
    try {
      v = validateSubnet({
        cidr: input.cidr, ipVersion: input.ipVersion,
        ...(input.gatewayIp !== undefined ? { gatewayIp: input.gatewayIp } : {}),
        ...(input.allocationPools !== undefined ? { allocationPools: input.allocationPools } : {}),
      });
    } catch (err) {
      fromIpam(err);
    }
    for (const other of await subnetsOf(tx, network.id)) {
      if (cidrsOverlap(other.cidr, v.cidr)) {
        throw new FulcrumError('VALIDATION', `Invalid input for operation: Requested subnet with cidr: ${v.cidr} for network: ${network.id} overlaps with another subnet.`, { field: 'cidr', neutronType: 'InvalidInput' });
      }
    }
    const subnet: Subnet = {
      id: newId<'Subnet'>() as SubnetId, networkId: network.id, projectId, name: input.name ?? '',
      description: input.description ?? '', ipVersion: v.version, cidr: v.cidr, gatewayIp: v.gatewayIp,
      allocationPools: v.allocationPools, enableDhcp: input.enableDhcp ?? true, dnsNameservers: input.dnsNameservers ?? [],
      hostRoutes: input.hostRoutes ?? [], tags: [], createdAt: nowTimestamp(), updatedAt: null,
    };
    await tx.insert('subnet', subnet);
    return subnet;
  });
}

export type SubnetUpdate = Partial<Pick<Subnet, 'name' | 'description' | 'gatewayIp' | 'allocationPools' | 'enableDhcp' | 'dnsNameservers' | 'hostRoutes'>>;

/** Updates a subnet; a new gateway or pools are checked against the CIDR as on create. */
export async function updateSubnet(store: Store, caller: Caller, id: string, patch: SubnetUpdate): Promise<Subnet> {
  return store.transaction(async (tx) => {
    const subnet = await ownedForWrite(tx, caller, 'subnet', id);
    const next: Partial<Subnet> = { ...patch };
    if (patch.gatewayIp !== undefined || patch.allocationPools !== undefined) {
      try {
        const v = validateSubnet({
          cidr: subnet.cidr, gatewayIp: patch.gatewayIp !== undefined ? patch.gatewayIp : subnet.gatewayIp,
          allocationPools: patch.allocationPools ?? subnet.allocationPools,
        });
        next.gatewayIp = v.gatewayIp;
        next.allocationPools = v.allocationPools;
      } catch (err) {
        fromIpam(err);
      }
      if (next.gatewayIp && (await tx.allocatedAddresses(id)).has(next.gatewayIp)) {
        throw portErrors.addressInUse(next.gatewayIp, id);
      }
    }
    await tx.update('subnet', id, { ...next, updatedAt: nowTimestamp() });
    return (await tx.get('subnet', id))!;
  });
}

/** Deletes a subnet; 409 SubnetInUse while a port has an address on it (as Neutron). */
export async function deleteSubnet(store: Store, caller: Caller, id: string): Promise<void> {
  await store.transaction(async (tx) => {
    await ownedForWrite(tx, caller, 'subnet', id);
    if ((await tx.allocatedAddresses(id)).size > 0) {
      throw new FulcrumError('IN_USE', `Unable to complete operation on subnet ${id}: One or more ports have an IP allocation from this subnet.`, { neutronType: 'SubnetInUse' });
    }
    await tx.remove('subnet', id);
  });
}

/** Creates a port on a network the caller may use. */
export async function createNetworkPort(store: Store, caller: Caller, input: Omit<PortCreate, 'projectId'> & { projectId?: string }): Promise<Port> {
  const projectId = owningProject(caller, input.projectId);
  return store.transaction(async (tx) => {
    await getNetObject(tx, caller, 'network', input.networkId);
    return createPort(tx, { ...input, projectId }).catch(fromIpam);
  });
}

export type PortUpdate = Partial<Pick<Port, 'name' | 'description' | 'adminStateUp' | 'deviceOwner' | 'deviceId'>>;

export async function updateNetworkPort(store: Store, caller: Caller, id: string, patch: PortUpdate): Promise<Port> {
  return store.transaction(async (tx) => {
    await ownedForWrite(tx, caller, 'port', id);
    await tx.update('port', id, { ...patch, updatedAt: nowTimestamp() });
    return (await tx.get('port', id))!;
  });
}

/**
 * Deletes a port. A load balancer's VIP port cannot be deleted while the load balancer exists
 * (Neutron's ServicePortInUse): deleting it would silently take the VIP away.
 */
export async function deleteNetworkPort(store: Store, caller: Caller, id: string): Promise<void> {
  await store.transaction(async (tx) => {
    await ownedForWrite(tx, caller, 'port', id);
    const users = await tx.list('loadbalancer', { filters: { vipPortId: [id] }, limit: 1 });
    if (users.length > 0) {
      throw new FulcrumError('IN_USE', `Port ${id} cannot be deleted directly via the port API: it is the VIP port of load balancer ${users[0]!.id}.`, { neutronType: 'ServicePortInUse' });
    }
    await deletePort(tx, id);
  });
}

/** Which domain kinds the network API serves (for list field maps). */
export const NET_KINDS: readonly (NetKind & StoredKind)[] = ['network', 'subnet', 'port'];
