/** @module api/network/routes — the Neutron-compatible networks, subnets and ports under /v2.0. */
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import {
  createNetwork, createNetworkPort, createSubnet, deleteNetwork, deleteNetworkPort, deleteSubnet, getNetObject,
  listNetObjects, subnetIdsOf, updateNetwork, updateNetworkPort, updateSubnet,
} from '../../service/networks.js';
import type { Network } from '../../domain/model.js';
import { callerOf } from '../auth.js';
import type { ApiDeps } from '../deps.js';
import { pageLinks, parseList, rawQuery, selectFields } from '../octavia/lists.js';
import { defined, Description, envelope, IpAddress, Name, Opt, ProjectId, Uuid } from '../octavia/schemas.js';
import { NET_FIELDS, networkToWire, portToWire, subnetToWire } from './wire.js';
import { agentRoutes } from './agents.js';

const Pool = Type.Object({ start: IpAddress, end: IpAddress }, { additionalProperties: false });
const Route = Type.Object({ destination: Type.String({ maxLength: 64 }), nexthop: IpAddress }, { additionalProperties: false });
const Owner = Type.String({ maxLength: 255 });
const FixedIp = Type.Object({ subnet_id: Opt(Uuid), ip_address: Opt(IpAddress) }, { additionalProperties: false });

const NetworkPost = envelope('network', Type.Object({
  name: Opt(Name), description: Opt(Description), admin_state_up: Type.Optional(Type.Boolean()),
  shared: Type.Optional(Type.Boolean()), mtu: Type.Optional(Type.Integer({ minimum: 68, maximum: 9216 })),
  project_id: Opt(ProjectId), tenant_id: Opt(ProjectId),
}, { additionalProperties: false }));
const NetworkPut = envelope('network', Type.Object({
  name: Opt(Name), description: Opt(Description), admin_state_up: Type.Optional(Type.Boolean()),
  shared: Type.Optional(Type.Boolean()), mtu: Type.Optional(Type.Integer({ minimum: 68, maximum: 9216 })),
}, { additionalProperties: false }));
const SubnetPost = envelope('subnet', Type.Object({
  network_id: Uuid, ip_version: Type.Union([Type.Literal(4), Type.Literal(6)]), cidr: Type.String({ maxLength: 64 }),
  name: Opt(Name), description: Opt(Description), gateway_ip: Type.Optional(Type.Union([IpAddress, Type.Null()])),
  allocation_pools: Type.Optional(Type.Array(Pool, { maxItems: 64 })), enable_dhcp: Type.Optional(Type.Boolean()),
  dns_nameservers: Type.Optional(Type.Array(IpAddress, { maxItems: 16 })), host_routes: Type.Optional(Type.Array(Route, { maxItems: 64 })),
  project_id: Opt(ProjectId), tenant_id: Opt(ProjectId),
}, { additionalProperties: false }));
const SubnetPut = envelope('subnet', Type.Object({
  name: Opt(Name), description: Opt(Description), gateway_ip: Type.Optional(Type.Union([IpAddress, Type.Null()])),
  allocation_pools: Type.Optional(Type.Array(Pool, { maxItems: 64 })), enable_dhcp: Type.Optional(Type.Boolean()),
  dns_nameservers: Type.Optional(Type.Array(IpAddress, { maxItems: 16 })), host_routes: Type.Optional(Type.Array(Route, { maxItems: 64 })),
}, { additionalProperties: false }));
const PortPost = envelope('port', Type.Object({
  network_id: Uuid, name: Opt(Name), description: Opt(Description), admin_state_up: Type.Optional(Type.Boolean()),
  mac_address: Opt(Type.String({ pattern: '^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$' })),
  fixed_ips: Type.Optional(Type.Array(FixedIp, { maxItems: 16 })), device_owner: Opt(Owner), device_id: Opt(Owner),
  project_id: Opt(ProjectId), tenant_id: Opt(ProjectId),
}, { additionalProperties: false }));
const PortPut = envelope('port', Type.Object({
  name: Opt(Name), description: Opt(Description), admin_state_up: Type.Optional(Type.Boolean()),
  device_owner: Opt(Owner), device_id: Opt(Owner),
}, { additionalProperties: false }));

type Params = { Params: { id: string } };

/** Neutron adds `<kind>_links` only to paginated lists. */
function links(request: FastifyRequest, parsed: ReturnType<typeof parseList>, items: readonly { id: string }[]) {
  return rawQuery(request).limit === undefined ? {} : { links: pageLinks(request, parsed, items) };
}

/** Registers the routes under `/v2.0`. */
export function networkRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const { store } = deps;
  agentRoutes(app, deps);
  const withSubnets = async (nets: readonly Network[]) => {
    const subnets = await subnetIdsOf(store, nets.map((n) => n.id));
    return nets.map((n) => networkToWire(n, subnets.get(n.id) ?? []));
  };
  const fieldsOf = (request: FastifyRequest) => parseList({ fields: rawQuery(request).fields }, {}).fields;

  app.get('/networks', async (request) => {
    const parsed = parseList(rawQuery(request), NET_FIELDS.network);
    const nets = await listNetObjects(store, callerOf(request), 'network', parsed.query);
    const l = links(request, parsed, nets);
    return { networks: selectFields(await withSubnets(nets), parsed.fields), ...(l.links ? { networks_links: l.links } : {}) };
  });
  app.get<Params>('/networks/:id', async (request) => {
    const net = await getNetObject(store, callerOf(request), 'network', request.params.id);
    return { network: selectFields(await withSubnets([net]), fieldsOf(request))[0] };
  });
  app.post<{ Body: Static<typeof NetworkPost> }>('/networks', { schema: { body: NetworkPost } }, async (request, reply) => {
    const b = request.body.network;
    const net = await createNetwork(store, callerOf(request), defined({
      projectId: b.project_id ?? b.tenant_id, name: b.name, description: b.description, adminStateUp: b.admin_state_up,
      shared: b.shared, mtu: b.mtu,
    }), deps.vniRange);
    return reply.code(201).send({ network: networkToWire(net, []) });
  });
  app.put<Params & { Body: Static<typeof NetworkPut> }>('/networks/:id', { schema: { body: NetworkPut } }, async (request) => {
    const b = request.body.network;
    const net = await updateNetwork(store, callerOf(request), request.params.id, defined({
      name: b.name, description: b.description, adminStateUp: b.admin_state_up, shared: b.shared, mtu: b.mtu,
    }));
    return { network: (await withSubnets([net]))[0] };
  });
  app.delete<Params>('/networks/:id', async (request, reply) => {
    await deleteNetwork(store, callerOf(request), request.params.id);
    return reply.code(204).send();
  });

  app.get('/subnets', async (request) => {
    const parsed = parseList(rawQuery(request), NET_FIELDS.subnet);
    const subnets = await listNetObjects(store, callerOf(request), 'subnet', parsed.query);
    const l = links(request, parsed, subnets);
    return { subnets: selectFields(subnets.map(subnetToWire), parsed.fields), ...(l.links ? { subnets_links: l.links } : {}) };
  });
  app.get<Params>('/subnets/:id', async (request) => {
    const subnet = await getNetObject(store, callerOf(request), 'subnet', request.params.id);
    return { subnet: selectFields([subnetToWire(subnet)], fieldsOf(request))[0] };
  });
  app.post<{ Body: Static<typeof SubnetPost> }>('/subnets', { schema: { body: SubnetPost } }, async (request, reply) => {
    const b = request.body.subnet;
    const subnet = await createSubnet(store, callerOf(request), {
      networkId: b.network_id, ipVersion: b.ip_version, cidr: b.cidr,
      ...defined({
        projectId: b.project_id ?? b.tenant_id, name: b.name, description: b.description, allocationPools: b.allocation_pools,
        enableDhcp: b.enable_dhcp, dnsNameservers: b.dns_nameservers, hostRoutes: b.host_routes,
      }),
      ...(b.gateway_ip !== undefined ? { gatewayIp: b.gateway_ip } : {}),
    });
    return reply.code(201).send({ subnet: subnetToWire(subnet) });
  });
  app.put<Params & { Body: Static<typeof SubnetPut> }>('/subnets/:id', { schema: { body: SubnetPut } }, async (request) => {
    const b = request.body.subnet;
    const subnet = await updateSubnet(store, callerOf(request), request.params.id, {
      ...defined({
        name: b.name, description: b.description, allocationPools: b.allocation_pools, enableDhcp: b.enable_dhcp,
        dnsNameservers: b.dns_nameservers, hostRoutes: b.host_routes,
      }),
      ...(b.gateway_ip !== undefined ? { gatewayIp: b.gateway_ip } : {}),
    });
    return { subnet: subnetToWire(subnet) };
  });
  app.delete<Params>('/subnets/:id', async (request, reply) => {
    await deleteSubnet(store, callerOf(request), request.params.id);
    return reply.code(204).send();
  });

  app.get('/ports', async (request) => {
    const parsed = parseList(rawQuery(request), NET_FIELDS.port);
    const ports = await listNetObjects(store, callerOf(request), 'port', parsed.query);
    const l = links(request, parsed, ports);
    return { ports: selectFields(ports.map(portToWire), parsed.fields), ...(l.links ? { ports_links: l.links } : {}) };
  });
  app.get<Params>('/ports/:id', async (request) => {
    const port = await getNetObject(store, callerOf(request), 'port', request.params.id);
    return { port: selectFields([portToWire(port)], fieldsOf(request))[0] };
  });
  app.post<{ Body: Static<typeof PortPost> }>('/ports', { schema: { body: PortPost } }, async (request, reply) => {
    const b = request.body.port;
    const port = await createNetworkPort(store, callerOf(request), {
      networkId: b.network_id,
      ...defined({
        projectId: b.project_id ?? b.tenant_id, name: b.name, description: b.description, adminStateUp: b.admin_state_up,
        macAddress: b.mac_address?.toLowerCase(), deviceOwner: b.device_owner, deviceId: b.device_id,
        fixedIps: b.fixed_ips?.map((f) => defined({ subnetId: f.subnet_id, ipAddress: f.ip_address })),
      }),
    });
    return reply.code(201).send({ port: portToWire(port) });
  });
  app.put<Params & { Body: Static<typeof PortPut> }>('/ports/:id', { schema: { body: PortPut } }, async (request) => {
    const b = request.body.port;
    const port = await updateNetworkPort(store, callerOf(request), request.params.id, defined({
      name: b.name, description: b.description, adminStateUp: b.admin_state_up, deviceOwner: b.device_owner, deviceId: b.device_id,
    }));
    return { port: portToWire(port) };
  });
  app.delete<Params>('/ports/:id', async (request, reply) => {
    await deleteNetworkPort(store, callerOf(request), request.params.id);
    return reply.code(204).send();
  });
}
