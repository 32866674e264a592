/** @module api/octavia/load-balancers — `/v2/lbaas/loadbalancers`: CRUD, status tree, stats. */
import type { Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import {
  createLoadBalancer, deleteLoadBalancer, getLoadBalancer, listLoadBalancers, loadBalancerStatus, statistics,
  updateLoadBalancer, type StatusTree,
} from '../../service/load-balancers.js';
import { failoverLoadBalancer } from '../../service/amphorae.js';
import { tlsOf, type ApiDeps } from '../deps.js';
import { callerOf } from '../auth.js';
import { FulcrumError } from '../../domain/errors.js';
import { pageLinks, parseList, rawQuery, selectFields } from './lists.js';
import { defined, envelope, LoadBalancerPut, loadBalancerPost } from './schemas.js';
import { FIELDS, healthMonitorToWire, listenerToWire, loadBalancerToWire, memberToWire, poolToWire } from './wire.js';
import { graphListenerSchema, graphPoolSchema, graphToInput, graphToWire } from './graph.js';

const Post = envelope('loadbalancer', loadBalancerPost(graphListenerSchema, graphPoolSchema));
const Put = envelope('loadbalancer', LoadBalancerPut);

/** Octavia's wire shape of a stats object. */
export function statsToWire(s: { bytesIn: number; bytesOut: number; activeConnections: number; totalConnections: number; requestErrors: number }) {
  return {
    stats: {
      bytes_in: s.bytesIn, bytes_out: s.bytesOut, active_connections: s.activeConnections,
      total_connections: s.totalConnections, request_errors: s.requestErrors,
    },
  };
}

function statusToWire(t: StatusTree): Record<string, unknown> {
  return {
    id: t.id, name: t.name, operating_status: t.operatingStatus, provisioning_status: t.provisioningStatus,
    listeners: t.listeners.map((l) => ({
      id: l.id, name: l.name, operating_status: l.operatingStatus, provisioning_status: l.provisioningStatus,
      pools: l.pools.map((p) => ({
        id: p.id, name: p.name, provisioning_status: p.provisioningStatus, operating_status: p.operatingStatus,
        ...(p.healthMonitor ? {
          health_monitor: {
            id: p.healthMonitor.id, name: p.healthMonitor.name, type: p.healthMonitor.type,
            provisioning_status: p.healthMonitor.provisioningStatus, operating_status: p.healthMonitor.operatingStatus,
          },
        } : {}),
        members: p.members.map((m) => ({
          id: m.id, name: m.name, operating_status: m.operatingStatus, provisioning_status: m.provisioningStatus,
          address: m.address, protocol_port: m.protocolPort,
        })),
      })),
    })),
  };
}

/** Registers the load balancer routes under a prefix (`/v2/lbaas` and `/v2.0/lbaas`). */
export function loadBalancerRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const { store } = deps;

  app.get('/loadbalancers', async (request) => {
    const parsed = parseList(rawQuery(request), FIELDS.loadbalancer);
    const views = await listLoadBalancers(store, callerOf(request), parsed.query);
    return {
      loadbalancers: selectFields(views.map(loadBalancerToWire), parsed.fields),
      loadbalancers_links: pageLinks(request, parsed, views.map((v) => v.object)),
    };
  });

  app.post<{ Body: Static<typeof Post> }>('/loadbalancers', {
    schema: { body: Post }, config: { argName: 'load_balancer.loadbalancer' },
  }, async (request, reply) => {
    const body = request.body.loadbalancer;
    const { listeners, pools, ...rest } = body;
    const input = {
      ...defined({
        projectId: rest.project_id, name: rest.name, description: rest.description, adminStateUp: rest.admin_state_up,
        vipAddress: rest.vip_address, vipPortId: rest.vip_port_id, vipSubnetId: rest.vip_subnet_id,
        vipNetworkId: rest.vip_network_id, vipQosPolicyId: rest.vip_qos_policy_id, provider: rest.provider,
        flavorId: rest.flavor_id, availabilityZone: rest.availability_zone, tags: rest.tags,
      }),
      ...graphToInput(listeners ?? [], pools ?? []),
    };
    const { view, children } = await createLoadBalancer(store, callerOf(request), deps.providers, input, deps.scheduling, tlsOf(deps));
    const lb = loadBalancerToWire(view);
    if (children.listeners.length > 0 || children.pools.length > 0) {
      const full = graphToWire(children, { listenerToWire, poolToWire, memberToWire, healthMonitorToWire });
      lb.listeners = full.listeners;
      lb.pools = full.pools;
    }
    return reply.code(201).send({ loadbalancer: lb });
  });

  app.get<{ Params: { id: string } }>('/loadbalancers/:id', async (request) => {
    const view = await getLoadBalancer(store, callerOf(request), request.params.id);
    const parsed = parseList({ fields: (request.query as Record<string, string | string[]>).fields }, FIELDS.loadbalancer);
    return { loadbalancer: selectFields([loadBalancerToWire(view)], parsed.fields)[0] };
  });

  app.put<{ Params: { id: string }; Body: Static<typeof Put> }>('/loadbalancers/:id', {
    schema: { body: Put }, config: { argName: 'load_balancer.loadbalancer' },
  }, async (request) => {
    const b = request.body.loadbalancer;
    const patch = {
      ...(b.name !== undefined ? { name: b.name ?? '' } : {}),
      ...(b.description !== undefined ? { description: b.description ?? '' } : {}),
      ...(b.admin_state_up !== undefined ? { adminStateUp: b.admin_state_up } : {}),
      ...(b.vip_qos_policy_id !== undefined ? { vipQosPolicyId: b.vip_qos_policy_id } : {}),
      ...(b.tags !== undefined ? { tags: b.tags ?? [] } : {}),
    };
    const view = await updateLoadBalancer(store, callerOf(request), request.params.id, patch);
    return { loadbalancer: loadBalancerToWire(view) };
  });

  app.delete<{ Params: { id: string }; Querystring: { cascade?: string } }>('/loadbalancers/:id', async (request, reply) => {
    const cascade = ['true', '1', 'yes', 'on', 't', 'y'].includes(String(request.query.cascade ?? '').toLowerCase());
    await deleteLoadBalancer(store, callerOf(request), request.params.id, cascade);
    return reply.code(204).send();
  });

  for (const path of ['/loadbalancers/:id/status', '/loadbalancers/:id/statuses']) {
    app.get<{ Params: { id: string } }>(path, async (request) => ({
      statuses: { loadbalancer: statusToWire(await loadBalancerStatus(store, callerOf(request), request.params.id)) },
    }));
  }

  // Fulcrum's own, admins only (policy table): the configuration the provider rendered, as its data
  // plane loads it. Read through the provider, which knows where it keeps it.
  app.get<{ Params: { id: string } }>('/loadbalancers/:id/config', async (request) => {
    const lb = (await getLoadBalancer(store, callerOf(request), request.params.id)).object;
    const rendered = deps.renderedConfig ? await deps.renderedConfig(lb.provider, lb.id) : null;
    if (!rendered) {
      throw new FulcrumError('CONFIG_NOT_RENDERED', `Load balancer ${lb.id} has no rendered configuration here (provider ${lb.provider}).`);
    }
    return {
      config: { loadbalancer_id: lb.id, provider: lb.provider, name: rendered.name, written_at: rendered.writtenAt, text: rendered.text },
    };
  });

  app.put<{ Params: { id: string } }>('/loadbalancers/:id/failover', async (request, reply) => {
    await failoverLoadBalancer(store, callerOf(request), request.params.id, deps.providers.agentHost);
    return reply.code(202).send();
  });

  app.get<{ Params: { id: string } }>('/loadbalancers/:id/stats', async (request) =>
    statsToWire(await statistics(store, callerOf(request), 'loadbalancer', request.params.id)));
}

