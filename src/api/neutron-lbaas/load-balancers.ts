/**
 * @module api/neutron-lbaas/load-balancers — `/network/v2.0/lbaas/loadbalancers`: CRUD, the
 * `statuses` tree and `stats`, as neutron-lbaas's plugin answers them. No cascade: a load
 * balancer with listeners or pools is `EntityInUse` (409).
 */
import type { FastifyInstance } from 'fastify';
import { FulcrumError } from '../../domain/errors.js';
import { listHealthMonitors } from '../../service/health-monitors.js';
import {
  createLoadBalancer, deleteLoadBalancer, getLoadBalancer, listLoadBalancers, loadBalancerStatus, statistics,
  updateLoadBalancer, type ProviderConfig,
} from '../../service/load-balancers.js';
import { listMembers } from '../../service/members.js';
import { listPools } from '../../service/pools.js';
import type { Caller, Store } from '../../service/context.js';
import { callerOf } from '../auth.js';
import type { ApiDeps } from '../deps.js';
import { defined } from '../octavia/schemas.js';
import { entityInUse, neutronError } from './errors.js';
import { createBody, listQuery, listReply, showReply, updateBody } from './request.js';
import { loadBalancerToWire, statsToWire, statusesToWire, type PoolStatus } from './wire.js';

type Params = { Params: { id: string } };

/**
 * The provider a create names, as neutron-lbaas picks it: names are lower-cased
 * (`normalize_provider_name`), an unknown one is `ServiceProviderNotFound` (404). Flavors need
 * Neutron's flavors plugin, which this endpoint does not have.
 */
function providerOf(providers: ProviderConfig, attrs: Record<string, unknown>): string | undefined {
  if (attrs.flavor_id !== undefined) throw neutronError('NOT_FOUND', 'FlavorsPluginNotLoaded', 'Flavors plugin not found');
  if (attrs.provider === undefined) return undefined;
  const name = String(attrs.provider).toLowerCase();
  if (!providers.enabled.some((p) => p.name === name)) {
    throw neutronError('NOT_FOUND', 'ServiceProviderNotFound',
      `Service provider '${name}' could not be found for service type LOADBALANCERV2`, 'provider');
  }
  return name;
}

/** Every pool of a load balancer as a status node: the tree's (listeners' default pools) first. */
async function poolStatuses(store: Store, caller: Caller, lbId: string, inTree: readonly PoolStatus[]): Promise<PoolStatus[]> {
  const seen = new Map(inTree.map((p) => [p.id, p]));
  const pools = await listPools(store, caller, { filters: { loadBalancerId: [lbId] }, limit: null });
  const others = await Promise.all(pools.filter((p) => !seen.has(p.object.id)).map(async ({ object: pool }) => {
    const [members, monitors] = await Promise.all([
      listMembers(store, caller, pool.id, { limit: null }),
      listHealthMonitors(store, caller, { filters: { poolId: [pool.id] } }),
    ]);
    const hm = monitors[0]?.object;
    return {
      id: pool.id, name: pool.name, provisioningStatus: pool.provisioningStatus, operatingStatus: pool.operatingStatus,
      healthMonitor: hm ? { id: hm.id, name: hm.name, type: hm.type, provisioningStatus: hm.provisioningStatus, operatingStatus: hm.operatingStatus } : null,
      members: members.map(({ object: m }) => ({
        id: m.id, name: m.name, provisioningStatus: m.provisioningStatus, operatingStatus: m.operatingStatus,
        address: m.address, protocolPort: m.protocolPort,
      })),
    };
  }));
  return [...seen.values(), ...others];
}

/** Registers the load balancer routes under `/network/v2.0/lbaas`. */
export function loadBalancerRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const { store } = deps;

  app.get('/loadbalancers', async (request) => {
    const parsed = listQuery(request, 'loadbalancer');
    const views = await listLoadBalancers(store, callerOf(request), parsed.query);
    return listReply(request, 'loadbalancers', parsed, views.map((v) => v.object), views.map(loadBalancerToWire));
  });

  app.get<Params>('/loadbalancers/:id', async (request) => ({
    loadbalancer: showReply(request, loadBalancerToWire(await getLoadBalancer(store, callerOf(request), request.params.id))),
  }));

  app.post('/loadbalancers', async (request, reply) => {
    const { attrs, projectId } = createBody('loadbalancer', request, true);
    if (attrs.vip_subnet_id === undefined && attrs.vip_network_id === undefined) {
      throw new FulcrumError('VALIDATION', "Failed to parse request. Required attribute 'vip_subnet_id' not specified", {
        neutronType: 'HTTPBadRequest', field: 'vip_subnet_id',
      });
    }
    const { view } = await createLoadBalancer(store, callerOf(request), deps.providers, defined({
      projectId, name: attrs.name as string, description: attrs.description as string,
      adminStateUp: attrs.admin_state_up as boolean, vipAddress: attrs.vip_address as string | null,
      vipSubnetId: attrs.vip_subnet_id as string, vipNetworkId: attrs.vip_network_id as string,
      provider: providerOf(deps.providers, attrs),
    }), deps.scheduling);
    return reply.code(201).send({ loadbalancer: loadBalancerToWire(view) });
  });

  app.put<Params>('/loadbalancers/:id', async (request) => {
    const a = updateBody('loadbalancer', request);
    const view = await updateLoadBalancer(store, callerOf(request), request.params.id, defined({
      name: a.name as string, description: a.description as string, adminStateUp: a.admin_state_up as boolean,
    }));
    return { loadbalancer: loadBalancerToWire(view) };
  });

  app.delete<Params>('/loadbalancers/:id', async (request, reply) => {
    const { relations } = await getLoadBalancer(store, callerOf(request), request.params.id);
    if (relations.listeners[0]) throw entityInUse('listener', relations.listeners[0], 'loadbalancer');
    if (relations.pools[0]) throw entityInUse('pool', relations.pools[0], 'loadbalancer');
    await deleteLoadBalancer(store, callerOf(request), request.params.id, false);
    return reply.code(204).send();
  });

  app.get<Params>('/loadbalancers/:id/statuses', async (request) => {
    const caller = callerOf(request);
    const tree = await loadBalancerStatus(store, caller, request.params.id);
    const attached = [...new Map(tree.listeners.flatMap((l) => l.pools).map((p) => [p.id, p])).values()];
    return statusesToWire(tree, await poolStatuses(store, caller, tree.id, attached));
  });

  app.get<Params>('/loadbalancers/:id/stats', async (request) =>
    statsToWire(await statistics(store, callerOf(request), 'loadbalancer', request.params.id)));
}
