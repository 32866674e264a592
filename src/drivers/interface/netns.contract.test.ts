/**
 * @module drivers/interface/netns.contract.test — the interface driver contract on the netns
 * driver (root only): real namespaces, bridges and veth pairs; every request comes from a client
 * namespace on the network with no default route, so nothing can leave this machine.
 */
import { randomInt } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { ipBatch, killNamespaceProcesses, linkExists, listNetns, netnsExists } from '../sys/ip.js';
import { createHost, curlFrom, deleteHost, serveHttp, startLoad } from './hosts.js';
import { runInterfaceDriverContract, type ContractNetwork, type RunNames } from './interface-driver.contract.js';
import { bridgeOf, namespaceOf, NAMESPACE_PREFIX, NetnsInterfaceDriver, tapOf } from './netns.js';

/** The host number of the client namespace on each network. */
const CLIENT_HOST = 250;

/** Random private subnets: 10.200-249.x.0/24 and fdxx:xxxx:xxxx::/64 (bridges carry no address in the root namespace). */
function addressesFor(ipVersion: 4 | 6): { prefixLength: number; addressAt: (n: number) => string } {
  if (ipVersion === 4) {
    const [b, c] = [200 + randomInt(50), randomInt(256)];
    return { prefixLength: 24, addressAt: (n) => `10.${b}.${c}.${n}` };
  }
  const hex = (): string => randomInt(0x10000).toString(16);
  const prefix = `fd${randomInt(256).toString(16).padStart(2, '0')}:${hex()}:${hex()}`;
  return { prefixLength: 64, addressAt: (n) => `${prefix}::${n.toString(16)}` };
}

/** Removes whatever this run left: load balancer and client namespaces, then links with the run's prefix. */
async function sweep(driver: NetnsInterfaceDriver, names: RunNames): Promise<void> {
  const errors: unknown[] = [];
  for (const ns of listNetns()) {
    if (ns.startsWith(namespaceOf(names.prefix))) {
      await driver.unplug(ns.slice(NAMESPACE_PREFIX.length)).catch(async (err: unknown) => {
        errors.push(err);
        await killNamespaceProcesses(ns);
        await ipBatch([`netns del ${ns}`]).catch((e: unknown) => errors.push(e));
      });
    } else if (ns.startsWith(`fxc-${names.prefix}-`)) {
      await deleteHost(ns).catch((err: unknown) => errors.push(err));
    }
  }
  for (const link of readdirSync('/sys/class/net')) {
    if (link.startsWith(`tap${names.prefix}`) || link.startsWith(`brq${names.prefix}`)) {
      await ipBatch([`link del ${link}`]).catch((err: unknown) => errors.push(err));
    }
  }
  if (errors.length > 0) throw new AggregateError(errors, 'netns contract: sweep failed');
}

runInterfaceDriverContract('netns', (names) => {
  const driver = new NetnsInterfaceDriver();
  /** Network id → its client namespace. */
  const clients = new Map<string, string>();
  const clientOf = (net: ContractNetwork): string => {
    const ns = clients.get(net.id);
    if (!ns) throw new Error(`network ${net.id} has no client`);
    return ns;
  };
  return {
    driver,
    capabilities: { ownsProcesses: true, hasOverlappingNetworks: true },
    kernel: {
      hasContext: (lbId) => netnsExists(namespaceOf(lbId)),
      linksOf: (ports) => ports.map((p) => tapOf(p.portId)).filter((l) => linkExists(l)),
      hasNetwork: (networkId) => linkExists(bridgeOf(networkId)),
    },
    async network(opts = {}) {
      const ipVersion = opts.sameAddressesAs?.ipVersion ?? opts.ipVersion ?? 4;
      const { prefixLength, addressAt } = opts.sameAddressesAs ?? addressesFor(ipVersion);
      const net: ContractNetwork = { id: names.id(), ipVersion, prefixLength, addressAt };
      if (opts.hasClient !== false) {
        const namespace = names.name('fxc');
        clients.set(net.id, namespace);
        // No gateway: the client reaches its own subnet and nothing else.
        await createHost({
          namespace, networkId: net.id, portId: names.id(), macAddress: names.mac(), address: addressAt(CLIENT_HOST), prefixLength,
        });
      }
      return net;
    },
    get: (net, url) => curlFrom(clientOf(net), url, 1),
    startLoad: (net, url) => startLoad(clientOf(net), url, { concurrency: 2, mode: 'close', maxMs: 30_000 }),
    async serveMember(net, port, text) {
      const address = net.addressAt(CLIENT_HOST);
      await serveHttp(clientOf(net), address, port, text);
      return address;
    },
    cleanup: () => sweep(driver, names),
  };
}, process.getuid?.() === 0 ? {} : { skip: 'needs root: namespaces, bridges and veth pairs' });
