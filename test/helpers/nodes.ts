/**
 * @module test/helpers/nodes — several network nodes on this machine, for multi-node tests and
 * bench/ha: each node is a namespace (`<prefix>n<i>`) holding its bridges, joined to the others by
 * an underlay: a bridge in the root namespace (`<prefix>ul`, no address, multicast flooded) with a
 * veth to each node (`ul0` inside, address 10.254.<k>.<i>/24). Nothing on it is routed: the root
 * namespace has no address there and the nodes no default route, so no packet leaves the machine.
 */
import { ipBatch, netnsExists, listNetns, killNamespaceProcesses, linkExists } from '../../src/drivers/sys/ip.js';
import type { BridgeOptions } from '../../src/drivers/interface/netns.js';

export interface Node {
  /** The node's namespace: its bridges and VXLAN devices live there. */
  netns: string;
  /** Its underlay address. */
  underlayIp: string;
  /** What its agent's interface driver needs (`--bridge-netns`, `--vxlan-*`). */
  bridge: Required<BridgeOptions>;
}

export const VXLAN_GROUP = '239.1.1.1';

/**
 * Makes `count` nodes under `prefix` (at most 8 characters: link names are built from it).
 * The underlay MTU leaves room for VXLAN's 50 bytes under a 1500-byte network.
 */
export async function makeNodes(prefix: string, count: number): Promise<{ nodes: Node[]; remove(): Promise<void> }> {
  if (!/^[a-z0-9]{1,8}$/.test(prefix)) throw new Error(`node prefix must be 1–8 lowercase letters or digits (got ${prefix})`);
  const k = 1 + (Number.parseInt(prefix.replace(/\D/g, '').slice(-3) || '0', 10) % 250);
  const ul = `${prefix}ul`;
  const nodes: Node[] = [];
  const root: string[] = [`link add ${ul} type bridge mcast_snooping 0`, `link set ${ul} mtu 1600 up`];
  for (let i = 1; i <= count; i++) {
    const netns = `${prefix}n${i}`;
    nodes.push({ netns, underlayIp: `10.254.${k}.${i}`, bridge: { bridgeNetns: netns, vxlan: { localIp: `10.254.${k}.${i}`, dev: 'ul0', group: VXLAN_GROUP, dstPort: 4789 } } });
    root.push(`netns add ${netns}`, `link add ${prefix}u${i} mtu 1600 type veth peer name ul0 netns ${netns}`, `link set ${prefix}u${i} master ${ul} up`);
  }
  const remove = async (): Promise<void> => {
    for (const n of nodes) {
      if (!netnsExists(n.netns)) continue;
      await killNamespaceProcesses(n.netns);
      await ipBatch([`netns del ${n.netns}`]).catch(() => undefined);
    }
    if (linkExists(ul)) await ipBatch([`link del ${ul}`]).catch(() => undefined);
  };
  try {
    await ipBatch(root);
    for (const n of nodes) await ipBatch(['link set lo up', `link set ul0 mtu 1600 up`, `addr add ${n.underlayIp}/24 dev ul0`], n.netns);
  } catch (err) {
    await remove();
    throw err;
  }
  return { nodes, remove };
}

/** Namespaces whose name starts with `prefix` (to clean what a run left). */
export function namespacesWith(prefix: string): string[] {
  return listNetns().filter((n) => n.startsWith(prefix));
}
