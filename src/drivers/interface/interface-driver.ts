/**
 * @module drivers/interface/interface-driver — how a load balancer's ports reach their networks
 * (Octavia `network/base.py`). `netns` is the reference; `host` is the unprivileged twin.
 */
import type { LoadBalancerGraph, Port, Subnet } from '../../domain/model.js';
import { parseCidr } from '../../domain/ipam.js';

/** One address of a port, with its subnet's prefix. */
export interface PlugAddress {
  address: string;
  prefixLength: number;
}

/** One port to plug into a load balancer's network context. */
export interface PortPlug {
  portId: string;
  networkId: string;
  macAddress: string;
  mtu: number;
  /** The network's VXLAN id (VNI), or null for a network local to the node. */
  segmentationId?: number | null;
  addresses: readonly PlugAddress[];
  /** Default gateways (one per IP version at most): only the VIP port has them. */
  gateways: readonly string[];
  /** Extra routes from the subnets' host_routes. */
  routes: readonly { destination: string; nexthop: string }[];
  /**
   * Addresses another process adds and removes on this port (keepalived's VIP on an
   * ACTIVE_STANDBY side's own port): plug leaves them alone, present or not.
   */
  floating?: readonly string[];
}

/** Where a load balancer's processes run and what they bind. */
export interface PlugResult {
  /** Argv prefix that runs a command inside the load balancer's network context (empty: the host's). */
  wrap: readonly string[];
  /** The address HAProxy binds for the VIP (the VIP itself, or a stand-in for unprivileged runs). */
  bindAddress: string;
}

/** A way to give load balancers their ports. */
export interface InterfaceDriver {
  readonly name: string;
  /**
   * Makes the load balancer's network context hold exactly these ports, addresses and routes.
   * Idempotent: plugging the same ports twice changes nothing; ports no longer listed are removed.
   * The first port is the VIP port.
   * @throws FulcrumError DRIVER_FAILED (retryable) when the kernel refuses a step.
   */
  plug(lbId: string, ports: readonly PortPlug[]): Promise<PlugResult>;
  /**
   * Optional: makes the load balancer's network context exist with nothing plugged yet and
   * returns what `plug` of these ports will return, so that the provider can start HAProxy (with
   * transparent binds) while `plug` runs. Drivers that cannot (host) leave it out.
   */
  prepare?(lbId: string, ports: readonly PortPlug[]): Promise<PlugResult & { transparentBind: true }>;
  /** Removes the load balancer's network context and whatever it alone used. Idempotent. */
  unplug(lbId: string): Promise<void>;
  /** Ids of the load balancers that have something plugged on this host. */
  plugged(): Promise<string[]>;
  /**
   * The name of a port's link inside the load balancer's network context (what keepalived's
   * `interface` names). Absent on drivers that give ports no links of their own (`host`), which
   * therefore cannot run ACTIVE_STANDBY load balancers.
   */
  linkOf?(portId: string): string;
}

/** Neutron's MTU for a network that does not say (and for one no longer in the graph). */
export const DEFAULT_MTU = 1500;

/** The ports a graph needs, VIP port first, then its ports on member subnets, each with its network's MTU. */
export function portsToPlug(graph: LoadBalancerGraph): PortPlug[] {
  const subnets = new Map<string, Subnet>(graph.subnets.map((s) => [s.id, s]));
  const mtus = new Map<string, number>(graph.networks.map((n) => [n.id, n.mtu]));
  const vnis = new Map<string, number | null>(graph.networks.map((n) => [n.id, n.segmentationId ?? null]));
  const toPlug = (port: Port, isVip: boolean): PortPlug => {
    const addresses: PlugAddress[] = [];
    const gateways: string[] = [];
    const routes: { destination: string; nexthop: string }[] = [];
    for (const f of port.fixedIps) {
      const s = subnets.get(f.subnetId);
      if (!s) continue;
      addresses.push({ address: f.ipAddress, prefixLength: parseCidr(s.cidr).prefixLength });
      if (isVip && s.gatewayIp) gateways.push(s.gatewayIp);
      routes.push(...s.hostRoutes);
    }
    return { portId: port.id, networkId: port.networkId, macAddress: port.macAddress, mtu: mtus.get(port.networkId) ?? DEFAULT_MTU, segmentationId: vnis.get(port.networkId) ?? null, addresses, gateways, routes };
  };
  const out: PortPlug[] = [];
  if (graph.vipPort) out.push(toPlug(graph.vipPort, true));
  for (const p of graph.memberPorts) out.push(toPlug(p, false));
  return out;
}
