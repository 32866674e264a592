/**
 * @module lab/hosts-command — `fulcrum host create|delete|list`: stand-in VMs for demos and
 * tests. A host is a namespace named after it, with a port allocated on a subnet through the
 * API and plugged into that network's bridge, optionally answering HTTP with a text.
 */
import { parseArgs } from 'node:util';
import { createHost, deleteHost, serveHttp } from '../drivers/interface/hosts.js';
import { netnsExists } from '../drivers/sys/ip.js';
import { api, findByName, type Endpoint } from './api-client.js';

/** The device_owner of stand-in host ports, so they are told apart from everything else. */
export const HOST_OWNER = 'compute:fulcrum-host';

const NAME = /^[a-z][a-z0-9-]{0,31}$/;

/** Creates (or re-creates, keeping its port) a host on a subnet; returns its address. */
export async function createStandIn(ep: Endpoint, name: string, subnetRef: string, opts: { serveHttp?: string; address?: string; gateway?: boolean } = {}): Promise<string> {
  if (!NAME.test(name)) throw new Error(`host name must match ${NAME} (got '${name}')`);
  const subnet = /^[0-9a-f-]{36}$/.test(subnetRef)
    ? (await api(ep, 'GET', `/v2.0/subnets/${subnetRef}`)).subnet
    : await findByName(ep, '/v2.0/subnets', 'subnets', subnetRef);
  if (!subnet) throw new Error(`no subnet '${subnetRef}'`);
  let port = (await api(ep, 'GET', `/v2.0/ports?name=${name}&device_owner=${HOST_OWNER}`)).ports[0];
  if (!port) {
    port = (await api(ep, 'POST', '/v2.0/ports', {
      port: {
        network_id: subnet.network_id, name, device_owner: HOST_OWNER,
        fixed_ips: [{ subnet_id: subnet.id, ...(opts.address ? { ip_address: opts.address } : {}) }],
      },
    })).port;
  }
  const address = port.fixed_ips[0].ip_address as string;
  await createHost({
    namespace: name, networkId: port.network_id, portId: port.id, macAddress: port.mac_address, address,
    prefixLength: Number(String(subnet.cidr).split('/')[1]),
    ...(opts.gateway !== false && subnet.gateway_ip ? { gateway: subnet.gateway_ip } : {}),
  });
  if (opts.serveHttp !== undefined) await serveHttp(name, address, 80, opts.serveHttp);
  return address;
}

/** Deletes a host: its processes, namespace, links and port. Idempotent. */
export async function deleteStandIn(ep: Endpoint, name: string): Promise<void> {
  if (!NAME.test(name)) throw new Error(`host name must match ${NAME} (got '${name}')`);
  await deleteHost(name);
  for (const p of (await api(ep, 'GET', `/v2.0/ports?name=${name}&device_owner=${HOST_OWNER}`)).ports) {
    await api(ep, 'DELETE', `/v2.0/ports/${p.id}`);
  }
}

/** `fulcrum host …` */
export async function hostCommand(argv: readonly string[], ep: Endpoint, out: NodeJS.WritableStream): Promise<number> {
  const [verb, ...rest] = argv;
  const { values, positionals } = parseArgs({
    args: rest, allowPositionals: true,
    options: { subnet: { type: 'string' }, 'serve-http': { type: 'string' }, address: { type: 'string' } },
  });
  const name = positionals[0];
  if (verb === 'create' && name && values.subnet) {
    const address = await createStandIn(ep, name, values.subnet, {
      ...(values['serve-http'] !== undefined ? { serveHttp: values['serve-http'] } : {}),
      ...(values.address ? { address: values.address } : {}),
    });
    out.write(`host ${name}: namespace ${name}, address ${address}${values['serve-http'] ? `, answering HTTP on :80 with '${values['serve-http']}'` : ''}\n`);
    return 0;
  }
  if (verb === 'delete' && name) {
    await deleteStandIn(ep, name);
    out.write(`host ${name} deleted\n`);
    return 0;
  }
  if (verb === 'list') {
    for (const p of (await api(ep, 'GET', `/v2.0/ports?device_owner=${HOST_OWNER}`)).ports) {
      out.write(`${p.name}\t${p.fixed_ips.map((f: { ip_address: string }) => f.ip_address).join(',')}\t${netnsExists(p.name) ? 'running' : 'stopped'}\n`);
    }
    return 0;
  }
  out.write('Usage: fulcrum host create NAME --subnet SUBNET [--address IP] [--serve-http TEXT]\n       fulcrum host delete NAME\n       fulcrum host list\n');
  return 2;
}
