/**
 * @module drivers/interface/netns — the reference interface driver: a Linux bridge per network
 * named as Neutron's Linux bridge agent names it (`brq` + 11 characters of the network id), a
 * veth pair per port (`tap` + 11 characters of the port id, the same name on both ends), and the
 * load balancer's own namespace `qlbaas-<lb id>` (the seed's names). Plumbing is two `ip -batch`
 * calls; the bridges carry no address in the root namespace, so namespace addresses are not
 * reachable from it (a missing bridge means "unreachable", never a packet out of the machine).
 *
 * Across nodes (as Neutron's Linux bridge agent with VXLAN): a network with a segment id gets a
 * `vxlan-<VNI>` device on its bridge, sending to a multicast group over the node's underlay
 * device, so the bridge spans every node that has a port on the network. For several nodes on one
 * machine (tests, bench/ha) the bridges and VXLAN devices can live in a node namespace
 * (`bridgeNetns`): each port's veth is made in the root namespace, one end moved into the load
 * balancer's namespace and the other into the node's; the load balancer namespaces themselves stay
 * global (namespaces cannot nest), named with a per-node prefix.
 */
import { readlinkSync } from 'node:fs';
import { basename } from 'node:path';
import { isIP } from 'node:net';
import { run } from '../sys/exec.js';
import { bridgePorts, ipBatch, killNamespaceProcesses, linkExists, linksIn, listNetns, netnsExists } from '../sys/ip.js';
import type { InterfaceDriver, PlugResult, PortPlug } from './interface-driver.js';

export const NAMESPACE_PREFIX = 'qlbaas-';

/** VXLAN between nodes (Neutron's `[vxlan]` settings of the Linux bridge agent). */
export interface VxlanOptions {
  /** This node's underlay address (`local_ip`). */
  localIp: string;
  /** The underlay device the VXLAN packets leave by. */
  dev: string;
  /** The multicast group that floods broadcast and unknown traffic to every node (`vxlan_group`). */
  group: string;
  /** UDP port (IANA's 4789 by default). */
  dstPort?: number;
}

/** Where bridges live and how they span nodes. */
export interface BridgeOptions {
  /** The namespace holding the bridges (a node namespace, for several nodes on one machine); default the root namespace. */
  bridgeNetns?: string;
  /** VXLAN for networks that have a segment id; without it bridges are local to this node. */
  vxlan?: VxlanOptions;
}

/** A port to hang on its network's bridge: its veth pair's far end goes into a namespace. */
export interface BridgePort {
  portId: string;
  networkId: string;
  mtu: number;
  /** The network's VNI, or null/undefined for a network local to the node. */
  segmentationId?: number | null;
}

/** The VXLAN device of a segment (Neutron's Linux bridge agent: `vxlan-<VNI>`). */
export const vxlanOf = (vni: number): string => `vxlan-${vni}`;

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

/** Names of the links in a namespace, with the bridge each hangs on (one `ip` call). */
async function linkMasters(netns: string): Promise<Map<string, string | undefined>> {
  const { stdout } = await run(['ip', '-n', netns, '-j', 'link', 'show']);
  return new Map((JSON.parse(stdout || '[]') as { ifname: string; master?: string }[]).map((l) => [l.ifname, l.master]));
}

function checkVni(vni: number): number {
  if (!Number.isInteger(vni) || vni < 1 || vni > 16_777_215) throw new Error(`unusable VNI ${JSON.stringify(vni)}`);
  return vni;
}

/**
 * Makes a veth pair for each port that lacks one, with one end in `ns`, and hangs the other end
 * on its network's bridge (made if missing, with the network's VXLAN device when VXLAN is set
 * up). Idempotent; one `ip -batch` in the root namespace (starting with `rootFirst`, the
 * namespace's creation, say) and, with `bridgeNetns`, one there.
 */
export async function attachPorts(ns: string, ports: readonly BridgePort[], opts: BridgeOptions = {}, rootFirst: readonly string[] = []): Promise<void> {
  const node = opts.bridgeNetns;
  const present = node === undefined ? undefined : new Set((await linkMasters(node)).keys());
  const made = new Set<string>();
  const has = (name: string): boolean => made.has(name) || (present ? present.has(name) : linkExists(name));
  const root: string[] = [...rootFirst];
  const there: string[] = [];
  const bridgeSide = node === undefined ? root : there;
  for (const p of ports) {
    const bridge = checkName(bridgeOf(p.networkId));
    const tap = checkName(tapOf(p.portId));
    if (!has(bridge)) {
      bridgeSide.push(`link add ${bridge} type bridge`, `link set ${bridge} up`);
      made.add(bridge);
    }
    const v = opts.vxlan;
    if (v && p.segmentationId !== null && p.segmentationId !== undefined) {
      const vx = vxlanOf(checkVni(p.segmentationId));
      if (!has(vx)) {
        if (isIP(v.localIp) === 0 || isIP(v.group) === 0) throw new Error(`unusable VXLAN addresses ${JSON.stringify([v.localIp, v.group])}`);
        bridgeSide.push(
          `link add ${vx} type vxlan id ${p.segmentationId} group ${v.group} dev ${checkName(v.dev)} local ${v.localIp} dstport ${v.dstPort ?? 4789}`,
          `link set ${vx} master ${bridge} up`,
        );
        made.add(vx);
      }
    }
    if (!has(tap)) {
      root.push(`link add ${tap} type veth peer name ${tap} netns ${ns}`);
      if (node !== undefined) root.push(`link set ${tap} netns ${node}`);
    }
    // Both ends of the pair carry the network's MTU (as Neutron's Linux bridge agent sets its taps).
    bridgeSide.push(`link set ${tap} master ${bridge} mtu ${checkMtu(p.mtu)} up`);
  }
  await ipBatch(root);
  if (node !== undefined) await ipBatch(there, node);
}

/**
 * Deletes Fulcrum's bridges that have no port left but their VXLAN device (with that device):
 * these `candidates` in the root namespace, or every such bridge in `bridgeNetns`.
 */
export async function removeEmptyBridges(candidates: ReadonlySet<string>, opts: BridgeOptions = {}): Promise<void> {
  const node = opts.bridgeNetns;
  const del: string[] = [];
  if (node === undefined) {
    for (const b of candidates) {
      if (!b.startsWith('brq') || !linkExists(b)) continue;
      const ports = bridgePorts(b);
      if (ports.some((x) => !x.startsWith('vxlan-'))) continue;
      del.push(...ports.map((x) => `link del ${checkName(x)}`), `link del ${checkName(b)}`);
    }
    await ipBatch(del);
    return;
  }
  const links = await linkMasters(node);
  for (const b of links.keys()) {
    if (!b.startsWith('brq')) continue;
    const ports = [...links].filter(([, m]) => m === b).map(([n]) => n);
    if (ports.some((x) => !x.startsWith('vxlan-'))) continue;
    del.push(...ports.map((x) => `link del ${checkName(x)}`), `link del ${checkName(b)}`);
  }
  await ipBatch(del, node);
}

/** Options of the netns driver. */
export interface NetnsOptions extends BridgeOptions {
  log?: NetnsLogger;
  /** The load balancers' namespace prefix (default `qlbaas-`; one per node when several share a machine). */
  namespacePrefix?: string;
}

export class NetnsInterfaceDriver implements InterfaceDriver {
  readonly name = 'netns';
  readonly #log: NetnsLogger | undefined;
  readonly #prefix: string;
  readonly #bridgeOpts: BridgeOptions;
  /** Serialises bridge creation and removal across load balancers sharing a network. */
  #bridges: Promise<unknown> = Promise.resolve();

  constructor(opts: NetnsOptions = {}) {
    this.#log = opts.log;
    this.#prefix = opts.namespacePrefix ?? NAMESPACE_PREFIX;
    if (!/^[A-Za-z0-9_.-]{1,20}$/.test(this.#prefix)) throw new Error(`unusable namespace prefix ${JSON.stringify(this.#prefix)}`);
    this.#bridgeOpts = { ...(opts.bridgeNetns !== undefined ? { bridgeNetns: opts.bridgeNetns } : {}), ...(opts.vxlan ? { vxlan: opts.vxlan } : {}) };
  }

  /** The namespace of a load balancer on this node. */
  namespaceOf(lbId: string): string {
    return `${this.#prefix}${lbId}`;
  }

  #withBridges<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.#bridges.then(fn, fn);
    this.#bridges = next.catch(() => undefined);
    return next;
  }

  /**
   * Makes the namespace (one `ip netns add`, ~5 ms) so HAProxy can start in it while `plug` adds
   * the ports: HAProxy binds the VIP with `transparent` before the address is there.
   */
  async prepare(lbId: string, ports: readonly PortPlug[]): Promise<PlugResult & { transparentBind: true }> {
    const ns = this.namespaceOf(lbId);
    if (!netnsExists(ns)) {
      await ipBatch([`netns add ${ns}`]);
      this.#bare.add(ns);
    }
    const vip = ports[0]?.addresses[0]?.address;
    if (vip === undefined) throw new Error(`load balancer ${lbId} has no VIP address to plug`);
    return { wrap: ['ip', 'netns', 'exec', ns], bindAddress: vip, transparentBind: true };
  }

  /** Namespaces `prepare` made that nothing was plugged into yet (their links need no listing). */
  readonly #bare = new Set<string>();

  async plug(lbId: string, ports: readonly PortPlug[]): Promise<PlugResult> {
    const ns = this.namespaceOf(lbId);
    const exists = netnsExists(ns);
    const fresh = !exists || this.#bare.has(ns);
    await this.#withBridges(async () => {
      await attachPorts(ns, ports, this.#bridgeOpts, exists ? [] : [`netns add ${ns}`]);
    });
    this.#bare.delete(ns);

    // Inside the namespace: only what differs from the desired state.
    const current = fresh ? [] : await linksIn(ns);
    const inside: string[] = [];
    if (fresh || !current.find((l) => l.name === 'lo')?.up) inside.push('link set lo up');
    const wanted = new Set(ports.map((p) => tapOf(p.portId)));
    const dropped = current.filter((l) => l.name.startsWith('tap') && !wanted.has(l.name)).map((l) => l.name);
    for (const name of dropped) inside.push(`link del ${checkName(name)}`);
    // A dropped port's bridge goes too when nothing else hangs on it: unplug only sees the bridges
    // of ports still plugged, so this is the last chance to clean it.
    const droppedBridges = this.#bridgeOpts.bridgeNetns === undefined ? bridgesOf(dropped) : new Set(dropped);
    const garp: { tap: string; address: string }[] = [];
    for (const p of ports) {
      const tap = tapOf(p.portId);
      const link = current.find((l) => l.name === tap);
      if (!link || !link.up || link.mac !== p.macAddress || link.mtu !== p.mtu) {
        inside.push(`link set ${tap} address ${p.macAddress} mtu ${checkMtu(p.mtu)} up`);
      }
      const want = new Set(p.addresses.map((a) => `${a.address}/${a.prefixLength}`));
      const floating = new Set(p.floating ?? []);
      for (const a of link?.addresses ?? []) {
        if (!want.has(`${a.address}/${a.prefixLength}`) && !floating.has(a.address)) inside.push(`addr del ${a.address}/${a.prefixLength} dev ${tap}`);
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
    const ns = this.namespaceOf(lbId);
    this.#bare.delete(ns);
    if (!netnsExists(ns)) return;
    await killNamespaceProcesses(ns);
    const taps = (await linksIn(ns)).map((l) => l.name).filter((n) => n.startsWith('tap'));
    const bridges = bridgesOf(taps);
    await ipBatch(taps.map((t) => `link del ${checkName(t)}`), ns);
    await ipBatch([`netns del ${ns}`]);
    await this.#removeEmptyBridges(bridges);
  }

  /** Deletes those of these bridges that have no port left (Fulcrum's `brq` ones only; every empty one in a node namespace). */
  #removeEmptyBridges(bridges: ReadonlySet<string>): Promise<void> {
    return this.#withBridges(() => removeEmptyBridges(bridges, this.#bridgeOpts));
  }

  linkOf(portId: string): string {
    return checkName(tapOf(portId));
  }

  async plugged(): Promise<string[]> {
    return listNetns().filter((n) => n.startsWith(this.#prefix)).map((n) => n.slice(this.#prefix.length));
  }
}
