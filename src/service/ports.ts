/**
 * @module service/ports — ports on networks with addresses allocated from subnet pools
 * (Neutron's IPAM). Used by the Neutron-compatible API and for load balancer VIPs.
 */
import { randomBytes } from 'node:crypto';
import { FulcrumError } from '../domain/errors.js';
import { newId, type NetworkId, type PortId, type SubnetId } from '../domain/ids.js';
import { addressInCidr, allocateAddress, canonicalAddress, generateMacAddress } from '../domain/ipam.js';
import type { FixedIp, Port, Subnet } from '../domain/model.js';
import { nowTimestamp } from '../domain/time.js';
import { isUniqueViolation } from '../store/sql.js';
import type { Tx } from '../store/store.js';

/** What a new port asks for. */
export interface PortCreate {
  networkId: string;
  projectId: string;
  name?: string;
  description?: string;
  adminStateUp?: boolean;
  macAddress?: string;
  /** Each entry names a subnet, an address, or both; absent means one address from the first subnet. */
  fixedIps?: readonly { subnetId?: string; ipAddress?: string }[];
  deviceOwner?: string;
  deviceId?: string;
  tags?: string[];
}

/** Neutron's errors, with Neutron's type names (the Octavia API rewraps them where it differs). */
export const portErrors = {
  networkNotFound: (id: string) =>
    new FulcrumError('NOT_FOUND', `Network ${id} could not be found.`, { neutronType: 'NetworkNotFound' }),
  subnetNotFound: (id: string) =>
    new FulcrumError('NOT_FOUND', `Subnet ${id} could not be found.`, { neutronType: 'SubnetNotFound' }),
  addressInUse: (ip: string, subnetId: string) =>
    new FulcrumError('IP_IN_USE', `IP address ${ip} already allocated in subnet ${subnetId}`, {
      neutronType: 'IpAddressAlreadyAllocated', field: 'ip_address',
    }),
  exhausted: (networkId: string) =>
    new FulcrumError('IP_EXHAUSTED', `No more IP addresses available on network ${networkId}.`, {
      neutronType: 'IpAddressGenerationFailure',
    }),
  notInSubnet: (ip: string, subnetId: string) =>
    new FulcrumError('VALIDATION', `IP address ${ip} is not a valid IP for the specified subnet.`, {
      neutronType: 'InvalidIpForSubnet', field: 'ip_address',
    }),
  noSubnetForAddress: (ip: string, networkId: string) =>
    new FulcrumError('VALIDATION', `IP address ${ip} is not a valid IP for any of the subnets on network ${networkId}.`, {
      neutronType: 'InvalidIpForNetwork', field: 'ip_address',
    }),
};

/** The network's subnets, oldest first. */
export async function subnetsOf(tx: Tx, networkId: string): Promise<Subnet[]> {
  return tx.list('subnet', { filters: { networkId: [networkId] } });
}

/**
 * Picks one fixed IP on a subnet: the asked address when free, else the lowest free in its pools.
 * `chosen` holds addresses already picked for the same port (recorded after the port row exists).
 */
async function pickOn(tx: Tx, subnet: Subnet, ipAddress: string | undefined, chosen: readonly FixedIp[]): Promise<FixedIp> {
  const used = await tx.allocatedAddresses(subnet.id);
  for (const c of chosen) if (c.subnetId === subnet.id) used.add(c.ipAddress);
  let ip: string;
  if (ipAddress !== undefined) {
    ip = canonicalAddress(ipAddress);
    if (!addressInCidr(ip, subnet.cidr)) throw portErrors.notInSubnet(ip, subnet.id);
    if (used.has(ip) || ip === subnet.gatewayIp) throw portErrors.addressInUse(ip, subnet.id);
  } else {
    const free = allocateAddress(subnet.allocationPools, used);
    if (free === null) throw portErrors.exhausted(subnet.networkId);
    ip = free;
  }
  return { subnetId: subnet.id as SubnetId, ipAddress: ip };
}

/**
 * Creates a port and allocates its addresses in the caller's transaction.
 * @throws FulcrumError NOT_FOUND (network, subnet), IP_IN_USE, IP_EXHAUSTED, VALIDATION.
 */
export async function createPort(tx: Tx, input: PortCreate): Promise<Port> {
  const network = await tx.get('network', input.networkId);
  if (!network) throw portErrors.networkNotFound(input.networkId);
  const subnets = await subnetsOf(tx, network.id);
  const id = newId<'Port'>() as PortId;
  const fixedIps: FixedIp[] = [];
  const wanted = input.fixedIps ?? (subnets.length > 0 ? [{ subnetId: subnets[0]!.id }] : []);
  for (const want of wanted) {
    let subnet: Subnet | undefined;
    if (want.subnetId !== undefined) {
      subnet = subnets.find((s) => s.id === want.subnetId);
      if (!subnet) throw portErrors.subnetNotFound(want.subnetId);
    } else if (want.ipAddress !== undefined) {
      const ip = canonicalAddress(want.ipAddress);
      subnet = subnets.find((s) => addressInCidr(ip, s.cidr));
      if (!subnet) throw portErrors.noSubnetForAddress(ip, network.id);
    } else {
      continue;
    }
    fixedIps.push(await pickOn(tx, subnet, want.ipAddress, fixedIps));
  }
  const port: Port = {
    id,
    networkId: network.id as NetworkId,
    projectId: input.projectId,
    name: input.name ?? '',
    description: input.description ?? '',
    adminStateUp: input.adminStateUp ?? true,
    macAddress: input.macAddress ?? generateMacAddress((n) => randomBytes(n)),
    fixedIps,
    deviceOwner: input.deviceOwner ?? '',
    deviceId: input.deviceId ?? '',
    status: 'DOWN',
    tags: input.tags ?? [],
    createdAt: nowTimestamp(),
    updatedAt: null,
  };
  await tx.insert('port', port);
  // The allocation table's primary key is the final word: a racing writer gets a unique violation.
  for (const f of fixedIps) {
    try {
      await tx.allocateAddress(f.subnetId, f.ipAddress, id);
    } catch (err) {
      if (isUniqueViolation(err)) throw portErrors.addressInUse(f.ipAddress, f.subnetId);
      throw err;
    }
  }
  return port;
}

/** Deletes a port and frees its addresses. */
export async function deletePort(tx: Tx, portId: string): Promise<void> {
  await tx.releaseAddresses(portId);
  await tx.remove('port', portId);
}
