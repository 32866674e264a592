/** @module domain/ipam — Neutron-style address management: CIDRs, gateways, pools, allocation. Pure. */
import ipaddr from 'ipaddr.js';

/** An inclusive range of addresses in a subnet. */
export interface AllocationPool {
  start: string;
  end: string;
}

/** A validation failure that names the field at fault. */
export class IpamError extends Error {
  constructor(readonly field: string, message: string) {
    super(message);
    this.name = 'IpamError';
  }
}

const V4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

function toBig(addr: ipaddr.IPv4 | ipaddr.IPv6): bigint {
  return addr.toByteArray().reduce((acc, b) => (acc << 8n) | BigInt(b), 0n);
}

function fromBig(n: bigint, version: 4 | 6): string {
  const len = version === 4 ? 4 : 16;
  const bytes: number[] = [];
  for (let i = 0; i < len; i++) bytes.unshift(Number((n >> BigInt(8 * i)) & 0xffn));
  return ipaddr.fromByteArray(bytes).toString();
}

function parseStrict(s: string): ipaddr.IPv4 | ipaddr.IPv6 | null {
  if (typeof s !== 'string') return null;
  if (!s.includes(':')) return V4.test(s) ? ipaddr.IPv4.parse(s) : null;
  // ipaddr.js 2.5 reads '::a.b.c.d' as '::ffff:a.b.c.d' (another address) and takes leading zeros in a dotted tail:
  // check the tail as IPv4 here and spell it as two hex groups.
  const dotted = /^(.*:)([^:]*\.[^:]*)$/.exec(s);
  if (dotted) {
    if (!V4.test(dotted[2]!)) return null;
    const [a, b, c, d] = dotted[2]!.split('.').map(Number) as [number, number, number, number];
    s = `${dotted[1]}${(a * 256 + b).toString(16)}:${(c * 256 + d).toString(16)}`;
  }
  return ipaddr.IPv6.isValid(s) && !s.includes('%') ? ipaddr.IPv6.parse(s) : null;
}

/**
 * A dotted quad as a number, or null: exactly what {@link V4} accepts (four decimal octets 0–255,
 * no leading zeros), read in one pass. allocateAddress reads every used address of a subnet on
 * each allocation; through the regular expression and ipaddr.js that was most of a load balancer
 * create's time with 1,000 VIPs on the subnet (bench/api, CPU profile).
 */
function ipv4Number(s: string): number | null {
  let value = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 46) { // '.'
      if (digits === 0 || dots === 3) return null;
      value = value * 256 + octet;
      octet = 0;
      digits = 0;
      dots++;
    } else if (c >= 48 && c <= 57) {
      if (digits > 0 && octet === 0) return null; // a leading zero
      octet = octet * 10 + (c - 48);
      if (octet > 255) return null;
      digits++;
    } else {
      return null;
    }
  }
  if (digits === 0 || dots !== 3) return null;
  return value * 256 + octet;
}

/** As canonicalAddress, with the field to blame when the address is not valid. */
function canonicalFor(field: string, s: string): string {
  const a = parseStrict(s);
  if (!a) throw new IpamError(field, `'${s}' is not a valid IP address.`);
  return a.toString();
}

/** Canonical form of one address (IPv6 compressed, lowercase). @throws IpamError('ip_address'). */
export function canonicalAddress(s: string): string {
  return canonicalFor('ip_address', s);
}

/** A parsed subnet CIDR. */
export interface Cidr {
  version: 4 | 6;
  network: string;
  prefixLength: number;
}

/** Parses a subnet CIDR whose host bits are zero. @throws IpamError('cidr'). */
export function parseCidr(s: string): Cidr {
  const m = /^([^/]+)\/(\d{1,3})$/.exec(String(s));
  const a = m ? parseStrict(m[1]!) : null;
  const bits = a?.kind() === 'ipv4' ? 32 : 128;
  const len = m ? Number(m[2]) : NaN;
  if (!m || !a || !(len >= 0 && len <= bits)) throw new IpamError('cidr', `'${s}' is not a valid IP subnet.`);
  const version = a.kind() === 'ipv4' ? 4 : 6;
  const mask = ((1n << BigInt(bits)) - 1n) ^ ((1n << BigInt(bits - len)) - 1n);
  const net = toBig(a) & mask;
  const network = fromBig(net, version);
  if (net !== toBig(a)) {
    throw new IpamError('cidr', `'${s}' isn't a recognized IP subnet cidr, '${network}/${len}' is recommended`);
  }
  if ((version === 4 && len > 30) || (version === 6 && len > 126)) {
    throw new IpamError('cidr', `Invalid CIDR ${s}: the prefix leaves no room for hosts.`);
  }
  return { version, network, prefixLength: len };
}

function range(cidr: string): { first: bigint; last: bigint; version: 4 | 6 } {
  const c = parseCidr(cidr);
  const bits = c.version === 4 ? 32 : 128;
  const first = toBig(ipaddr.parse(c.network));
  return { first, last: first + (1n << BigInt(bits - c.prefixLength)) - 1n, version: c.version };
}

/** True when the address lies inside the CIDR. */
export function addressInCidr(addr: string, cidr: string): boolean {
  const a = parseStrict(addr);
  if (!a) return false;
  const r = range(cidr);
  if ((a.kind() === 'ipv4' ? 4 : 6) !== r.version) return false;
  const n = toBig(a);
  return n >= r.first && n <= r.last;
}

/** The subnet's first host address (Neutron's default gateway). */
export function defaultGateway(cidr: string): string {
  const r = range(cidr);
  return fromBig(r.first + 1n, r.version);
}

/** The whole usable range minus the gateway, as one or two pools (Neutron's default). */
export function defaultAllocationPools(cidr: string, gateway: string | null): AllocationPool[] {
  const r = range(cidr);
  const first = r.first + 1n;
  const last = r.version === 4 ? r.last - 1n : r.last;
  const gw = gateway === null ? null : toBig(ipaddr.parse(canonicalAddress(gateway)));
  const pools: [bigint, bigint][] = gw !== null && gw >= first && gw <= last
    ? [[first, gw - 1n], [gw + 1n, last]] : [[first, last]];
  return pools.filter(([a, b]) => a <= b).map(([a, b]) => ({ start: fromBig(a, r.version), end: fromBig(b, r.version) }));
}

/** True when the address lies in one of the pools. */
export function addressInPools(addr: string, pools: readonly AllocationPool[]): boolean {
  const a = parseStrict(addr);
  if (!a) return false;
  const n = toBig(a);
  return pools.some((p) => {
    const start = ipaddr.parse(p.start);
    return start.kind() === a.kind() && n >= toBig(start) && n <= toBig(ipaddr.parse(p.end));
  });
}

/** True when two CIDRs share an address. */
export function cidrsOverlap(a: string, b: string): boolean {
  const x = range(a);
  const y = range(b);
  return x.version === y.version && x.first <= y.last && y.first <= x.last;
}

/** Validates a subnet's gateway and pools against its CIDR; returns them normalised. */
export function validateSubnet(input: {
  cidr: string; gatewayIp?: string | null; allocationPools?: readonly AllocationPool[]; ipVersion?: number;
}): { cidr: string; version: 4 | 6; gatewayIp: string | null; allocationPools: AllocationPool[] } {
  const c = parseCidr(input.cidr);
  if (input.ipVersion !== undefined && input.ipVersion !== c.version) {
    throw new IpamError('ip_version', `Invalid input for ip_version. Reason: cidr ${input.cidr} is not IPv${input.ipVersion}.`);
  }
  const cidr = `${c.network}/${c.prefixLength}`;
  const r = range(cidr);
  let gatewayIp: string | null;
  if (input.gatewayIp === undefined) gatewayIp = defaultGateway(cidr);
  else if (input.gatewayIp === null) gatewayIp = null;
  else {
    gatewayIp = canonicalFor('gateway_ip', input.gatewayIp);
    const g = toBig(ipaddr.parse(gatewayIp));
    if (!addressInCidr(gatewayIp, cidr) || (c.version === 4 && (g === r.first || g === r.last))) {
      throw new IpamError('gateway_ip', `Gateway IP ${gatewayIp} is not valid for subnet ${cidr}.`);
    }
  }
  let pools: AllocationPool[];
  if (input.allocationPools === undefined || input.allocationPools.length === 0) {
    pools = defaultAllocationPools(cidr, gatewayIp);
  } else {
    pools = input.allocationPools.map((p) => ({ start: canonicalFor('allocation_pools', p.start), end: canonicalFor('allocation_pools', p.end) }));
    const spans = pools.map((p) => [toBig(ipaddr.parse(p.start)), toBig(ipaddr.parse(p.end)), p] as const);
    // As Neutron: never the network address, nor the IPv4 broadcast address.
    const lowest = r.first + 1n;
    const highest = c.version === 4 ? r.last - 1n : r.last;
    for (const [s, e, p] of spans) {
      if (!addressInCidr(p.start, cidr) || !addressInCidr(p.end, cidr) || s > e || s < lowest || e > highest) {
        throw new IpamError('allocation_pools', `The allocation pool ${p.start}-${p.end} spans beyond the subnet cidr ${cidr}.`);
      }
    }
    const sorted = [...spans].sort((a, b) => (a[0] < b[0] ? -1 : 1));
    for (let i = 1; i < sorted.length; i++) {
      if (sorted[i]![0] <= sorted[i - 1]![1]) {
        throw new IpamError('allocation_pools', `Found overlapping allocation pools: ${sorted[i]![2].start}-${sorted[i]![2].end} and ${sorted[i - 1]![2].start}-${sorted[i - 1]![2].end}.`);
      }
    }
    if (gatewayIp !== null && addressInPools(gatewayIp, pools)) {
      const p = pools.find((x) => addressInPools(gatewayIp!, [x]))!;
      throw new IpamError('gateway_ip', `Gateway ip ${gatewayIp} conflicts with allocation pool ${p.start}-${p.end}`);
    }
  }
  return { cidr, version: c.version, gatewayIp, allocationPools: pools };
}

/** The lowest address of the pools that is not in `used`, or null when all are taken. */
export function allocateAddress(pools: readonly AllocationPool[], used: ReadonlySet<string>): string | null {
  const byStart = [...pools].sort((x, y) => {
    const a = toBig(ipaddr.parse(x.start));
    const b = toBig(ipaddr.parse(y.start));
    return a < b ? -1 : a > b ? 1 : 0;
  });
  // The used addresses as numbers, read once (IPv4 as plain numbers, IPv6 as bigints); the lowest
  // free address of a pool is then the first number from its start that is not taken. Linear in
  // the used addresses, with no sort: this runs in every VIP allocation, and a subnet holds
  // hundreds of VIPs.
  let v4: Set<number> | undefined;
  let v6: Set<bigint> | undefined;
  const takenV4 = (): Set<number> => {
    if (v4) return v4;
    v4 = new Set();
    for (const u of used) {
      const n = ipv4Number(u);
      if (n !== null) v4.add(n);
    }
    return v4;
  };
  const takenV6 = (): Set<bigint> => {
    if (v6) return v6;
    v6 = new Set();
    for (const u of used) {
      if (!u.includes(':')) continue;
      const a = parseStrict(u);
      if (a !== null && a.kind() === 'ipv6') v6.add(toBig(a));
    }
    return v6;
  };
  for (const p of byStart) {
    const start = ipaddr.parse(p.start);
    const s = toBig(start);
    const end = toBig(ipaddr.parse(p.end));
    if (start.kind() === 'ipv4') {
      const taken = takenV4();
      let candidate = Number(s);
      while (taken.has(candidate)) candidate++;
      if (candidate <= Number(end)) return fromBig(BigInt(candidate), 4);
    } else {
      const taken = takenV6();
      let candidate = s;
      while (taken.has(candidate)) candidate++;
      if (candidate <= end) return fromBig(candidate, 6);
    }
  }
  return null;
}

/** A MAC address with Neutron's default prefix `fa:16:3e`, from the given random source. */
export function generateMacAddress(randomBytes: (n: number) => Uint8Array): string {
  const b = randomBytes(3);
  return ['fa', '16', '3e', ...Array.from(b, (x) => x.toString(16).padStart(2, '0'))].join(':');
}
