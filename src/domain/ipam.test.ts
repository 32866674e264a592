/** @module domain/ipam.test — addresses, CIDRs, gateways, pools, allocation and MACs, for IPv4 and IPv6, beside Neutron's rules. */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import {
  addressInCidr, addressInPools, allocateAddress, canonicalAddress, cidrsOverlap, defaultAllocationPools, defaultGateway,
  generateMacAddress, IpamError, parseCidr, validateSubnet, type AllocationPool,
} from './ipam.js';

/** Asserts that fn throws an IpamError blaming `field`, with a message matching `message`. */
function throwsIpam(fn: () => unknown, field: string, message: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof IpamError, `not an IpamError: ${String(err)}`);
    assert.equal(err.field, field);
    assert.match(err.message, message);
    return true;
  });
}

const pool = (start: string, end: string): AllocationPool => ({ start, end });

test('canonicalAddress: IPv4 as written, IPv6 lowercase and compressed as RFC 5952 §4', () => {
  const table: [string, string][] = [
    ['10.0.0.1', '10.0.0.1'], ['0.0.0.0', '0.0.0.0'], ['255.255.255.255', '255.255.255.255'],
    ['2001:DB8:0:0:0:0:0:1', '2001:db8::1'], ['2001:0db8::0001', '2001:db8::1'], ['::', '::'], ['::1', '::1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'], // the first of two equal runs of zeros is the one compressed
    ['2001:0:0:1:0:0:0:1', '2001:0:0:1::1'], // the longest run is compressed
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'], // a single zero group is not
    ['::ffff:10.0.0.1', '::ffff:a00:1'], // Neutron (netaddr) prints '::ffff:10.0.0.1'; same address
  ];
  for (const [input, canonical] of table) assert.equal(canonicalAddress(input), canonical, input);
});

test('canonicalAddress refuses what Neutron refuses: leading zeros, short forms, zones, spaces, prefixes', () => {
  for (const bad of ['010.0.0.1', '10.0.0', '10.0.0.256', '10.0.0.1.', ' 10.0.0.1', '10.0.0.1 ', '10.0.0.1/32', '',
    'localhost', 'fe80::1%eth0', '1::2::3', '12345::', ':::', '1:2:3:4:5:6:7:8:9', '::ffff:1.2.3']) {
    throwsIpam(() => canonicalAddress(bad), 'ip_address', /is not a valid IP address/);
  }
});

test('canonicalAddress reads a dotted IPv4 tail exactly: ::a.b.c.d stays itself, no leading zeros', () => {
  // Bug: ipaddr.js 2.5 parses '::a.b.c.d' as '::ffff:a.b.c.d', so '::10.0.0.1' came back as '::ffff:a00:1',
  // and it took '::ffff:010.0.0.1' although '010.0.0.1' is refused.
  throwsIpam(() => canonicalAddress('::ffff:010.0.0.1'), 'ip_address', /is not a valid IP address/);
  assert.equal(canonicalAddress('::10.0.0.1'), '::a00:1');
  assert.equal(canonicalAddress('2001:db8::192.0.2.1'), '2001:db8::c000:201');
  assert.equal(canonicalAddress('ffff::1.2.3.4'), 'ffff::102:304');
  assert.equal(addressInCidr('::10.0.0.1', '::ffff:0:0/96'), false);
});

test('parseCidr accepts network addresses and normalises IPv6 case', () => {
  const table: [string, ReturnType<typeof parseCidr>][] = [
    ['10.0.0.0/8', { version: 4, network: '10.0.0.0', prefixLength: 8 }],
    ['192.168.1.128/25', { version: 4, network: '192.168.1.128', prefixLength: 25 }],
    ['192.168.0.0/30', { version: 4, network: '192.168.0.0', prefixLength: 30 }],
    ['0.0.0.0/0', { version: 4, network: '0.0.0.0', prefixLength: 0 }],
    ['2001:DB8::/64', { version: 6, network: '2001:db8::', prefixLength: 64 }],
    ['2001:db8:0:0::/126', { version: 6, network: '2001:db8::', prefixLength: 126 }],
    ['::/0', { version: 6, network: '::', prefixLength: 0 }],
  ];
  for (const [input, parsed] of table) assert.deepEqual(parseCidr(input), parsed, input);
});

test('parseCidr refuses a CIDR with host bits set and recommends its network (Neutron would normalise it)', () => {
  throwsIpam(() => parseCidr('10.0.0.5/24'), 'cidr', /'10\.0\.0\.5\/24' isn't a recognized IP subnet cidr, '10\.0\.0\.0\/24' is recommended/);
  throwsIpam(() => parseCidr('192.168.1.129/25'), 'cidr', /'192\.168\.1\.128\/25' is recommended/);
  throwsIpam(() => parseCidr('2001:db8::1/64'), 'cidr', /'2001:db8::\/64' is recommended/);
});

test('parseCidr refuses /31 /32 /127 /128 (Neutron accepts them: RFC 3021 pools, single-address pools)', () => {
  for (const cidr of ['10.0.0.0/31', '10.0.0.0/32', '2001:db8::/127', '2001:db8::/128']) {
    throwsIpam(() => parseCidr(cidr), 'cidr', /leaves no room for hosts/);
  }
});

test('parseCidr refuses what is not a CIDR', () => {
  for (const bad of ['10.0.0.0', '10.0.0.0/', '10.0.0.0/33', '2001:db8::/129', '10/8', '10.0.0/24', 'x/24', '10.0.0.0/-1',
    '10.0.0.0/ 24', '10.0.0.0/24/1', '010.0.0.0/8', 'fe80::%eth0/64']) {
    throwsIpam(() => parseCidr(bad), 'cidr', /is not a valid IP subnet/);
  }
});

test('defaultGateway is the first host address', () => {
  assert.equal(defaultGateway('10.0.0.0/24'), '10.0.0.1');
  assert.equal(defaultGateway('10.1.2.128/25'), '10.1.2.129');
  assert.equal(defaultGateway('2001:db8::/64'), '2001:db8::1');
});

test('defaultAllocationPools: the hosts minus the gateway, as Neutron generate_pools', () => {
  const table: [string, string | null, AllocationPool[]][] = [
    ['10.0.0.0/24', '10.0.0.1', [pool('10.0.0.2', '10.0.0.254')]],
    ['10.0.0.0/24', null, [pool('10.0.0.1', '10.0.0.254')]],
    ['10.0.0.0/24', '10.0.0.100', [pool('10.0.0.1', '10.0.0.99'), pool('10.0.0.101', '10.0.0.254')]],
    ['10.0.0.0/24', '10.0.0.254', [pool('10.0.0.1', '10.0.0.253')]],
    ['10.0.0.0/24', '192.168.0.1', [pool('10.0.0.1', '10.0.0.254')]],
    ['10.0.0.0/30', '10.0.0.1', [pool('10.0.0.2', '10.0.0.2')]],
    ['10.0.0.0/30', '10.0.0.2', [pool('10.0.0.1', '10.0.0.1')]],
    ['2001:db8::/64', '2001:db8::1', [pool('2001:db8::2', '2001:db8::ffff:ffff:ffff:ffff')]], // IPv6 has no broadcast
    ['2001:db8::/126', '2001:db8::1', [pool('2001:db8::2', '2001:db8::3')]],
    ['2001:db8::/126', '2001:DB8::3', [pool('2001:db8::1', '2001:db8::2')]],
  ];
  for (const [cidr, gateway, pools] of table) assert.deepEqual(defaultAllocationPools(cidr, gateway), pools, `${cidr} gw ${gateway}`);
});

test('validateSubnet fills in Neutron defaults and returns canonical values', () => {
  assert.deepEqual(validateSubnet({ cidr: '10.0.0.0/24', ipVersion: 4 }),
    { cidr: '10.0.0.0/24', version: 4, gatewayIp: '10.0.0.1', allocationPools: [pool('10.0.0.2', '10.0.0.254')] });
  assert.deepEqual(validateSubnet({ cidr: '2001:DB8::/64', gatewayIp: '2001:DB8::FE' }), {
    cidr: '2001:db8::/64', version: 6, gatewayIp: '2001:db8::fe',
    allocationPools: [pool('2001:db8::1', '2001:db8::fd'), pool('2001:db8::ff', '2001:db8::ffff:ffff:ffff:ffff')],
  });
  assert.deepEqual(validateSubnet({ cidr: '10.0.0.0/29', gatewayIp: null }).allocationPools, [pool('10.0.0.1', '10.0.0.6')]);
  assert.deepEqual(validateSubnet({ cidr: '10.0.0.0/29', allocationPools: [] }).allocationPools, [pool('10.0.0.2', '10.0.0.6')]);
  // IPv6 has no broadcast and Neutron lets the gateway be the subnet-router anycast address or the last one.
  assert.equal(validateSubnet({ cidr: '2001:db8::/64', gatewayIp: '2001:db8::' }).gatewayIp, '2001:db8::');
  assert.equal(validateSubnet({ cidr: '2001:db8::/126', gatewayIp: '2001:db8::3' }).gatewayIp, '2001:db8::3');
});

test('validateSubnet keeps explicit pools in the order given, canonical; adjacent pools do not overlap', () => {
  const v = validateSubnet({ cidr: '2001:db8::/64', allocationPools: [pool('2001:DB8::20', '2001:db8::2f'), pool('2001:db8::10', '2001:db8::1F')] });
  assert.deepEqual(v.allocationPools, [pool('2001:db8::20', '2001:db8::2f'), pool('2001:db8::10', '2001:db8::1f')]);
  assert.equal(v.gatewayIp, '2001:db8::1');
  const w = validateSubnet({ cidr: '10.0.0.0/24', allocationPools: [pool('10.0.0.2', '10.0.0.9'), pool('10.0.0.10', '10.0.0.254')] });
  assert.deepEqual(w.allocationPools, [pool('10.0.0.2', '10.0.0.9'), pool('10.0.0.10', '10.0.0.254')]);
});

test('validateSubnet refuses bad input and names the field', () => {
  const table: [Parameters<typeof validateSubnet>[0], string, RegExp][] = [
    [{ cidr: '10.0.0.0/24', ipVersion: 6 }, 'ip_version', /cidr 10\.0\.0\.0\/24 is not IPv6/],
    [{ cidr: '2001:db8::/64', ipVersion: 4 }, 'ip_version', /is not IPv4/],
    [{ cidr: '10.0.0.5/24' }, 'cidr', /is recommended/],
    // Neutron accepts a gateway outside the CIDR (an on-link route); Fulcrum refuses it.
    [{ cidr: '10.0.0.0/24', gatewayIp: '10.0.1.1' }, 'gateway_ip', /Gateway IP 10\.0\.1\.1 is not valid for subnet 10\.0\.0\.0\/24/],
    [{ cidr: '10.0.0.0/24', gatewayIp: '10.0.0.0' }, 'gateway_ip', /not valid/],
    [{ cidr: '10.0.0.0/24', gatewayIp: '10.0.0.255' }, 'gateway_ip', /not valid/],
    [{ cidr: '10.0.0.0/24', gatewayIp: '2001:db8::1' }, 'gateway_ip', /not valid/],
    [{ cidr: '2001:db8::/64', gatewayIp: '2001:db9::1' }, 'gateway_ip', /not valid/],
    [{ cidr: '10.0.0.0/24', allocationPools: [pool('10.0.0.10', '10.0.1.5')] }, 'allocation_pools', /10\.0\.0\.10-10\.0\.1\.5 spans beyond the subnet cidr 10\.0\.0\.0\/24/],
    [{ cidr: '10.0.0.0/24', allocationPools: [pool('9.255.255.250', '10.0.0.5')] }, 'allocation_pools', /spans beyond/],
    [{ cidr: '10.0.0.0/24', allocationPools: [pool('10.0.0.20', '10.0.0.10')] }, 'allocation_pools', /10\.0\.0\.20-10\.0\.0\.10/],
    [{ cidr: '10.0.0.0/24', allocationPools: [pool('2001:db8::2', '2001:db8::9')] }, 'allocation_pools', /spans beyond/],
    [{ cidr: '2001:db8::/64', allocationPools: [pool('2001:db8:0:1::1', '2001:db8:0:1::9')] }, 'allocation_pools', /spans beyond/],
    [{ cidr: '10.0.0.0/24', allocationPools: [pool('10.0.0.10', '10.0.0.20'), pool('10.0.0.20', '10.0.0.30')] }, 'allocation_pools',
      /overlapping allocation pools: 10\.0\.0\.20-10\.0\.0\.30 and 10\.0\.0\.10-10\.0\.0\.20/],
    [{ cidr: '10.0.0.0/24', allocationPools: [pool('10.0.0.10', '10.0.0.50'), pool('10.0.0.20', '10.0.0.30')] }, 'allocation_pools', /overlapping/],
    [{ cidr: '10.0.0.0/24', allocationPools: [pool('10.0.0.40', '10.0.0.50'), pool('10.0.0.2', '10.0.0.9'), pool('10.0.0.5', '10.0.0.6')] },
      'allocation_pools', /overlapping/],
    [{ cidr: '2001:db8::/64', allocationPools: [pool('2001:db8::a', '2001:db8::f'), pool('2001:db8::2', '2001:db8::a')] }, 'allocation_pools', /overlapping/],
    [{ cidr: '10.0.0.0/24', allocationPools: [pool('10.0.0.1', '10.0.0.10')] }, 'gateway_ip', /Gateway ip 10\.0\.0\.1 conflicts with allocation pool 10\.0\.0\.1-10\.0\.0\.10/],
    [{ cidr: '10.0.0.0/24', gatewayIp: '10.0.0.100', allocationPools: [pool('10.0.0.2', '10.0.0.9'), pool('10.0.0.90', '10.0.0.110')] },
      'gateway_ip', /conflicts with allocation pool 10\.0\.0\.90-10\.0\.0\.110/],
    [{ cidr: '2001:db8::/64', gatewayIp: '2001:db8::5', allocationPools: [pool('2001:db8::2', '2001:db8::9')] }, 'gateway_ip', /conflicts/],
  ];
  for (const [input, field, message] of table) throwsIpam(() => validateSubnet(input), field, message);
});

test('validateSubnet blames the field whose address is malformed', () => {
  // Bug: a malformed gateway_ip or pool address was reported against the field 'ip_address'.
  throwsIpam(() => validateSubnet({ cidr: '10.0.0.0/24', gatewayIp: '10.0.0.1.' }), 'gateway_ip', /'10\.0\.0\.1\.' is not a valid IP address/);
  throwsIpam(() => validateSubnet({ cidr: '10.0.0.0/24', allocationPools: [pool('10.0.0.2', '10.0.0.x')] }), 'allocation_pools', /is not a valid IP address/);
});

test('validateSubnet refuses pools holding the network address or the IPv4 broadcast address', () => {
  // Bug: explicit pools were only checked against the CIDR, so allocateAddress could hand out 10.0.0.0 or 10.0.0.255.
  const table: [string, AllocationPool][] = [
    ['10.0.0.0/24', pool('10.0.0.0', '10.0.0.10')],
    ['10.0.0.0/24', pool('10.0.0.200', '10.0.0.255')],
    ['10.0.0.0/24', pool('10.0.0.0', '10.0.0.255')],
    ['2001:db8::/64', pool('2001:db8::', '2001:db8::10')],
  ];
  for (const [cidr, p] of table) throwsIpam(() => validateSubnet({ cidr, gatewayIp: null, allocationPools: [p] }), 'allocation_pools', /spans beyond/);
  // The edges just inside are fine; in IPv6 the last address is an ordinary host.
  assert.deepEqual(validateSubnet({ cidr: '10.0.0.0/24', gatewayIp: null, allocationPools: [pool('10.0.0.1', '10.0.0.254')] }).allocationPools,
    [pool('10.0.0.1', '10.0.0.254')]);
  assert.deepEqual(validateSubnet({ cidr: '2001:db8::/126', gatewayIp: null, allocationPools: [pool('2001:db8::1', '2001:db8::3')] }).allocationPools,
    [pool('2001:db8::1', '2001:db8::3')]);
});

/** Allocates until the pools are exhausted; returns the addresses in allocation order. */
function drain(pools: readonly AllocationPool[], used: Iterable<string> = []): string[] {
  const taken = new Set(used);
  const order: string[] = [];
  for (let a = allocateAddress(pools, taken); a !== null; a = allocateAddress(pools, taken)) {
    assert.ok(!taken.has(a), `${a} allocated twice`);
    order.push(a);
    taken.add(a);
  }
  return order;
}

test('allocateAddress hands out every pool address once, lowest first, never the gateway, network or broadcast', () => {
  const table: [Parameters<typeof validateSubnet>[0], string[]][] = [
    [{ cidr: '10.0.0.0/29' }, ['10.0.0.2', '10.0.0.3', '10.0.0.4', '10.0.0.5', '10.0.0.6']],
    [{ cidr: '10.0.0.0/29', gatewayIp: '10.0.0.4' }, ['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.5', '10.0.0.6']],
    [{ cidr: '10.0.0.0/29', gatewayIp: null }, ['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4', '10.0.0.5', '10.0.0.6']],
    [{ cidr: '10.0.0.0/30' }, ['10.0.0.2']],
    [{ cidr: '10.0.0.0/24', allocationPools: [pool('10.0.0.250', '10.0.0.251'), pool('10.0.0.10', '10.0.0.11')] },
      ['10.0.0.10', '10.0.0.11', '10.0.0.250', '10.0.0.251']],
    [{ cidr: '2001:db8::/125' }, ['2001:db8::2', '2001:db8::3', '2001:db8::4', '2001:db8::5', '2001:db8::6', '2001:db8::7']],
    [{ cidr: '2001:db8::/126', gatewayIp: '2001:db8::2' }, ['2001:db8::1', '2001:db8::3']],
  ];
  for (const [input, order] of table) assert.deepEqual(drain(validateSubnet(input).allocationPools), order, JSON.stringify(input));
});

test('allocateAddress returns the lowest address of the pools, whatever order they are listed in', () => {
  // Bug: pools were walked in list order, so [.250-.251, .10-.11] gave .250 although its doc promises the lowest.
  assert.equal(allocateAddress([pool('10.0.0.250', '10.0.0.251'), pool('10.0.0.10', '10.0.0.11')], new Set()), '10.0.0.10');
});

test('allocateAddress skips taken addresses, fills holes, and returns null when exhausted', () => {
  const pools = [pool('10.0.0.2', '10.0.0.5'), pool('10.0.0.10', '10.0.0.11')];
  const table: [string[], string | null][] = [
    [[], '10.0.0.2'],
    [['10.0.0.2', '10.0.0.3'], '10.0.0.4'],
    [['10.0.0.3', '10.0.0.4'], '10.0.0.2'],
    [['10.0.0.2', '10.0.0.4'], '10.0.0.3'],
    [['10.0.0.2', '10.0.0.3', '10.0.0.4', '10.0.0.5'], '10.0.0.10'],
    [['10.0.0.1', '10.0.0.6', '10.0.0.99', '2001:db8::2', 'junk'], '10.0.0.2'], // outside the pools, other version, not an address
    [['10.0.0.2', '10.0.0.3', '10.0.0.4', '10.0.0.5', '10.0.0.10', '10.0.0.11'], null],
  ];
  for (const [used, next] of table) assert.equal(allocateAddress(pools, new Set(used)), next, used.join(','));
  assert.equal(allocateAddress([], new Set()), null);
  // Taken addresses are compared as addresses, not strings.
  assert.equal(allocateAddress([pool('2001:db8::2', '2001:db8::3')], new Set(['2001:DB8::2', '2001:db8:0:0:0:0:0:3'])), null);
});

test('allocateAddress walks the gaps of a large IPv6 pool', () => {
  const used = new Set(Array.from({ length: 5000 }, (_, i) => `2001:db8::${(i + 2).toString(16)}`));
  used.delete('2001:db8::1000');
  const pools = validateSubnet({ cidr: '2001:db8::/64' }).allocationPools;
  assert.equal(allocateAddress(pools, used), '2001:db8::1000');
  used.add('2001:db8::1000');
  assert.equal(allocateAddress(pools, used), `2001:db8::${(5002).toString(16)}`);
});

test('addressInCidr: inclusive bounds, same version only', () => {
  const table: [string, string, boolean][] = [
    ['10.0.0.0', '10.0.0.0/24', true], ['10.0.0.255', '10.0.0.0/24', true], ['10.0.1.0', '10.0.0.0/24', false],
    ['9.255.255.255', '10.0.0.0/24', false], ['10.0.0.1', '0.0.0.0/0', true], ['2001:db8::ffff:ffff:ffff:ffff', '2001:db8::/64', true],
    ['2001:db8:0:1::', '2001:db8::/64', false], ['10.0.0.1', '::/0', false], ['::ffff:10.0.0.1', '10.0.0.0/8', false],
    ['10.0.0.1 ', '10.0.0.0/24', false], ['junk', '10.0.0.0/24', false],
  ];
  for (const [addr, cidr, expected] of table) assert.equal(addressInCidr(addr, cidr), expected, `${addr} in ${cidr}`);
});

test('addressInPools: inclusive bounds, nothing between pools', () => {
  const pools = [pool('10.0.0.2', '10.0.0.5'), pool('10.0.0.10', '10.0.0.10')];
  const table: [string, boolean][] = [
    ['10.0.0.2', true], ['10.0.0.5', true], ['10.0.0.10', true], ['10.0.0.1', false], ['10.0.0.6', false], ['10.0.0.11', false], ['junk', false],
  ];
  for (const [addr, expected] of table) assert.equal(addressInPools(addr, pools), expected, addr);
  assert.equal(addressInPools('2001:DB8::5', [pool('2001:db8::2', '2001:db8::9')]), true);
});

test('addressInPools never matches an address of the other IP version', () => {
  // Bug: the pools were compared as plain integers, so 10.0.0.5 was "in" the IPv6 pool ::-::ffff:ffff.
  assert.equal(addressInPools('10.0.0.5', [pool('::', '::ffff:ffff')]), false);
  assert.equal(addressInPools('::5', [pool('0.0.0.1', '0.0.0.9')]), false);
});

test('cidrsOverlap: shared addresses only, same version only', () => {
  const table: [string, string, boolean][] = [
    ['10.0.0.0/24', '10.0.0.0/24', true], ['10.0.0.0/16', '10.0.5.0/24', true], ['10.0.5.0/24', '10.0.0.0/16', true],
    ['10.0.0.0/25', '10.0.0.128/25', false], ['10.0.0.0/24', '10.0.1.0/24', false], ['0.0.0.0/0', '192.168.0.0/30', true],
    ['2001:db8::/64', '2001:db8::/48', true], ['2001:db8::/64', '2001:db8:0:1::/64', false], ['::/0', '10.0.0.0/8', false],
  ];
  for (const [a, b, expected] of table) assert.equal(cidrsOverlap(a, b), expected, `${a} ~ ${b}`);
});

test('generateMacAddress: Neutron\'s fa:16:3e prefix and three bytes from the source', () => {
  const asked: number[] = [];
  const fixed = (bytes: number[]) => (n: number): Uint8Array => {
    asked.push(n);
    return Uint8Array.from(bytes);
  };
  assert.equal(generateMacAddress(fixed([0, 0, 0])), 'fa:16:3e:00:00:00');
  assert.equal(generateMacAddress(fixed([0xab, 0x01, 0xff])), 'fa:16:3e:ab:01:ff');
  assert.deepEqual(asked, [3, 3]);
  const seen = new Set<string>();
  for (let i = 0; i < 200; i++) {
    const mac = generateMacAddress((n) => randomBytes(n));
    assert.match(mac, /^fa:16:3e(:[0-9a-f]{2}){3}$/);
    seen.add(mac);
  }
  assert.ok(seen.size > 190, `only ${seen.size} distinct MACs of 200`);
  // 0xfa: the multicast bit (1) is clear and the locally administered bit (2) is set: a local unicast address.
  const first = Number.parseInt(generateMacAddress((n) => randomBytes(n)).slice(0, 2), 16);
  assert.equal(first & 1, 0);
  assert.equal(first & 2, 2);
});

test('allocateAddress counts only well-formed used addresses of the pool\'s version as taken (the one-pass IPv4 reader matches the strict parser)', () => {
  const pools = [{ start: '10.0.0.2', end: '10.0.0.10' }];
  const odd = ['10.0.0.2', '10.0.0.3', '010.0.0.4', '10.0.0.4 ', '10.0.0.256', '10.0.0', '10.0.0.4.1', '::ffff:10.0.0.4', 'x', '', '10..0.4'];
  assert.equal(allocateAddress(pools, new Set(odd)), '10.0.0.4');
  assert.equal(allocateAddress(pools, new Set([...odd, '10.0.0.4', '10.0.0.5', '10.0.0.7'])), '10.0.0.6');
  const all = new Set(Array.from({ length: 9 }, (_, i) => `10.0.0.${i + 2}`));
  assert.equal(allocateAddress(pools, all), null);
  assert.equal(allocateAddress([{ start: '2001:db8::2', end: '2001:db8::4' }], new Set(['2001:db8::2', '10.0.0.3', '2001:db8::3'])), '2001:db8::4');
});
