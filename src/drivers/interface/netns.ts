/**
 * @module drivers/interface/netns — the reference interface driver: a Linux bridge per network
 * named as Neutron's Linux bridge agent names it (`brq` + 11 characters of the network id), a
 * veth pair per port (`tap` + 11 characters of the port id, the same name on both ends), and the
 * load balancer's own namespace `qlbaas-<lb id>` (the seed's names). Plumbing is two `ip -batch`
 * calls; the bridges carry no address in the root namespace, so namespace addresses are not
 * reachable from it (a missing bridge means "unreachable", never a packet out of the machine).
 */
import { readlinkSync } from 'node:fs';
import { basename } from 'node:path';
import { run } from '../sys/exec.js';
import { bridgePorts, ipBatch, killNamespaceProcesses, linkExists, linksIn, listNetns, netnsExists } from '../sys/ip.js';
import type { InterfaceDriver, PlugResult, PortPlug } from './interface-driver.js';

export const NAMESPACE_PREFIX = 'qlbaas-';

/** The namespace of a load balancer (`qlbaas-<lb id>`). */
export const namespaceOf = (lbId: string): string => `${NAMESPACE_PREFIX}${lbId}`;
/** The bridge of a network (Neutron's Linux bridge agent: `brq` + 11 characters). */
export const bridgeOf = (networkId: string): string => `brq${networkId.slice(0, 11)}`;
/** The link of a port, on both ends of its veth pair (Neutron: `tap` + 11 characters). */
export const tapOf = (portId: string): string => `tap${portId.slice(0, 11)}`;

/** Something the driver reports that is not fatal (a gratuitous ARP that could not be sent). */
export interface NetnsLogger {
  warn(obj: object, msg?: string): void;
}

/** Link names built from ids: only these characters, at most 15 bytes (IFNAMSIZ - 1). */
function checkName(name: string): string {
  if (!/^[A-Za-z0-9_-]{1,15}$/.test(name)) throw new Error(`unsafe link name ${JSON.stringify(name)}`);
  return name;
}

const isV6 = (a: string): boolean => a.includes(':');

/** An MTU `ip` can be given: an integer from IPv4's minimum (68) to the largest a veth takes. */
function checkMtu(mtu: number): number {
  if (!Number.isInteger(mtu) || mtu < 68 || mtu > 65535) throw new Error(`unusable MTU ${JSON.stringify(mtu)}`);
  return mtu;
}

/** The bridges the root-side ends of these veth pairs hang on (read before the pairs go). */
function bridgesOf(taps: readonly string[]): Set<string> {
  const bridges = new Set<string>();
  for (const tap of taps) {
    try {
      bridges.add(basename(readlinkSync(`/sys/class/net/${tap}/master`)));
    } catch {
      // not enslaved (or already gone): nothing to clean on a bridge
    }
  }
  return bridges;
}

export class NetnsInterfaceDriver implements InterfaceDriver {
  readonly name = 'netns';
  readonly #log: NetnsLogger | undefined;
  /** Serialises bridge creation and removal across load balancers sharing a network. */
  #bridges: Promise<unknown> = Promise.resolve();

  constructor(opts: { log?: NetnsLogger } = {}) {
    this.#log = opts.log;
  }

  #withBridges<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.#bridges.then(fn, fn);
    this.#bridges = next.catch(() => undefined);
    return next;
  }

  async plug(lbId: string, ports: readonly PortPlug[]): Promise<PlugResult> {
    const ns = namespaceOf(lbId);
    const fresh = !netnsExists(ns);
    await this.#withBridges(async () => {
      const root: string[] = fresh ? [`netns add ${ns}`] : [];
      for (const p of ports) {
        const bridge = checkName(bridgeOf(p.networkId));
        const tap = checkName(tapOf(p.portId));
        if (!linkExists(bridge)) root.push(`link add ${bridge} type bridge`, `link set ${bridge} up`);
        if (!linkExists(tap)) root.push(`link add ${tap} type veth peer name ${tap} netns ${ns}`);
        // Both ends of the pair carry the network's MTU (as Neutron's Linux bridge agent sets its taps).
        root.push(`link set ${tap} master ${bridge} mtu ${checkMtu(p.mtu)} up`);
      }
      await ipBatch(root);
    });

    // Inside the namespace: only what differs from the desired state.
    const current = fresh ? [] : await linksIn(ns);
    const inside: string[] = [];
    if (fresh || !current.find((l) => l.name === 'lo')?.up) inside.push('link set lo up');
    const wanted = new Set(ports.map((p) => tapOf(p.portId)));
    const dropped = current.filter((l) => l.name.startsWith('tap') && !wanted.has(l.name)).map((l) => l.name);
    for (const name of dropped) inside.push(`link del ${checkName(name)}`);
    // A dropped port's bridge goes too when nothing else hangs on it: unplug only sees the bridges
    // of ports still plugged, so this is the last chance to clean it.
    const droppedBridges = bridgesOf(dropped);
    const garp: { tap: string; address: string }[] = [];
    for (const p of ports) {
      const tap = tapOf(p.portId);
      const link = current.find((l) => l.name === tap);
      if (!link || !link.up || link.mac !== p.macAddress || link.mtu !== p.mtu) {
        inside.push(`link set ${tap} address ${p.macAddress} mtu ${checkMtu(p.mtu)} up`);
      }
      const want = new Set(p.addresses.map((a) => `${a.address}/${a.prefixLength}`));
      for (const a of link?.addresses ?? []) {
        if (!want.has(`${a.address}/${a.prefixLength}`)) inside.push(`addr del ${a.address}/${a.prefixLength} dev ${tap}`);
      }
      for (const a of p.addresses) {
        if (link?.addresses.some((x) => x.address === a.address && x.prefixLength === a.prefixLength)) continue;
        inside.push(`addr add ${a.address}/${a.prefixLength} dev ${tap}${isV6(a.address) ? ' nodad' : ''}`);
        if (!isV6(a.address)) garp.push({ tap, address: a.address });
      }
      for (const gw of p.gateways) inside.push(`route replace default via ${gw} dev ${tap}`);
      for (const r of p.routes) inside.push(`route replace ${r.destination} via ${r.nexthop} dev ${tap}`);
    }
    await ipBatch(inside, ns);
    if (droppedBridges.size > 0) await this.#removeEmptyBridges(droppedBridges);
    // Gratuitous ARP so neighbours learn the VIP's MAC at once (arping waits ~1 s: not awaited;
    // a lost announcement only delays the first packets until ARP resolves normally).
    for (const g of garp) {
      run(['ip', 'netns', 'exec', ns, 'arping', '-U', '-c', '1', '-I', g.tap, g.address], { timeoutMs: 5000 })
        .catch((err: unknown) => this.#log?.warn({ lb: lbId, address: g.address, err: (err as Error).message }, 'gratuitous ARP failed'));
    }
    const vip = ports[0]?.addresses[0]?.address;
    if (vip === undefined) throw new Error(`load balancer ${lbId} has no VIP address to plug`);
    return { wrap: ['ip', 'netns', 'exec', ns], bindAddress: vip };
  }

  async unplug(lbId: string): Promise<void> {
    const ns = namespaceOf(lbId);
    if (!netnsExists(ns)) return;
    await killNamespaceProcesses(ns);
    const taps = (await linksIn(ns)).map((l) => l.name).filter((n) => n.startsWith('tap'));
    const bridges = bridgesOf(taps);
    await ipBatch(taps.map((t) => `link del ${checkName(t)}`), ns);
    await ipBatch([`netns del ${ns}`]);
    await this.#removeEmptyBridges(bridges);
  }

  /** Deletes those of these bridges that exist and have no port left (Fulcrum's `brq` ones only). */
  #removeEmptyBridges(bridges: ReadonlySet<string>): Promise<void> {
    return this.#withBridges(async () => {
      const empty = [...bridges].filter((b) => b.startsWith('brq') && bridgePorts(b).length === 0 && linkExists(b));
      await ipBatch(empty.map((b) => `link del ${checkName(b)}`));
    });
  }

  async plugged(): Promise<string[]> {
    return listNetns().filter((n) => n.startsWith(NAMESPACE_PREFIX)).map((n) => n.slice(NAMESPACE_PREFIX.length));
  }
}
