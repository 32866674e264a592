/**
 * @module drivers/interface/host — the unprivileged interface driver for development: no
 * namespace and no kernel changes. Every address in 127.0.0.0/8 already reaches the loopback
 * device, so each load balancer binds a loopback address of its own (its VIP when the VIP is
 * itself a loopback address, else one derived from its id) and members are local processes.
 */
import { createHash } from 'node:crypto';
import type { InterfaceDriver, PlugResult, PortPlug } from './interface-driver.js';

/** The loopback stand-in for a load balancer's VIP: stable for its id, never in 127.0.0.0/16. */
export function loopbackFor(lbId: string, vip: string | undefined): string {
  if (vip !== undefined && /^127\.\d+\.\d+\.\d+$/.test(vip)) return vip;
  const h = createHash('sha256').update(lbId).digest();
  return `127.${1 + (h[0]! % 254)}.${h[1]!}.${1 + (h[2]! % 254)}`;
}

export class HostInterfaceDriver implements InterfaceDriver {
  readonly name = 'host';
  /** Plugged in this process (the driver changes nothing on the host, so nothing survives it). */
  readonly #plugged = new Set<string>();

  async plug(lbId: string, ports: readonly PortPlug[]): Promise<PlugResult> {
    this.#plugged.add(lbId);
    return { wrap: [], bindAddress: loopbackFor(lbId, ports[0]?.addresses[0]?.address) };
  }

  async unplug(lbId: string): Promise<void> {
    this.#plugged.delete(lbId);
  }

  async plugged(): Promise<string[]> {
    return [...this.#plugged];
  }
}
